/**
 * Parallel interval analysis benchmark: records a CPU- and memory-heavy
 * workload (compute: LZ77 over generated text) with a checkpoint every
 * --every instructions, then analyses it with each built-in plugin (and all
 * of them at once) at --jobs 1..cores: wall time, speed-up, parallel
 * efficiency, the plugin's replay slowdown against plain replay, and the
 * speed-up the model of docs/analysis.md predicts for 64 cores.
 *   npm run bench:analyze [-- --args 4,64 --every 25M --max-jobs N --plugins insn-mix,cachesim]
 * No QEMU peer: QEMU's TCG plugins analyse a live run, not replayed intervals.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planIntervals } from '../src/analysis/plan.js';
import type { IntervalJob, IntervalResult } from '../src/analysis/interval-job.js';
import { builtinPlugins } from '../src/analysis/builtin-plugins.js';
import { mergeIntervals } from '../src/analysis/merge-results.js';
import { openReplayLog } from '../src/node/replay-log-file.js';
import { runJobs } from '../src/node/worker-pool.js';
import { guestNodeArgs } from '../src/node/guest-process-flags.js';
import { machineSpec, type RunOptions } from '../src/cli/run-command.js';

const arg = (name: string, fallback: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback; };
const ARGS = arg('args', '4,64');
const EVERY = arg('every', '25M');
const MAX_JOBS = Number(arg('max-jobs', String(availableParallelism())));
const registry = builtinPlugins();
const PLUGINS = arg('plugins', [...registry.names(), 'all'].join(',')).split(',');
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url)); // dist/bench/bench -> dist/cli

const dir = mkdtempSync(join(tmpdir(), 'retrovisor-bench-analyze-'));
const log = join(dir, 'compute.rvr');
const repo = join(dir, 'repo');
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

async function timed(jobs: IntervalJob[], workers: number): Promise<{ wallMs: number; results: IntervalResult[] }> {
  const t0 = performance.now();
  const results = await runJobs(jobs, workers);
  const wallMs = performance.now() - t0;
  const bad = results.find((r) => r.status !== 'ok');
  if (bad) throw new Error(bad.error ?? 'interval failed');
  return { wallMs, results };
}

async function main(): Promise<void> {
  try {
    const t0 = performance.now();
    const rec = spawnSync(process.execPath, [...guestNodeArgs(), CLI, 'record', '--workload', 'compute', '--args', ARGS, '--no-pace', '--repo', repo, '--checkpoint-every', EVERY, '-o', log], { encoding: 'utf8' });
    if (rec.status !== 0) throw new Error(`record failed: ${rec.stderr}`);
    const recordMs = performance.now() - t0;
    const reader = openReplayLog(log);
    const plan = (plugins: string[]): IntervalJob[] => planIntervals(reader, {
      recording: log, repository: repo, machine: machineSpec(reader.meta.machine as RunOptions),
      plugins: plugins.map((name) => ({ name, options: {} })),
    });
    const plainJobs = plan([]);
    const total = Number(/([\d,]+) instructions retired/.exec(rec.stderr)?.[1].replaceAll(',', '') ?? NaN);
    const ckptLine = /checkpoints \(.*pause median ([\d.]+) ms/.exec(rec.stderr);
    console.log(`workload compute ${ARGS}: ${(total / 1e6).toFixed(0)} M instructions, ${plainJobs.length} intervals of ${EVERY}, recorded in ${(recordMs / 1000).toFixed(1)} s (checkpoint pause median ${ckptLine?.[1] ?? '?'} ms); ${availableParallelism()} cores, jobs 1..${MAX_JOBS}`);

    const plain = await timed(plainJobs, 1);
    const plainReplay = sum(plain.results.map((r) => r.timing.skipMs + r.timing.analyseMs));
    const restore = median(plain.results.map((r) => r.timing.restoreMs));
    const verify = median(plain.results.map((r) => r.timing.verifyMs));
    console.log(`plain replay (no plugins, translator on): ${(plain.wallMs / 1000).toFixed(1)} s wall at --jobs 1, of which replay ${(plainReplay / 1000).toFixed(1)} s (${(total / plainReplay / 1e3).toFixed(1)} MIPS); restore median ${restore.toFixed(0)} ms, verification median ${verify.toFixed(0)} ms per interval`);
    console.log('');
    console.log('| plugin | jobs | wall | speed-up | efficiency | replay slowdown vs plain | analysed MIPS | same result as --jobs 1 | modelled 64-core speed-up |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const p of PLUGINS) {
      const names = p === 'all' ? registry.names() : [p];
      const jobs = plan(names);
      let base: { wallMs: number; json: string } | null = null;
      for (let j = 1; j <= MAX_JOBS; j++) {
        const r = await timed(jobs, j);
        const json = JSON.stringify(mergeIntervals(log, r.results, jobs[0].plugins, registry).output);
        const analysed = sum(r.results.map((x) => x.timing.skipMs + x.timing.analyseMs));
        const s = analysed / plainReplay;
        let model = '';
        if (!base) {
          base = { wallMs: r.wallMs, json };
          // S(P) = n s L / (ceil(n/P) (r + s L)), for n >> P intervals of this length
          const L = plainReplay / 1000 / jobs.length, rr = (restore + verify) / 1000;
          model = `${((64 * s * L) / (rr + s * L)).toFixed(1)}x (L ${L.toFixed(2)} s, r ${rr.toFixed(2)} s, s ${s.toFixed(1)})`;
        }
        const speedup = base.wallMs / r.wallMs;
        console.log(`| ${p === 'all' ? names.join('+') : p} | ${j} | ${(r.wallMs / 1000).toFixed(1)} s | ${speedup.toFixed(2)}x | ${((100 * speedup) / j).toFixed(0)}% | ${s.toFixed(1)}x | ${(total / analysed / 1e3).toFixed(2)} | ${json === base.json ? 'yes' : 'NO'} | ${model} |`);
      }
    }
    // worker threads share the process: this is the whole benchmark's peak (the recording ran in a child)
    console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
