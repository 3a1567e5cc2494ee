import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { describeState, initialRam, stepRam } from './stress-child.js';
import { openRepo, tempDir } from './helpers.js';
import { transpileTree } from './transpile.js';

export interface StressPlan {
  /** Writers: pages, mutations per step, ms between checkpoints, checkpoints. */
  writers: Array<{ pages: number; mutations: number; interval: number; count: number }>;
  readers: number;
  /** Prune (keep the newest N) and gc this many ms after the start. */
  pruneAt: number;
  keepLast: number;
  /** Writer index that hangs in the middle of this commit (then is killed with SIGKILL). */
  hangWriter: number;
  hangAt: number;
}

interface Child { proc: ChildProcess; lines: string[]; done: Promise<{ code: number | null; signal: string | null }>; err: () => string }

/**
 * Many processes on one repository at once: writers of different sizes and
 * rates, readers listing/verifying/restoring, a prune + gc in the middle and
 * one writer killed with SIGKILL while it holds the lock mid-commit. After
 * all: `verify` is clean and every checkpoint whose commit returned (and that
 * the prune did not remove) restores bit-exact.
 */
export function stressSuite(plan: StressPlan): void {
  const root = resolve(import.meta.dirname, '../..');
  const build = join(root, 'node_modules', '.cache', `rv-stress-${process.pid}`);
  let dir = '';
  let cleanup = () => {};
  beforeAll(() => {
    transpileTree(root, ['src/machine/memory.ts', 'src/encoding', 'src/store', 'src/node/fs-store.ts', 'src/node/codecs', 'test/encoding/corpus.ts', 'test/support/prng.ts', 'test/store/stress-child.ts'], build);
    ({ dir, cleanup } = tempDir('rv-stress-'));
  });
  afterAll(() => {
    cleanup();
    rmSync(build, { recursive: true, force: true });
  });

  function start(args: string[], onLine?: (l: string, c: Child) => void): Child {
    const proc = spawn(process.execPath, [join(build, 'test/store/stress-child.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '', err = '';
    const c: Child = { proc, lines: [], done: null as unknown as Child['done'], err: () => err };
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); c.lines.push(l); onLine?.(l, c); }
    });
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    c.done = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
    return c;
  }

  test(`${plan.writers.length} writers, ${plan.readers} readers, a prune and a SIGKILL mid-commit: nothing committed is lost`, async () => {
    const t0 = Date.now();
    let killedMidCommit = 0;
    const writers = plan.writers.map((w, i) => start(
      ['writer', dir, `w${i}`, String(100 + i), String(w.pages), String(w.mutations), String(w.interval), String(w.count), ...(i === plan.hangWriter ? [String(plan.hangAt)] : [])],
      (l, c) => { if (l === 'K') { killedMidCommit++; c.proc.kill('SIGKILL'); } },
    ));
    // readers start once the repository exists
    await new Promise((r) => setTimeout(r, 300));
    const readers = Array.from({ length: plan.readers }, () => start(['reader', dir]));
    await new Promise((r) => setTimeout(r, plan.pruneAt));
    const pruner = start(['prune', dir, String(plan.keepLast)]);
    const pr = await pruner.done;
    expect(pr.code, pruner.err()).toBe(0);
    const results = await Promise.all(writers.map((w) => w.done));
    for (const r of readers) r.proc.kill('SIGTERM');
    await Promise.all(readers.map((r) => r.done));
    const seconds = (Date.now() - t0) / 1000;

    results.forEach((r, i) => {
      if (i === plan.hangWriter) expect(r.signal).toBe('SIGKILL');
      else expect(r.code, `writer ${i}: ${writers[i].err()}`).toBe(0);
    });
    expect(killedMidCommit).toBe(1);
    const readerErrors = readers.flatMap((r) => r.lines.filter((l) => l.startsWith('E')));
    expect(readerErrors).toEqual([]);
    const readerPasses = readers.reduce((s, r) => s + r.lines.filter((l) => l.startsWith('V')).length, 0);

    const pruned = new Set(pruner.lines.filter((l) => l.startsWith('P')).map((l) => Number(l.split(' ')[1])));
    const committed = new Map<number, { writer: number; step: number }>();
    let conflicts = 0;
    writers.forEach((w, i) => {
      for (const l of w.lines) {
        const [op, a, b] = l.split(' ');
        if (op === 'C') committed.set(Number(a), { writer: i, step: Number(b) });
        if (op === 'X') conflicts++;
      }
    });
    const repo = openRepo(dir, false);
    expect(repo.verify().filter((p) => p.severity === 'error')).toEqual([]);
    const ids = new Set(repo.list().map((m) => m.id));
    let lost = 0, restored = 0;
    for (const [id, { writer, step }] of committed) {
      if (pruned.has(id)) { expect(ids.has(id), `pruned checkpoint ${id} came back`).toBe(false); continue; }
      if (!ids.has(id)) { lost++; continue; }
      const w = plan.writers[writer];
      const ram = initialRam(w.pages, 100 + writer);
      const dirty = new Uint8Array(w.pages);
      for (let s = 1; s <= step; s++) stepRam(ram, dirty, 100 + writer, w.mutations, s);
      const out = new Uint8Array(w.pages * PAGE_SIZE);
      const { deviceState } = repo.restore(id, out);
      expect(Buffer.compare(out, ram), `checkpoint ${id} (writer ${writer} step ${step})`).toBe(0);
      expect(new TextDecoder().decode(deviceState)).toBe(describeState(`w${writer}`, step, ram));
      restored++;
    }
    // only ids some writer saw committed exist (the killed commit never became visible)
    for (const id of ids) expect(committed.has(id), `checkpoint ${id} exists but no writer saw it committed`).toBe(true);
    repo.close();
    console.log(`stress: ${plan.writers.length} writers, ${committed.size} checkpoints committed, ${pruned.size} pruned, ${restored} restored bit-exact, ` +
      `${killedMidCommit} SIGKILL mid-commit, ${conflicts} gc conflicts retried, ${readerPasses} clean reader passes, lost ${lost}, ${seconds.toFixed(1)} s`);
    expect(lost).toBe(0);
  });
}
