// A recorded session that writes to the virtio disk (ext4 on the copy-on-write overlay) replays to
// the same output and the same machine state, overlay included (device fingerprints).
import { describe, expect, it } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { READY_MARKER } from '../../src/node/guest-images.js';
import { ScriptedGuest } from '../../src/node/scripted-guest.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { hashDevices } from '../../src/replay/device-hash.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { codecs, fingerprint, meta } from './session.js';

describe('record and replay with disk writes', () => {
  it('replays ext4 writes through the overlay identically', () => {
    const sink = new MemorySink();
    const rec = new Recorder(new LogWriter(sink, new ZstdCodec(3), meta(4_000_000)), { ramHashInterval: 0 });
    const g = new ScriptedGuest({ input: rec.source(new SeededInputSource(77)), disk: true });
    let output: string;
    let final: ReturnType<typeof fingerprint>;
    let devices: Uint32Array;
    try {
      rec.attach(g.machine);
      g.runUntil(READY_MARKER, 400_000_000, 2_000_000);
      g.runUntil('# ', 100_000_000, 500_000);
      g.type('mount -t ext4 /dev/vda /mnt && dd if=/dev/urandom of=/mnt/r bs=1k count=64 2>/dev/null; md5sum /mnt/r; sync; umount /mnt; echo DISK-DONE\n');
      g.runUntil('DISK-DONE\r\n', 600_000_000, 1_000_000);
      g.runUntil('# ', 100_000_000, 500_000);
      final = fingerprint(g.machine);
      devices = hashDevices(g.machine);
      rec.finish('end');
      output = g.text;
      expect(g.machine.overlays[0].blockCount).toBeGreaterThan(0);
    } finally {
      g.close();
    }
    expect(output).toMatch(/[0-9a-f]{32} {2}\/mnt\/r/);
    const replayer = new Replayer(new LogReader(sink.bytes(), 'disk.rvr', codecs));
    const h = new ScriptedGuest({ input: replayer.source, disk: true });
    try {
      replayer.attach(h.machine);
      const r = replayer.run();
      expect(r.divergence).toBeNull();
      expect(r.stop).toBe('end');
      expect(h.text).toBe(output);
      expect(fingerprint(h.machine)).toEqual(final);
      expect(Array.from(hashDevices(h.machine))).toEqual(Array.from(devices));
    } finally {
      h.close();
    }
  });
});
