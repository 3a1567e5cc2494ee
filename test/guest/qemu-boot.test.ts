import { afterEach, describe, expect, it } from 'vitest';
import { READY_MARKER, guestCmdline, loadGuestImages } from '../../src/node/guest-images.js';
import { bootQemu, qemuArgs, requireQemu, type QemuGuest } from '../support/qemu.js';

// The ash prompt set by /init; ESC[6n before it is stripped by QemuGuest.
const PROMPT = 'retrovisor:~# ';

describe('standard guest on QEMU', () => {
  let guest: QemuGuest | undefined;

  afterEach(async () => {
    await guest?.kill();
    guest = undefined;
  });

  it('has qemu-system-riscv64 (CI installs qemu-system-misc)', () => {
    expect(requireQemu()).toMatch(/QEMU emulator version/);
  });

  it('images match their manifest', () => {
    const images = loadGuestImages({ disk: true });
    try {
      expect(images.bios.length).toBeGreaterThan(0);
      // Linux RISC-V Image header: magic "RSC\x05" at offset 0x38.
      expect(Buffer.from(images.kernel.subarray(0x38, 0x3c)).toString('latin1')).toBe('RSC\x05');
      // newc cpio magic
      expect(Buffer.from(images.initrd.subarray(0, 6)).toString('latin1')).toBe('070701');
      expect(images.diskPath).toBeDefined();
    } finally {
      images.cleanup();
    }
  });

  it('builds the command line /init parses', () => {
    expect(guestCmdline({ workload: 'compute', args: [2, 16] })).toBe('console=ttyS0 rv.workload=compute rv.args=2,16');
    expect(() => guestCmdline({ workload: 'x', args: ['a,b'] })).toThrow();
    const args = qemuArgs({ bios: 'b', kernel: 'k', initrd: 'i', disk: 'd' }, { icountShift: 0 });
    expect(args).toContain('virtio-mmio.force-legacy=false');
    expect(args.join(' ')).toContain('-icount shift=0');
  });

  it('boots to a shell and runs a command', async () => {
    guest = bootQemu();
    const ready = await guest.waitFor(READY_MARKER, { timeoutMs: 30_000 });
    await guest.waitFor(PROMPT, { from: ready.end, timeoutMs: 15_000 });
    const reply = await guest.run('echo hello $((6*7))', /^hello 42$/m, { timeoutMs: 10_000 });
    expect(reply?.match).toBe('hello 42');
    guest.write('poweroff -f\n');
    const exit = await guest.waitExit(15_000);
    expect(exit.code).toBe(0);
  }, 60_000);

  it('runs the compute workload to its end marker and powers off', async () => {
    guest = bootQemu({ workload: 'compute', args: [8, 64] });
    await guest.waitFor('RV-WORKLOAD-START compute', { timeoutMs: 30_000 });
    const end = await guest.waitFor(/RV-WORKLOAD-END compute status=\d+/, { timeoutMs: 30_000 });
    expect(end.match).toBe('RV-WORKLOAD-END compute status=0');
    expect(guest.text()).toMatch(/compute: checksum=[0-9a-f]{16}/);
    const exit = await guest.waitExit(15_000);
    expect(exit.code).toBe(0);
  }, 60_000);
});
