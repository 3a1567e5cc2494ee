// Runs every reference vector (produced by tools/fpu-vectors/gen.c on qemu-riscv64) through execFp
// and compares result bits and accrued flags exactly.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runVectors } from './fixtures/fpu-harness.js';

// FPU_VECTORS=/path/to/other.txt.gz runs a larger sample made by tools/fpu-vectors/regen.sh
const extra = process.env['FPU_VECTORS'];
const fixture = extra ?? new URL('./fixtures/fpu-vectors.txt.gz', import.meta.url);

describe('FPU reference vectors (qemu-riscv64)', () => {
  it('matches every vector bit-exactly, flags included', () => {
    const lines = gunzipSync(readFileSync(fixture)).toString('utf8').split('\n');
    const { total, failures, byOp } = runVectors(lines);
    expect(total).toBeGreaterThan(10000);
    expect(byOp.size).toBe(58);
    if (extra) console.log(`${total} vectors, ${failures.length} failures`);
    expect(failures.slice(0, 30)).toEqual([]);
  });
});
