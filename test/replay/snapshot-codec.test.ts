// Own-file snapshots: round trip with zero and random chunks, clear errors on damage.
import { describe, expect, it } from 'vitest';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { codecList } from '../../src/replay/frame-compressor.js';
import type { MachineSnapshot } from '../../src/replay/machine-snapshot.js';
import { ReplayLogError } from '../../src/replay/replay-error.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/replay/snapshot-codec.js';
import { mulberry32 } from './session.js';

describe('snapshot codec', () => {
  const r = mulberry32(3);
  const ram = new Uint8Array(4 << 20);
  for (let i = 1 << 20; i < 2 << 20; i++) ram[i] = Math.floor(r() * 256); // incompressible
  for (let i = 3 << 20; i < (3 << 20) + 5000; i++) ram[i] = i & 7; // compressible
  const snap: MachineSnapshot = { id: 'i123', instret: 123, state: Uint8Array.of(1, 2, 3), ram, archHash: 0xdeadbeef, ramHash: 42 };
  const codecs = codecList(new ZstdCodec());
  const bytes = encodeSnapshot(snap, new ZstdCodec(1));

  it('round-trips and stores zero MiB in a byte', () => {
    expect(bytes.length).toBeLessThan((1 << 20) + 10_000);
    const back = decodeSnapshot(bytes, 'a.rvsnap', codecs);
    expect(back.id).toBe('i123');
    expect(back.instret).toBe(123);
    expect(back.archHash).toBe(0xdeadbeef);
    expect(Array.from(back.state)).toEqual([1, 2, 3]);
    expect(Buffer.compare(back.ram, ram)).toBe(0);
  });

  it('rejects damage, truncation and unknown versions with ReplayLogError naming the file', () => {
    const flip = bytes.slice(); flip[100] ^= 1;
    expect(() => decodeSnapshot(flip, 'b.rvsnap', codecs)).toThrow(/b\.rvsnap: checksum mismatch/);
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 9), 'c.rvsnap', codecs)).toThrow(ReplayLogError);
    const v = bytes.slice(); v[4] = 7;
    expect(() => decodeSnapshot(v, 'd.rvsnap', codecs)).toThrow(/d\.rvsnap: unsupported snapshot version 7/);
    expect(() => decodeSnapshot(new Uint8Array(3), 'e.rvsnap', codecs)).toThrow(/e\.rvsnap: not a Retrovisor snapshot/);
  });
});
