// The virtio devices under the real driver: the standard guest (Linux 6.1) on Retrovisor
// with a disk behind a COW overlay, virtio-rng, and virtio-net on a loopback backend.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { GuestSession } from '../support/guest-session.js';
import { READY_MARKER } from '../../src/node/guest-images.js';
import { LoopbackNetBackend } from '../../src/machine/virtio/net-backend.js';
import type { BlockDevice } from '../../src/machine/block/block-device.js';

function digest(d: BlockDevice): string {
  const h = createHash('sha256');
  const buf = new Uint8Array(1 << 20);
  for (let off = 0; off < d.size; off += buf.length) {
    const part = buf.subarray(0, Math.min(buf.length, d.size - off));
    d.read(off, part);
    h.update(part);
  }
  return h.digest('hex');
}

describe('virtio devices under Linux', () => {
  const loop = new LoopbackNetBackend();
  const s = new GuestSession({ disk: true, machine: { net: loop } });
  const m = s.machine;
  loop.receiver = (f) => m.net?.receive(f);
  const overlay = m.overlays[0];
  const baseDigest = digest(overlay.base);
  afterAll(() => s.close());

  it('boots and probes blk, rng and net', () => {
    s.runUntil(READY_MARKER, 400_000_000);
    s.runUntil('# ');
    const ids = s.command('cat /sys/bus/virtio/devices/*/device').split('\n').sort();
    expect(ids).toEqual(['0x0001', '0x0002', '0x0004']);
    expect(s.output).toMatch(/\[vda\] \d+ 512-byte logical blocks/);
  });

  it('blk: serial, size and contents match the image', () => {
    // The kernel prints the serial without a newline.
    expect(s.command('cat /sys/block/vda/serial; echo')).toBe('retrovisor-disk0');
    expect(Number(s.command('cat /sys/block/vda/size'))).toBe(Math.floor(overlay.size / 512));
    const head = new Uint8Array(2048);
    overlay.read(0, head);
    expect(s.command('dd if=/dev/vda bs=512 count=4 2>/dev/null | md5sum')).toBe(`${createHash('md5').update(head).digest('hex')}  -`);
  });

  it('blk: ext4 writes survive a remount, land in the overlay, and leave the base untouched', () => {
    overlay.clearDirty();
    s.command('mkdir -p /mnt && mount -t ext4 /dev/vda /mnt');
    s.command('dd if=/dev/urandom of=/mnt/blob bs=1k count=300 2>/dev/null; md5sum /mnt/blob > /tmp/sum; sync; umount /mnt');
    expect(s.command('mount -t ext4 /dev/vda /mnt && md5sum -c /tmp/sum; umount /mnt')).toContain('/mnt/blob: OK');
    expect(overlay.dirtyBlocks().length).toBeGreaterThan(75);
    expect(digest(overlay.base)).toBe(baseDigest);
  });

  it('rng: hwrng is virtio and delivers bytes', () => {
    expect(s.command('cat /sys/devices/virtual/misc/hw_random/rng_current')).toBe('virtio_rng.0');
    expect(s.command('dd if=/dev/hwrng bs=32 count=1 2>/dev/null | wc -c')).toBe('32');
  });

  it('net: MAC, link, and frames through tx and back through rx', () => {
    expect(s.command('cat /sys/class/net/eth0/address')).toBe('52:54:00:12:34:56');
    s.command('ifconfig eth0 10.0.0.1 netmask 255.255.255.0 up');
    expect(s.command('cat /sys/class/net/eth0/operstate')).toBe('up');
    s.command('arping -c 2 -w 2 -I eth0 10.0.0.2 >/dev/null');
    const [tx, rx] = s.command('cat /sys/class/net/eth0/statistics/tx_packets /sys/class/net/eth0/statistics/rx_packets').split('\n').map(Number);
    expect(tx).toBeGreaterThanOrEqual(2);
    expect(rx).toBeGreaterThanOrEqual(2);
    expect(m.net?.stats.txFrames).toBeGreaterThanOrEqual(2);
    expect(loop.looped).toBe(m.net?.stats.txFrames);
  });

  it('no device needed a reset', () => {
    for (const slot of m.slots) expect('lastFault' in slot ? slot.lastFault : null).toBeNull();
  });

  it('a checkpoint taken during disk I/O restores into a fresh machine that carries on', () => {
    s.command('mount -t ext4 /dev/vda /mnt');
    s.type('(dd if=/dev/urandom of=/mnt/blob2 bs=1k count=400 2>/dev/null; md5sum /mnt/blob2 > /mnt/sum2; sync; echo BG-DONE) &\n');
    m.run(3_000_000);
    const rec = structuredClone(m.saveState());
    const ram = m.ram.u8.slice();

    const loop2 = new LoopbackNetBackend();
    const s2 = new GuestSession({ disk: true, machine: { net: loop2 } });
    try {
      const m2 = s2.machine;
      loop2.receiver = (f) => m2.net?.receive(f);
      m2.ram.u8.set(ram);
      m2.loadState(rec);
      s2.runUntil('BG-DONE', 400_000_000);
      expect(s2.command('umount /mnt && mount -t ext4 /dev/vda /mnt && md5sum -c /mnt/sum2; umount /mnt')).toContain('/mnt/blob2: OK');
      s2.command('arping -c 1 -w 1 -I eth0 10.0.0.2 >/dev/null');
      expect(m2.net?.stats.rxFrames).toBeGreaterThan(m.net?.stats.rxFrames ?? 0);
      expect(s2.command('dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c')).toBe('16');
      for (const slot of m2.slots) expect('lastFault' in slot ? slot.lastFault : null).toBeNull();
    } finally {
      s2.close();
    }
  });
});
