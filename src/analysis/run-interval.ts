/**
 * Executes one interval job: rebuild the machine, restore the start
 * checkpoint (or boot), replay the recording up to the interval's end with
 * the plugins attached from `analyseFrom`, then check that the machine is
 * exactly in the state of the checkpoint that ends the interval. Runs
 * anywhere an environment can open the recording and the repository and
 * build a machine; it never throws for a failed interval: the result says
 * what failed, naming the interval (and the plugin).
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { SeededInputSource, type InputSource } from '../machine/input.js';
import { restoreMachineLazily } from '../checkpoint/restore-machine.js';
import type { Repository } from '../store/repository.js';
import { formatDivergence } from '../replay/divergence.js';
import type { LogReader } from '../replay/log-reader.js';
import { Replayer } from '../replay/replayer.js';
import type { IntervalJob, IntervalResult, IntervalStatus } from './interval-job.js';
import { PluginError } from './plugin-error.js';
import type { PluginRegistry } from './plugin.js';
import { PluginSet } from './plugin-set.js';
import { compareWithCheckpoint } from './state-match.js';

/** What a place that runs jobs provides (files and machine building are the host's business). */
export interface JobEnvironment {
  openLog(ref: string): LogReader;
  /** Opened read-only; closed by the caller of close(). */
  openRepository(ref: string): Repository;
  buildMachine(machine: unknown, input: InputSource): { machine: VirtMachine; cleanup: () => void };
  readonly plugins: PluginRegistry;
  /** Told now and then how far the interval got (instret). */
  progress?(job: IntervalJob, instret: number): void;
}

const PROGRESS_STEP = 2_000_000;

export function runIntervalJob(job: IntervalJob, env: JobEnvironment): IntervalResult {
  const t0 = performance.now();
  const timing = { restoreMs: 0, skipMs: 0, analyseMs: 0, verifyMs: 0, totalMs: 0, instructions: 0, analysedInstructions: 0, pagesLoaded: 0 };
  let status: IntervalStatus = 'ok';
  let error: string | null = null;
  let plugin: string | null = null;
  let verified: boolean | null = null;
  let results: Record<string, unknown> = {};
  let analysedFrom = job.analyseFrom;
  let until = job.end.instret ?? job.start.instret;
  const where = `interval ${job.index} (instret ${job.start.instret}..${job.end.instret ?? 'end'})`;
  let repo: Repository | null = null;
  let cleanup: (() => void) | null = null;
  try {
    if (job.version !== 1) throw new Error(`job version ${String(job.version)} (this build runs version 1)`);
    const reader = env.openLog(job.recording);
    const replayer = new Replayer(reader, { until: job.end.instret ?? undefined, verifyRam: 'after-start' });
    const needRepo = job.start.checkpoint !== null || (job.verify && job.end.checkpoint !== null);
    if (needRepo) {
      if (job.repository === null) throw new Error('the job needs a checkpoint repository');
      repo = env.openRepository(job.repository);
    }
    const input: InputSource = job.start.checkpoint !== null ? new SeededInputSource() : replayer.source;
    const built = env.buildMachine(job.machine, input);
    cleanup = built.cleanup;
    const m = built.machine;
    // lazily: an interval loads only the pages it touches (its working set), and the
    // verification below compares only pages it wrote or that the two checkpoints store differently
    const lazy = job.start.checkpoint !== null ? restoreMachineLazily(m, repo!, job.start.checkpoint) : null;
    const startMap = lazy?.map ?? null;
    if (m.instret !== job.start.instret) throw new Error(`the start checkpoint is at instret ${m.instret}, the job expects ${job.start.instret}`);
    const tRestored = performance.now();
    timing.restoreMs = tRestored - t0;
    replayer.attach(m, job.start.enter === 'marker' ? { checkpoint: String(job.start.checkpoint) } : {});

    const plugins = new PluginSet(job.plugins.map((p) => ({ factory: env.plugins.get(p.name), options: p.options })), {
      machine: m,
      interval: { index: job.index, from: job.analyseFrom, until: job.end.instret ?? Number.MAX_SAFE_INTEGER },
    });
    const instr = plugins.instrumentation();
    let active = false;
    let tActive = tRestored;
    const activate = (): void => {
      active = true;
      tActive = performance.now();
      analysedFrom = m.instret;
      if (instr) m.instrument(instr);
    };
    if (job.analyseFrom <= m.instret) activate();
    let nextProgress = m.instret + PROGRESS_STEP;
    const detach = m.observe({
      sliceLimit: (vm, max) => (active ? max : Math.min(max, job.analyseFrom - vm.instret)),
      afterSlice: (vm) => {
        if (!active && vm.instret >= job.analyseFrom) activate();
        if (env.progress && vm.instret >= nextProgress) { nextProgress = vm.instret + PROGRESS_STEP; env.progress(job, vm.instret); }
      },
    });
    let r;
    try {
      r = replayer.run();
    } finally {
      m.instrument(null);
      detach();
    }
    const tEnd = performance.now();
    timing.skipMs = tActive - tRestored;
    timing.analyseMs = tEnd - tActive;
    until = m.instret;
    timing.instructions = m.instret - job.start.instret;
    timing.analysedInstructions = active ? m.instret - analysedFrom : 0;
    timing.pagesLoaded = lazy?.faulted.length ?? 0;
    if (plugins.failure) throw plugins.failure;
    if (r.stop === 'diverged' && r.divergence) {
      status = 'diverged';
      error = `${where}: ${formatDivergence(r.divergence)}`;
    } else if (job.end.instret !== null && m.instret !== job.end.instret) {
      status = 'error';
      error = `${where}: replay stopped (${r.stop}) at instret ${m.instret} before the interval's end`;
    } else {
      results = plugins.finish();
      if (job.verify && job.end.checkpoint !== null) {
        const diff = compareWithCheckpoint(m, repo!, job.end.checkpoint, startMap ?? undefined);
        timing.verifyMs = performance.now() - tEnd;
        verified = diff === null;
        if (diff !== null) {
          status = 'mismatch';
          error = `${where} does not end in the state of checkpoint ${job.end.checkpoint}: ${diff}`;
          results = {};
        }
      }
    }
  } catch (e) {
    results = {};
    if (e instanceof PluginError) {
      status = 'plugin-error';
      plugin = e.plugin;
      error = e.inInterval(job.index).message;
    } else {
      status = 'error';
      error = `${where}: ${(e as Error).message}`;
    }
  } finally {
    cleanup?.();
    repo?.close();
  }
  timing.totalMs = performance.now() - t0;
  return { index: job.index, status, from: analysedFrom, until, verified, error, plugin, results, timing };
}
