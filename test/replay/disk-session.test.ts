// A recorded session that writes to the virtio disk (ext4 on the copy-on-write overlay) replays to
// the same output and the same machine state, overlay included (device fingerprints).
import { describe, expect, it } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { hashDevices } from '../../src/replay/device-hash.js';
import { recordScript, replayLog } from './session.js';

describe('record and replay with disk writes', () => {
  it('replays ext4 writes through the overlay identically', () => {
    let devices: Uint32Array = new Uint32Array(0);
    const rec = recordScript({ input: new SeededInputSource(77), guest: { disk: true } }, (g) => {
      g.type('mount -t ext4 /dev/vda /mnt && dd if=/dev/urandom of=/mnt/r bs=1k count=64 2>/dev/null; md5sum /mnt/r; sync; umount /mnt; echo DISK-DONE\n');
      g.runUntil('DISK-DONE\r\n', 600_000_000, 1_000_000);
      g.runUntil('# ', 100_000_000, 500_000);
      devices = hashDevices(g.machine);
      expect(g.machine.overlays[0].blockCount).toBeGreaterThan(0);
    });
    expect(rec.output).toMatch(/[0-9a-f]{32} {2}\/mnt\/r/);
    let replayedDevices: Uint32Array = new Uint32Array(0);
    const r = replayLog(rec.log, { guest: { disk: true }, inspect: (h) => { replayedDevices = hashDevices(h.machine); } }, 'disk.rvr');
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('end');
    expect(r.output).toBe(rec.output);
    expect(r.final).toEqual(rec.final);
    expect(Array.from(replayedDevices)).toEqual(Array.from(devices));
  });
});
