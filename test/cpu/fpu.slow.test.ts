// A fresh, larger sample of reference vectors: builds tools/fpu-vectors/gen.c and runs it under
// qemu-riscv64 with a new seed each run (printed, so a failure can be reproduced with regen.sh).
// Skipped when the cross compiler or qemu-user is missing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runVectors } from './fixtures/fpu-harness.js';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = have('riscv64-linux-gnu-gcc') && have('qemu-riscv64');

describe.skipIf(!available)('FPU against qemu-riscv64, fresh random sample', () => {
  it('matches 2000 vectors per operation and rounding mode', () => {
    const seed = Number(process.env['FPU_SEED'] ?? Math.floor(Math.random() * 1e9));
    const dir = mkdtempSync(join(tmpdir(), 'fpu-vectors-'));
    try {
      const bin = join(dir, 'gen');
      execFileSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', bin, fileURLToPath(new URL('../../tools/fpu-vectors/gen.c', import.meta.url))]);
      const text = execFileSync('qemu-riscv64', [bin, '2000', String(seed)], { maxBuffer: 1 << 30 }).toString('utf8');
      const { total, failures } = runVectors(text.split('\n'));
      console.log(`seed ${seed}: ${total} vectors, ${failures.length} failures`);
      expect(failures.slice(0, 30)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
