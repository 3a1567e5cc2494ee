// The chunk table's dedup index (typed-array buckets chained per row): whatever
// sequence of adds, re-adds and removes, and however many chunks share a
// bucket or a whole hash, walking a hash's candidates (firstCandidate /
// nextCandidate, filtered by hashEquals) yields exactly the chunks with that
// hash, newest first (the order dedup relies on to pick the same chunk), and
// every other field reads back as added.
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { ChunkTable } from '../../src/store/chunk-table.js';

type Op = { kind: 'add'; id: number; h: number } | { kind: 'remove'; id: number };

/** Hash words for pool index h: few distinct first words (shared buckets), some hashes equal in full, one all-zero (not indexed). */
function hashOf(h: number): Uint32Array {
  if (h === 0) return new Uint32Array(4);
  return new Uint32Array([(h % 5) * 0x10000 + 7, h, (h * 2654435761) >>> 0, 0xdeadbeef]);
}

function candidates(t: ChunkTable, hash: Uint32Array): number[] {
  const out: number[] = [];
  let steps = 0;
  for (let id = t.firstCandidate(hash); id !== 0; id = t.nextCandidate(id)) {
    if (++steps > 100_000) throw new Error('chain does not end');
    if (t.hashEquals(id, hash)) out.push(id);
  }
  return out;
}

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 1, max: 3000 }), h: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 1, max: 3000 }) }) },
);

test('candidates of every hash are exactly its chunks, newest first, through growth and removals (property)', () => {
  fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 3000 }), (ops) => {
    const t = new ChunkTable();
    // model: id → [hash index, add sequence, fields]
    const model = new Map<number, { h: number; seq: number; offset: number }>();
    let seq = 0;
    for (const o of ops) {
      if (o.kind === 'add') {
        const offset = seq * 40;
        t.add(o.id, 3, offset, 0, 1, 100 + o.h, 0, hashOf(o.h));
        model.set(o.id, { h: o.h, seq: seq++, offset });
      } else {
        t.remove(o.id);
        model.delete(o.id);
      }
    }
    expect(t.count).toBe(model.size);
    for (let h = 1; h <= 40; h++) {
      const want = [...model.entries()].filter(([, v]) => v.h === h).sort((a, b) => b[1].seq - a[1].seq).map(([id]) => id);
      expect(candidates(t, hashOf(h))).toEqual(want);
    }
    // the all-zero hash is never a dedup candidate
    expect(candidates(t, hashOf(0))).toEqual([]);
    for (const [id, v] of model) {
      expect(t.has(id)).toBe(true);
      expect(t.offsetOf(id)).toBe(v.offset);
      expect(t.lengthOf(id)).toBe(100 + v.h);
      expect([...t.hashOf(id)]).toEqual([...hashOf(v.h)]);
    }
  }), { numRuns: 60 });
});

test('a large table (many bucket doublings) finds every chunk by its hash', () => {
  const t = new ChunkTable();
  const h = new Uint32Array(4);
  const n = 200_000;
  for (let id = 1; id <= n; id++) {
    h[0] = Math.imul(id, 0x9e3779b1) >>> 0; h[1] = id; h[2] = ~id >>> 0; h[3] = 1;
    t.add(id, 0, id * 4096, 0, 1, 4096, 0, h);
  }
  for (let id = 1; id <= n; id += 7) {
    h[0] = Math.imul(id, 0x9e3779b1) >>> 0; h[1] = id; h[2] = ~id >>> 0; h[3] = 1;
    expect(candidates(t, h)).toEqual([id]);
  }
  for (let id = 1; id <= n; id += 2) t.remove(id);
  expect(t.count).toBe(n / 2);
  for (let id = 1; id <= 2000; id++) {
    h[0] = Math.imul(id, 0x9e3779b1) >>> 0; h[1] = id; h[2] = ~id >>> 0; h[3] = 1;
    expect(candidates(t, h)).toEqual(id % 2 === 0 ? [id] : []);
  }
});

test('chunks sharing a hash stay newest first across bucket doublings', () => {
  const t = new ChunkTable();
  const n = 20_000;
  for (let id = 1; id <= n; id++) t.add(id, 0, id, 0, 1, 10, 0, hashOf(1 + (id % 40)));
  for (let h = 1; h <= 40; h++) {
    const want: number[] = [];
    for (let id = n; id >= 1; id--) if (1 + (id % 40) === h) want.push(id);
    expect(candidates(t, hashOf(h))).toEqual(want);
  }
});
