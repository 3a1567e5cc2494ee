/**
 * `retrovisor analyze LOG`: replays every interval of a recording (between
 * its checkpoint markers) with analysis plugins, on N worker threads, checks
 * that each interval ends in the state of the next checkpoint, merges the
 * results in order and writes them as JSON, with a summary on stderr.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { builtinPlugins } from '../analysis/builtin-plugins.js';
import type { IntervalJob, IntervalResult } from '../analysis/interval-job.js';
import { mergeIntervals } from '../analysis/merge-results.js';
import { parsePluginSpec, type PluginSpec } from '../analysis/plugin.js';
import { boundaries, planIntervals } from '../analysis/plan.js';
import { runIntervalJob } from '../analysis/run-interval.js';
import { nodeJobEnvironment } from '../node/analysis-environment.js';
import { openReplayLog } from '../node/replay-log-file.js';
import { runJobs } from '../node/worker-pool.js';
import { parseCount } from './qemu-style-args.js';
import { repoDir } from './repo-location.js';
import { machineSpec, type RunOptions } from './run-command.js';
import { openRepository } from './repo-location.js';

export interface AnalyzeOptions {
  repo?: string;
  plugin: string;
  jobs?: string;
  from?: string;
  until?: string;
  output?: string;
  stats?: boolean;
  verify?: boolean;
  progress?: boolean;
}

/** Splits `a,b:k=v,c` into plugin specs. */
export function parsePluginList(text: string): PluginSpec[] {
  const specs = text.split(',').filter((s) => s.trim() !== '').map(parsePluginSpec);
  if (specs.length === 0) throw new Error('--plugin needs at least one plugin');
  const registry = builtinPlugins();
  for (const s of specs) registry.get(s.name);
  if (new Set(specs.map((s) => s.name)).size !== specs.length) throw new Error('--plugin names a plugin twice');
  return specs;
}

class Progress {
  private readonly done = new Map<number, number>();
  private last = 0;
  constructor(private readonly jobs: readonly IntervalJob[], private readonly total: number, private readonly enabled: boolean) {}
  update(index: number, instret: number): void {
    const job = this.jobs.find((j) => j.index === index);
    if (job) this.done.set(index, instret - job.start.instret);
    this.draw();
  }
  finished(r: IntervalResult): void {
    const job = this.jobs.find((j) => j.index === r.index);
    if (job) this.done.set(r.index, r.until - job.start.instret);
    this.draw(true);
  }
  private draw(force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    const sum = [...this.done.values()].reduce((s, v) => s + v, 0);
    const frac = this.total > 0 ? Math.min(1, sum / this.total) : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    process.stderr.write(`\r[${bar}] ${(100 * frac).toFixed(0).padStart(3)}% of ${(this.total / 1e6).toFixed(0)} M instructions`);
  }
  clear(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}

export async function analyzeCommand(path: string, opts: AnalyzeOptions): Promise<number> {
  const specs = parsePluginList(opts.plugin);
  const jobsWanted = opts.jobs ? Number(opts.jobs) : availableParallelism();
  if (!Number.isInteger(jobsWanted) || jobsWanted < 1) throw new Error(`--jobs takes a positive integer, got "${opts.jobs}"`);
  const recording = resolve(path);
  const reader = openReplayLog(recording);
  if (reader.truncated) process.stderr.write(`retrovisor: ${path}: ${reader.truncation}; analysing up to frame ${reader.frames.length - 1}\n`);
  const jobs = planIntervals(reader, {
    recording,
    repository: repoDir(opts.repo),
    machine: machineSpec(reader.meta.machine as RunOptions),
    plugins: specs,
    from: opts.from !== undefined ? parseCount(opts.from) : undefined,
    until: opts.until !== undefined ? parseCount(opts.until) : undefined,
    verify: opts.verify !== false,
  });
  const last = boundaries(reader).end;
  const total = jobs.reduce((s, j) => s + ((j.end.instret ?? last) - j.start.instret), 0);
  const progress = new Progress(jobs, total, opts.progress !== false && process.stderr.isTTY === true);
  const t0 = performance.now();
  const results = await runJobs(jobs, jobsWanted, { progress: (i, n) => progress.update(i, n), done: (r) => progress.finished(r) });
  const wallMs = performance.now() - t0;
  progress.clear();

  const registry = builtinPlugins();
  const { output, merged } = mergeIntervals(recording, results, specs, registry);
  const json = JSON.stringify(output, null, 1) + '\n';
  if (opts.output) writeFileSync(opts.output, json);
  else process.stdout.write(json);

  const err = (s: string): boolean => process.stderr.write(`${s}\n`);
  const failed = results.filter((r) => r.status !== 'ok');
  const skipped = jobs.length - results.length;
  for (const r of failed) err(`retrovisor: ${r.error}`);
  if (failed.length > 0) {
    err(`retrovisor: ${failed.length} of ${jobs.length} intervals failed${skipped > 0 ? ` (${skipped} not run)` : ''}; nothing was merged`);
  } else {
    const n = results.reduce((s, r) => s + r.until - r.from, 0);
    err(`analysed ${jobs.length} intervals, ${n.toLocaleString('en-US')} instructions, in ${(wallMs / 1000).toFixed(2)} s on ${Math.min(jobsWanted, jobs.length)} worker${jobsWanted > 1 ? 's' : ''}${opts.verify === false ? '' : `; ${results.filter((r) => r.verified).length} interval ends verified against their checkpoints`}`);
    for (const s of specs) {
      const f = registry.get(s.name);
      for (const line of f.summary(merged[s.name], s.options)) err(`  ${s.name}: ${line}`);
    }
  }
  if (opts.stats) printStats(jobs, results, wallMs, jobsWanted, opts);
  if (failed.some((r) => r.status === 'plugin-error' || r.status === 'error')) return 1;
  return failed.length > 0 ? 3 : 0;
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[s.length >> 1] : NaN; };

/** The figures the speed-up model needs (docs/analysis.md): checkpoint cost, interval length, slowdown, restore time. */
function printStats(jobs: readonly IntervalJob[], results: readonly IntervalResult[], wallMs: number, workers: number, opts: AnalyzeOptions): void {
  const ok = results.filter((r) => r.status === 'ok');
  if (ok.length === 0) return;
  const lines: string[] = [];
  const lens = ok.map((r) => r.timing.instructions);
  lines.push(`intervals         ${jobs.length}; length median ${(median(lens) / 1e6).toFixed(1)} M instructions (min ${(Math.min(...lens) / 1e6).toFixed(1)}, max ${(Math.max(...lens) / 1e6).toFixed(1)})`);
  // checkpoint cost as measured when recording (stored with each checkpoint)
  const ids = jobs.map((j) => j.end.checkpoint).filter((x): x is number => x !== null);
  if (ids.length > 0) {
    try {
      const { repo } = openRepository(opts.repo, 'read');
      try {
        const metas = ids.filter((id) => repo.has(id)).map((id) => repo.get(id));
        const down = metas.map((m) => Number((m.metrics as unknown as Record<string, number> | undefined)?.downtimeMs ?? NaN)).filter((x) => !Number.isNaN(x));
        const bytes = metas.map((m) => m.bytesWritten);
        lines.push(`checkpoint cost   downtime median ${median(down).toFixed(1)} ms, ${(median(bytes) / 1024).toFixed(0)} KiB stored per checkpoint (as recorded)`);
      } finally {
        repo.close();
      }
    } catch (e) {
      lines.push(`checkpoint cost   unavailable (${(e as Error).message})`);
    }
  }
  const restore = ok.map((r) => r.timing.restoreMs);
  const verify = ok.map((r) => r.timing.verifyMs);
  const loaded = ok.filter((r) => r.timing.pagesLoaded > 0).map((r) => r.timing.pagesLoaded);
  lines.push(`restore time      median ${median(restore).toFixed(0)} ms per interval (building the machine included, RAM restored lazily${loaded.length ? `: median ${median(loaded).toLocaleString('en-US')} pages loaded on first touch` : ''}); verification median ${median(verify).toFixed(0)} ms`);
  // calibration: the longest interval that starts at a checkpoint (not at boot) replayed again without plugins, in this thread
  const byIndex = new Map(jobs.map((j) => [j.index, j]));
  const pick = [...ok].sort((a, b) => Number(byIndex.get(b.index)!.start.enter === 'marker') - Number(byIndex.get(a.index)!.start.enter === 'marker') || b.timing.instructions - a.timing.instructions)[0];
  const probe = byIndex.get(pick.index)!;
  const plain = runIntervalJob({ ...probe, plugins: [], verify: false }, nodeJobEnvironment());
  const analysedMs = pick.timing.analyseMs + pick.timing.skipMs;
  const plainMs = plain.timing.analyseMs + plain.timing.skipMs;
  const s = analysedMs / plainMs;
  lines.push(`replay slowdown   ${s.toFixed(2)}x with ${probe.plugins.map((p) => p.name).join('+')} (interval ${probe.index}: ${(analysedMs / 1000).toFixed(2)} s analysed vs ${(plainMs / 1000).toFixed(2)} s plain replay, ${(plain.timing.instructions / plainMs / 1e3).toFixed(1)} MIPS plain)`);
  const serialMs = ok.reduce((t, r) => t + r.timing.totalMs, 0);
  lines.push(`wall time         ${(wallMs / 1000).toFixed(2)} s on ${workers} workers; the intervals' own times add up to ${(serialMs / 1000).toFixed(2)} s (${(serialMs / wallMs).toFixed(2)}x parallel)`);
  const L = plainMs / 1000, r = (median(restore) + median(verify)) / 1000;
  const model = (P: number, n: number): number => (n * s * L) / (Math.ceil(n / P) * (r + s * L));
  lines.push(`model             speed-up S(P) = n*s*L / (ceil(n/P) * (r + s*L)), L = ${L.toFixed(2)} s, r = ${r.toFixed(2)} s, s = ${s.toFixed(2)}: S(${workers}) = ${model(workers, jobs.length).toFixed(2)}, S(64) = ${model(64, jobs.length).toFixed(2)} for these ${jobs.length} intervals, ${model(64, 64 * 16).toFixed(1)} with 1024 such intervals`);
  process.stderr.write(lines.map((l) => `analyze: ${l}\n`).join(''));
}
