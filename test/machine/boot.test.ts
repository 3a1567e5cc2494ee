// Boots the standard guest (OpenSBI + Linux + busybox) on Retrovisor and uses its shell.
import { afterAll, describe, expect, it } from 'vitest';
import { GuestSession } from '../support/guest-session.js';
import { READY_MARKER } from '../../src/node/guest-images.js';

describe('standard guest on Retrovisor', () => {
  const s = new GuestSession();
  afterAll(() => s.close());

  it('boots to the ready marker and the shell prompt', () => {
    const log = s.runUntil(READY_MARKER, 300_000_000);
    expect(log).toContain('OpenSBI');
    expect(log).toContain('Linux version 6.1');
    expect(log).toContain('Run /init as init process');
    s.runUntil('# ');
  });

  it('runs shell commands', () => {
    expect(s.command('echo hello $((6*7))')).toBe('hello 42');
    expect(s.command('cat /proc/cpuinfo | grep isa')).toMatch(/isa\s*: rv64imafdc/);
    expect(s.command('seq 1 100 | awk \'{s+=$1} END {print s}\'')).toBe('5050');
  });

  it('uses the FPU from user space', () => {
    expect(s.command('awk \'BEGIN { x = 1; for (i = 0; i < 10; i++) x = x * 1.1; printf "%.6f %d\\n", x / 3, 7 / 2 * 4 }\'')).toBe('0.864581 14');
  });

  it('powers off', () => {
    s.type('poweroff -f\n');
    expect(s.runToPoweroff().kind).toBe('poweroff');
  });
});

describe('standard guest with 64 MiB of RAM', () => {
  // QEMU's initrd placement (kernel + RAM/2) puts it exactly where OpenSBI fw_jump copies the
  // device tree at this size: the kernel then found no initramfs ("invalid magic") and panicked
  const s = new GuestSession({ memoryBytes: 64 << 20 });
  afterAll(() => s.close());

  it('unpacks its initramfs and reaches the shell', () => {
    const log = s.runUntil(READY_MARKER, 300_000_000);
    expect(log).toContain('Memory: ');
    expect(log).not.toContain('Initramfs unpacking failed');
    expect(log).toContain('Run /init as init process');
    s.runUntil('# ');
    expect(s.command('grep MemTotal /proc/meminfo')).toMatch(/MemTotal:\s+\d+ kB/);
  });
});
