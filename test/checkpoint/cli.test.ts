// checkpoint ls/show/diff/rm/prune and repo verify/stats on a small repository, human and --json.
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { GuestSession } from '../support/guest-session.js';
import { MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { checkpointDiff, checkpointLs, checkpointPrune, checkpointRm, checkpointShow } from '../../src/cli/checkpoint-command.js';
import { repoStats, repoVerify } from '../../src/cli/repo-command.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';

const { dir, cleanup } = tempDir('rv-ckpt-cli-');
afterAll(cleanup);

beforeAll(() => {
  const s = new GuestSession({ memoryBytes: 64 << 20, input: new SeededInputSource() });
  const repo = openRepo(dir);
  const ck = new MachineCheckpointer(s.machine, repo, codecs, { config: JSON.stringify({ m: '64M' }) });
  for (let i = 0; i < 6; i++) {
    s.machine.run(1_000_000);
    ck.capture({ label: i === 0 ? 'first' : undefined });
  }
  repo.close();
  s.close();
});

/** Runs a command, returning its exit code and what it printed on stdout. */
function cli(f: () => number): { code: number; text: string } {
  let text = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { text += String(s); return true; });
  try {
    return { code: f(), text };
  } finally {
    spy.mockRestore();
  }
}
const json = (f: () => number): unknown => JSON.parse(cli(f).text);

test('ls', () => {
  const list = json(() => checkpointLs({ repo: dir, json: true })) as Array<{ id: number; parent: number | null; instructions: number; label?: string }>;
  expect(list.map((c) => c.id)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(list.map((c) => c.parent)).toEqual([null, 1, 2, 3, 4, 5]);
  expect(list[2].instructions).toBe(3_000_000);
  expect(list[0].label).toBe('first');
  const human = cli(() => checkpointLs({ repo: dir }));
  expect(human.code).toBe(0);
  expect(human.text).toMatch(/^id\s+parent\s+instructions/);
  expect(human.text).toContain('3,000,000');
});

test('show', () => {
  const s = json(() => checkpointShow('2', { repo: dir, json: true })) as { id: number; pages: number; metrics: Record<string, number>; machine: unknown };
  expect(s.id).toBe(2);
  expect(s.pages).toBe(16384);
  expect(s.metrics.full).toBe(0);
  expect(s.metrics.downtimeMs).toBeGreaterThan(0);
  expect(s.machine).toEqual({ m: '64M' });
  const human = cli(() => checkpointShow('latest', { repo: dir })).text;
  expect(human).toContain('checkpoint 6');
  expect(human).toMatch(/downtime\s+\d/);
  expect(human).toMatch(/compressed\s+\d/);
});

test('diff', () => {
  const d = json(() => checkpointDiff('1', '2', { repo: dir, json: true })) as { instructions: number; pagesChanged: number; stateComponentsChanged: string[] };
  expect(d.instructions).toBe(1_000_000);
  expect(d.pagesChanged).toBeGreaterThan(0);
  expect(d.stateComponentsChanged).toContain('hart');
  expect(cli(() => checkpointDiff('2', '2', { repo: dir })).text).toContain('state changed    nothing');
});

test('rm, prune, verify, stats', () => {
  expect(json(() => checkpointRm(['3'], { repo: dir, json: true }))).toMatchObject({ removed: [3] });
  expect(() => checkpointShow('3', { repo: dir })).toThrow(/no checkpoint 3/);
  expect(json(() => checkpointPrune({ repo: dir, json: true, keepLast: '2', dryRun: true }))).toEqual({ wouldRemove: [1, 2, 4], kept: 2 });
  // keep the last one, and the oldest of every 2.5M instructions: 1 (0-2.5M), 4 (2.5-5M), 5 (5-7.5M); 6 is the last
  const p = json(() => checkpointPrune({ repo: dir, json: true, keepLast: '1', keepEvery: '2.5M' })) as { removed: number[]; kept: number };
  expect(p.removed).toEqual([2]);
  expect((json(() => checkpointLs({ repo: dir, json: true })) as Array<{ id: number }>).map((c) => c.id)).toEqual([1, 4, 5, 6]);
  const v = json(() => repoVerify({ repo: dir, json: true })) as { ok: boolean; checkpoints: number; problems: unknown[] };
  expect(v).toMatchObject({ ok: true, checkpoints: 4, problems: [] });
  expect(cli(() => repoVerify({ repo: dir })).text).toMatch(/^ok: 4 checkpoints, 0 errors/m);
  const st = json(() => repoStats({ repo: dir, json: true })) as { checkpoints: number; logicalBytes: number; onDiskBytes: number };
  expect(st.checkpoints).toBe(4);
  expect(st.logicalBytes).toBe(4 * 64 << 20);
  expect(st.onDiskBytes).toBeLessThan(st.logicalBytes);
  expect(cli(() => repoStats({ repo: dir })).text).toContain('ratio');
});

test('a damaged repository fails verify with exit code 1', async () => {
  const { readdirSync, readFileSync, writeFileSync } = await import('node:fs');
  const packs = readdirSync(`${dir}/packs`);
  const f = `${dir}/packs/${packs[0]}`;
  const b = readFileSync(f);
  b[b.length - 100] ^= 0xff;
  writeFileSync(f, b);
  const r = cli(() => repoVerify({ repo: dir, json: true }));
  expect(r.code).toBe(1);
  expect((JSON.parse(r.text) as { ok: boolean }).ok).toBe(false);
});

test('a missing repository is a clear error', () => {
  expect(() => checkpointLs({ repo: `${dir}/nope` })).toThrow(/no checkpoint repository at .*nope/);
});
