// kill -9 during copy-on-write captures and asynchronous commits: nothing committed is lost.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { rng } from '../encoding/corpus.js';
import { initialRam, PAGES, stepMutation } from '../store/crash-writer.js';
import { openRepo, tempDir } from '../store/helpers.js';
import { transpileTree } from '../store/transpile.js';

const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 5);
const root = resolve(import.meta.dirname, '../..');
const build = join(root, 'node_modules', '.cache', `rv-cow-crash-${process.pid}`);
const { dir: root0, cleanup } = tempDir('rv-cow-crash-');
beforeAll(() => {
  transpileTree(root, ['src/machine/memory.ts', 'src/encoding', 'src/store', 'src/node/fs-store.ts', 'src/node/codecs',
    'src/checkpoint/cow-capture.ts', 'src/checkpoint/durable-commit.ts', 'src/node/page-worker.ts', 'src/node/page-worker-pool.ts', 'test/encoding/corpus.ts', 'test/support/prng.ts', 'test/store/crash-writer.ts', 'test/checkpoint/cow-child-writer.ts'], build);
});
afterAll(() => { cleanup(); rmSync(build, { recursive: true, force: true }); });

const SEED = 91;
const states: Uint8Array[] = [initialRam(SEED), initialRam(SEED)];
function stateAt(k: number): Uint8Array {
  while (states.length <= k) {
    const ram = states[states.length - 1].slice();
    stepMutation(ram, new Uint8Array(PAGES), SEED, states.length);
    states.push(ram);
  }
  return states[k];
}

/** Runs the writer until it has reported `commits` durable checkpoints, then kills it after `extraMs` more (mid-capture or mid-commit). */
function runChild(repoDir: string, commits: number, extraMs: number, workers: number): Promise<string[]> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(build, 'test/checkpoint/cow-child-writer.js'), repoDir, String(SEED), String(workers)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // counting commits, not time: progress does not depend on how loaded the machine is
      if (!armed && out.split('\n').filter((l) => l.startsWith('C ')).length >= commits) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') rej(new Error(`writer exited with ${code}: ${err}`));
      else res(out.split('\n').filter((l) => l.length > 0));
    });
  });
}

test.each([0, 2])(`a copy-on-write writer (%i page worker threads) killed with SIGKILL ${ITERATIONS} times never loses a committed checkpoint`, async (workers) => {
  const r = rng(4321 + workers);
  const dir = `${root0}/w${workers}`;
  const committed = new Set<number>();
  let commits = 0;
  const ram = new Uint8Array(PAGES * PAGE_SIZE);
  for (let i = 0; i < ITERATIONS; i++) {
    for (const l of await runChild(dir, 1 + Math.floor(r() * 4), Math.floor(r() * 40), workers)) {
      const [op, a] = l.split(' ');
      if (op === 'C') { committed.add(Number(a)); commits++; }
    }
    if (!existsSync(join(dir, 'index.log'))) { expect(committed.size).toBe(0); continue; }
    const repo = openRepo(dir, false);
    expect(repo.verify().filter((p) => p.severity === 'error'), `iteration ${i}`).toEqual([]);
    const ids = new Set(repo.list().map((m) => m.id));
    for (const id of committed) expect(ids.has(id), `committed checkpoint ${id} lost at iteration ${i}`).toBe(true);
    for (const meta of repo.list()) {
      const k = Number(/^step-(\d+)$/.exec(meta.label ?? '')?.[1]);
      repo.restore(meta.id, ram);
      expect(Buffer.compare(ram, stateAt(k)), `checkpoint ${meta.id} (step ${k})`).toBe(0);
    }
    repo.close();
  }
  console.log(`CoW crash test (${workers} workers): ${ITERATIONS} kills, ${commits} commits`);
  expect(commits).toBeGreaterThanOrEqual(ITERATIONS);
});
