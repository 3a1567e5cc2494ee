// retrovisor analyze on a recording with periodic checkpoints (the built CLI): --jobs 1 and
// --jobs 2 give byte-identical results, every interval end is verified, insn-mix adds up,
// syscalls sees the guest's `echo`; a corrupted log, an interval that does not end in its
// checkpoint's state and a throwing plugin are reported naming the interval (and plugin).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planIntervals } from '../../src/analysis/plan.js';
import { runIntervalJob } from '../../src/analysis/run-interval.js';
import { PluginRegistry, type PluginFactory } from '../../src/analysis/plugin.js';
import type { InsnMixResult } from '../../src/analysis/plugins/insn-mix.js';
import { nodeJobEnvironment } from '../../src/node/analysis-environment.js';
import { openReplayLog } from '../../src/node/replay-log-file.js';
import { machineSpec, type RunOptions } from '../../src/cli/run-command.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'retrovisor-analyze-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
const log = join(dir, 'compute.rvr');
const repo = join(dir, 'repo');

function jobs(plugins: Array<{ name: string; options: Record<string, string> }>) {
  const reader = openReplayLog(log);
  return planIntervals(reader, { recording: log, repository: repo, machine: machineSpec(reader.meta.machine as RunOptions), plugins });
}

describe('retrovisor analyze', () => {
  let total = 0;
  beforeAll(() => {
    const rec = cli('record', '--workload', 'compute', '--args', '2,16', '--no-pace', '--repo', repo, '--checkpoint-every', '20M', '-o', log);
    expect(rec.status, rec.stderr).toBe(0);
    total = Number(/([\d,]+) instructions retired/.exec(rec.stderr)![1].replaceAll(',', ''));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives byte-identical results with --jobs 1 and --jobs 2, verifies every interval, and the plugins see known facts', () => {
    const one = join(dir, 'one.json'), two = join(dir, 'two.json');
    const a = cli('analyze', log, '--repo', repo, '--plugin', 'insn-mix,syscalls', '--jobs', '1', '-o', one);
    expect(a.status, a.stderr).toBe(0);
    const b = cli('analyze', log, '--repo', repo, '--plugin', 'insn-mix,syscalls', '--jobs', '2', '-o', two);
    expect(b.status, b.stderr).toBe(0);
    const bytes = readFileSync(one);
    expect(readFileSync(two).equals(bytes)).toBe(true);
    const out = JSON.parse(bytes.toString()) as {
      ok: boolean; intervals: Array<{ from: number; until: number; verified: boolean | null }>;
      plugins: { 'insn-mix': InsnMixResult; syscalls: { calls: Array<{ name: string; data?: string; ret: number | null; args: string[] }> } };
    };
    expect(out.ok).toBe(true);
    expect(out.intervals.length).toBeGreaterThanOrEqual(4);
    // every interval but the last ends at a checkpoint, and the replay ended in its exact state
    expect(out.intervals.slice(0, -1).every((i) => i.verified === true)).toBe(true);
    expect(out.intervals[out.intervals.length - 1].until).toBe(total);
    const mix = out.plugins['insn-mix'];
    expect(mix.privileges.U.retired + mix.privileges.S.retired + mix.privileges.M.retired).toBe(total);
    expect(mix.privileges.U.executed).toBeGreaterThan(0);
    // rv-run's `echo "RV-WORKLOAD-END compute status=$status"` (an ash builtin): one write(1, ..., 33) returning 33
    const end = out.plugins.syscalls.calls.filter((c) => c.name === 'write' && c.data === 'RV-WORKLOAD-END compute status=0\n');
    expect(end).toHaveLength(1);
    expect(end[0].args.slice(0, 1)).toEqual(['0x1']);
    expect(end[0].args[2]).toBe('0x21');
    expect(end[0].ret).toBe(33);
    expect(a.stderr).toContain('interval ends verified');
  }, 300_000);

  it('cuts the recording into more intervals (replaying once, checkpointing) without changing the merged results', () => {
    const cutLog = join(dir, 'cut.rvr');
    const c = cli('cut', log, '--every', '7M', '--repo', repo, '-o', cutLog);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/took \d+ checkpoints/);
    const out = join(dir, 'cut.json');
    const a = cli('analyze', cutLog, '--repo', repo, '--plugin', 'insn-mix,syscalls', '--jobs', '2', '-o', out);
    expect(a.status, a.stderr).toBe(0);
    const cut = JSON.parse(readFileSync(out, 'utf8')) as { intervals: Array<{ verified: boolean | null }>; plugins: unknown };
    const whole = JSON.parse(readFileSync(join(dir, 'one.json'), 'utf8')) as { intervals: unknown[]; plugins: unknown };
    expect(cut.intervals.length).toBeGreaterThan(whole.intervals.length + 5);
    expect(cut.intervals.slice(0, -1).every((i) => i.verified === true)).toBe(true);
    // a system call cut in two by a new boundary is still paired with its return
    expect(cut.plugins).toEqual(whole.plugins);
  }, 300_000);

  it('stops at a corrupted log frame and names the interval', () => {
    const bytes = new Uint8Array(readFileSync(log));
    const reader = openReplayLog(log);
    // a frame in the third interval (40M..60M)
    const f = reader.frames.find((x) => x.baseInstret > 40_000_000 && x.baseInstret < 60_000_000) ?? reader.frames.find((x) => x.baseInstret >= 40_000_000)!;
    bytes[f.payloadOffset + (f.storedLen >> 1)] ^= 0x5a;
    const bad = join(dir, 'corrupt.rvr');
    writeFileSync(bad, bytes);
    const r = cli('analyze', bad, '--repo', repo, '--plugin', 'insn-mix', '--jobs', '1', '--from', '40M', '--until', '60M', '-o', join(dir, 'bad.json'));
    expect(r.status).toBe(1);
    // frames are also cut by wall time (the recorder flushes every second), so on a fast machine the
    // corrupted frame may be the one holding the 40M checkpoint marker: the interval then starts at 20M
    expect(r.stderr).toMatch(/interval \d \(instret (20|40)000000\.\.60000000\): .*checksum mismatch/);
    expect(r.stderr).toContain('nothing was merged');
    const out = JSON.parse(readFileSync(join(dir, 'bad.json'), 'utf8')) as { ok: boolean; plugins?: unknown };
    expect(out.ok).toBe(false);
    expect(out.plugins).toBeUndefined();
  }, 120_000);

  it('reports an interval that does not end in the state of its checkpoint', () => {
    const plan = jobs([]);
    const j = plan[1];
    expect(j.end.checkpoint).not.toBeNull();
    // the job says interval 1 ends in the checkpoint that really ends interval 2
    const wrong = { ...j, end: { ...j.end, checkpoint: plan[2].end.checkpoint } };
    const r = runIntervalJob(wrong, nodeJobEnvironment());
    expect(r.status).toBe('mismatch');
    expect(r.verified).toBe(false);
    expect(r.error).toMatch(new RegExp(`^interval 1 \\(instret 20000000\\.\\.40000000\\) does not end in the state of checkpoint ${plan[2].end.checkpoint}: registers differ: .*RAM differs`));
    // the right checkpoint verifies
    const ok = runIntervalJob(j, nodeJobEnvironment());
    expect([ok.status, ok.verified]).toEqual(['ok', true]);
  }, 120_000);

  it('stops with an error naming the plugin and the interval when a plugin throws', () => {
    const thrower: PluginFactory<null> = {
      name: 'thrower', description: 'throws at the millionth instruction',
      create: () => { let n = 0; return { hooks: { insn: () => { if (++n === 1_000_000) throw new Error('out of patience'); } }, finish: () => null }; },
      merge: () => null, summary: () => [],
    };
    const env = { ...nodeJobEnvironment(), plugins: new PluginRegistry([thrower as PluginFactory]) };
    const j = jobs([{ name: 'thrower', options: {} }])[2];
    const r = runIntervalJob(j, env);
    expect(r.status).toBe('plugin-error');
    expect(r.plugin).toBe('thrower');
    expect(r.error).toBe('plugin thrower failed in interval 2 (insn): out of patience');
    expect(r.results).toEqual({});
  }, 120_000);
});
