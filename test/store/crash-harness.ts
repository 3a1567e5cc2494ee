import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { rng } from '../encoding/corpus.js';
import { initialRam, PAGES, stepMutation } from './crash-writer.js';
import { openRepo, tempDir } from './helpers.js';
import { transpileTree } from './transpile.js';

/** kill -9 a checkpoint writer at random instants; every committed checkpoint must survive intact. */
export function crashSuite(defaultIterations: number): void {
  const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? defaultIterations);
  const root = resolve(import.meta.dirname, '../..');
  const build = join(root, 'node_modules', '.cache', `rv-crash-${process.pid}`);
  let dir = '';
  let cleanup = () => {};

  beforeAll(() => {
    transpileTree(root, ['src/machine/memory.ts', 'src/encoding', 'src/store', 'src/node/fs-store.ts', 'src/node/codecs', 'test/encoding/corpus.ts', 'test/support/prng.ts', 'test/store/crash-writer.ts'], build);
    ({ dir, cleanup } = tempDir('rv-crash-'));
    mkdirSync(dir, { recursive: true });
  });
  afterAll(() => {
    cleanup();
    rmSync(build, { recursive: true, force: true });
  });

  const SEED = 77;
  const states: Uint8Array[] = [initialRam(SEED)];
  function stateAt(k: number): Uint8Array {
    while (states.length <= k) {
      const ram = states[states.length - 1].slice();
      // Step 1 is the initial image itself (written in full); mutations start at step 2.
      if (states.length >= 2) stepMutation(ram, new Uint8Array(PAGES), SEED, states.length);
      states.push(ram);
    }
    return states[k];
  }

  /**
   * The kill timer starts when the child's output shows `startAt` ('O': the repository is open,
   * 'C': the first commit returned), so how long node takes to start on a busy machine does not matter.
   */
  function runChild(repoDir: string, killAfterMs: number, startAt: 'O' | 'C'): Promise<string[]> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [join(build, 'test/store/crash-writer.js'), repoDir, String(SEED)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let timer: ReturnType<typeof setTimeout> | undefined;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!timer && out.split('\n').some((l) => l.startsWith(startAt))) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${err}`));
        else resolvePromise(out.split('\n').filter((l) => l.length > 0));
      });
    });
  }

  test(`a writer killed with SIGKILL ${ITERATIONS} times never loses a committed checkpoint`, async () => {
    const r = rng(1234);
    const committed = new Set<number>();
    const removed = new Set<number>();
    const removing = new Set<number>();
    let commits = 0, gcs = 0, recovered = 0;
    const ram = new Uint8Array(PAGES * PAGE_SIZE);
    for (let i = 0; i < ITERATIONS; i++) {
      const lines = await runChild(dir, 150 + Math.floor(r() * 600), i % 2 === 0 ? 'O' : 'C');
      for (const l of lines) {
        const [op, a] = l.split(' ');
        if (op === 'C') { committed.add(Number(a)); commits++; }
        if (op === 'r') removing.add(Number(a));
        if (op === 'R') removed.add(Number(a));
        if (op === 'G') gcs++;
      }
      if (!existsSync(join(dir, 'index.log'))) {
        // Killed before the repository was even created.
        expect(committed.size).toBe(0);
        continue;
      }
      const repo = openRepo(dir, false);
      if (repo.recoveredBytes > 0) recovered++;
      const errors = repo.verify().filter((p) => p.severity === 'error');
      expect(errors, `iteration ${i}`).toEqual([]);
      const ids = new Set(repo.list().map((m) => m.id));
      for (const id of committed) if (!removing.has(id)) expect(ids.has(id), `committed checkpoint ${id} lost at iteration ${i}`).toBe(true);
      for (const id of removed) expect(ids.has(id), `removed checkpoint ${id} came back`).toBe(false);
      for (const meta of repo.list()) {
        const k = Number(/^step-(\d+)$/.exec(meta.label ?? '')?.[1]);
        const { deviceState } = repo.restore(meta.id, ram);
        expect(new TextDecoder().decode(deviceState)).toBe(`step ${k}`);
        expect(Buffer.compare(ram, stateAt(k)), `checkpoint ${meta.id} (step ${k})`).toBe(0);
      }
      repo.close();
    }
    console.log(`crash test: ${ITERATIONS} kills, ${commits} commits, ${removed.size} removals, ${gcs} gcs, ${recovered} recoveries of torn data`);
    expect(commits).toBeGreaterThanOrEqual(ITERATIONS / 2);
  });
}
