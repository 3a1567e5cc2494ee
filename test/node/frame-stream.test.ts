// QEMU's stream framing (4-byte big-endian length + frame): any split of the byte stream
// decodes to the same frames; hostile bytes never throw, an oversized length is fatal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame } from '../../src/node/net/frame-stream.js';

const MAX = 65550;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

describe('stream framing', () => {
  it('encodes the length big-endian before the frame', () => {
    expect([...encodeFrame(Uint8Array.of(9, 8, 7))]).toEqual([0, 0, 0, 3, 9, 8, 7]);
  });

  it('decodes frames however the stream is split', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 50 }),
      (frames, cuts) => {
        const bytes = concat(frames.map(encodeFrame));
        const d = new FrameDecoder(MAX);
        const got: Uint8Array[] = [];
        let off = 0;
        for (let i = 0; off < bytes.length; i++) {
          const n = cuts[i % cuts.length];
          expect(d.push(bytes.subarray(off, off + n), (f) => got.push(f))).toBeNull();
          off += n;
        }
        expect(got.map((f) => [...f])).toEqual(frames.map((f) => [...f]));
        expect(d.pending).toBe(0);
      },
    ), { numRuns: 200 });
  });

  it('a frame as large as allowed passes; one byte more is fatal and the rest is ignored', () => {
    const d = new FrameDecoder(MAX);
    const got: number[] = [];
    expect(d.push(encodeFrame(new Uint8Array(MAX).fill(1)), (f) => got.push(f.length))).toBeNull();
    expect(got).toEqual([MAX]);
    const bad = new Uint8Array(4);
    new DataView(bad.buffer).setUint32(0, MAX + 1);
    expect(d.push(bad, () => got.push(-1))).toMatch(/frame length 65551 exceeds 65550/);
    expect(d.push(encodeFrame(new Uint8Array(60)), () => got.push(-1))).toMatch(/exceeds/);
    expect(got).toEqual([MAX]);
  });

  it('a truncated frame stays pending', () => {
    const d = new FrameDecoder(MAX);
    const f = encodeFrame(new Uint8Array(100));
    d.push(f.subarray(0, 50), () => { throw new Error('no frame yet'); });
    expect(d.pending).toBe(50);
  });

  it('fuzz: arbitrary bytes never throw and never yield a frame above the limit', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 30 }), (chunks) => {
      const d = new FrameDecoder(MAX);
      for (const c of chunks) {
        d.push(c, (f) => expect(f.length).toBeLessThanOrEqual(MAX));
      }
    }), { numRuns: 300 });
  });
});
