/** Checkpointing inside `run` and `restore`: periodic captures, Ctrl-A s, restoring at start. */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { TIMEBASE_HZ } from '../machine/clock.js';
import { CheckpointSchedule } from '../checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer, type Capture, type CaptureResult, type MachineCheckpointerOptions } from '../checkpoint/machine-checkpointer.js';
import { parseCheckpointInterval } from './checkpoint-interval.js';
import type { RunHooks, RunOptions } from './run-command.js';
import { machineOptions } from './run-command.js';
import { openRepository, type OpenedRepository } from './repo-location.js';
import { formatBytes } from './checkpoint-format.js';
import { readLinuxLayout } from '../node/guest-images.js';
import type { LazyRestore } from '../checkpoint/lazy-restore.js';
import type { Pressure } from '../checkpoint/checkpoint-schedule.js';
import { defaultPageWorkers, NodePageWorkerPool } from '../node/page-worker-pool.js';

export interface CheckpointSessionOptions {
  /** Restore this checkpoint when the machine starts. */
  restore?: number;
  /** Restore lazily (pages load on first access and in the background), as `retrovisor restore` does unless --eager. */
  lazy?: boolean;
  /** Open the repository now (not only at the first Ctrl-A s). */
  eager?: boolean;
  /** Told of every checkpoint taken (the recorder marks its log with it). */
  onCapture?: (result: CaptureResult) => void;
  /** Force a capture mode (the recorder needs stop-and-copy: it marks the log with the id at the capture instant). */
  mode?: CheckpointModeName;
}

export type CheckpointModeName = 'stop' | 'cow' | 'cow+predict';

/** Checkpointer options of a `--checkpoint-mode` value (default cow+predict). */
export function checkpointModeOptions(name: string | undefined): Pick<MachineCheckpointerOptions, 'mode' | 'predict'> {
  switch (name ?? 'cow+predict') {
    case 'stop': return { mode: 'stop' };
    case 'cow': return { mode: 'cow' };
    case 'cow+predict': return { mode: 'cow', predict: true };
    default: throw new Error(`unknown checkpoint mode ${name}: expected stop, cow or cow+predict`);
  }
}

/** Page worker threads of `--checkpoint-workers` (default: cores - 1, at least 1; 0: none). */
export function checkpointWorkers(value: string | undefined): number {
  if (value === undefined || value === 'auto') return defaultPageWorkers();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`--checkpoint-workers: expected 0..64 or auto, got ${value}`);
  return n;
}

/**
 * `--checkpoint-pressure`. Default: 'wait' on the virtual clock (checkpoints
 * stay on the grid of guest time, which replay relies on), 'coalesce' on the
 * realtime clock (not deterministic anyway: there a wait stops a guest that
 * owes work by host time, which then catches up and dirties more, and the
 * next capture is bigger; measured in docs/checkpoints.md).
 */
export function checkpointPressure(value: string | undefined, clock: 'virtual' | 'realtime' = 'virtual'): Pressure {
  if (value === undefined) return clock === 'realtime' ? 'coalesce' : 'wait';
  if (value === 'wait' || value === 'coalesce') return value;
  throw new Error(`--checkpoint-pressure: expected wait or coalesce, got ${value}`);
}

/** The data-reduction switches of the command line, as checkpointer options. */
export function exclusionOptions(opts: RunOptions): Pick<MachineCheckpointerOptions, 'subpageBlock' | 'similarity' | 'freePages' | 'pageCache' | 'kernelLayout'> {
  const block = opts.subpageDelta === undefined || opts.subpageDelta === false ? 0 : opts.subpageDelta === true ? 64 : Number(opts.subpageDelta);
  if (!Number.isInteger(block) || block < 0) throw new Error(`--subpage-delta: bad block size ${String(opts.subpageDelta)}`);
  // the layout of the kernel this machine boots (the standard one, or --kernel if the layout was made from it)
  const kernelLayout = opts.kernelFreePages ? readLinuxLayout({ dir: opts.imagesDir, kernelPath: opts.kernel }) : undefined;
  return { subpageBlock: block, similarity: opts.similarity === true, freePages: opts.freePageExclusion !== false, pageCache: opts.pageCacheExclusion === true, kernelLayout };
}

/** Run hooks that add checkpointing to `runCommand`. */
export function checkpointHooks(opts: RunOptions, session: CheckpointSessionOptions = {}): RunHooks {
  let opened: OpenedRepository | null = null;
  let ckpt: MachineCheckpointer | null = null;
  let schedule: CheckpointSchedule | null = null;
  let lazy: LazyRestore | null = null;
  let restoreStarted = 0;
  let lastPrefetch = 0;
  const taken: CaptureResult[] = [];
  let failed = 0;
  const config = JSON.stringify(machineOptions(opts));
  const modeOptions = checkpointModeOptions(session.mode ?? opts.checkpointMode);
  const workers = checkpointWorkers(opts.checkpointWorkers);
  checkpointPressure(opts.checkpointPressure); // a bad value fails before the guest starts
  let pool: NodePageWorkerPool | null = null;
  const open = (vm: VirtMachine): MachineCheckpointer => {
    if (!ckpt) {
      opened = openRepository(opts.repo, 'create');
      if (modeOptions.mode === 'cow' && workers > 0) pool = new NodePageWorkerPool(workers);
      ckpt = new MachineCheckpointer(vm, opened.repo, opened.codecs, { codec: opts.codec, config, ...exclusionOptions(opts), ...modeOptions, pool });
      ckpt.onSettled = settled;
    }
    return ckpt;
  };
  const say = (text: string) => process.stderr.write(`\r\n[retrovisor: ${text}]\r\n`);
  /** Captures whose outcome is reported on the terminal (Ctrl-A s); periodic ones only in the summary. */
  const announce = new Set<Capture>();
  const settled = (c: Capture): void => {
    const r = c.result;
    if (r) {
      taken.push(r);
      session.onCapture?.(r);
      if (announce.has(c)) say(`checkpoint ${r.meta.id}: ${r.metrics.ramPages} pages${r.metrics.diskBlocks ? ` + ${r.metrics.diskBlocks} disk blocks` : ''}, ${formatBytes(r.meta.bytesWritten)} stored, paused ${r.pauseMs.toFixed(1)} ms, durable after ${r.durableMs.toFixed(1)} ms (${opened!.dir})`);
    } else {
      failed++;
      say(`checkpoint failed (nothing committed; the next one includes its pages): ${(c.error as Error)?.message ?? String(c.error)}`);
    }
    announce.delete(c);
  };
  const interval = opts.checkpointEvery ? parseCheckpointInterval(opts.checkpointEvery, TIMEBASE_HZ) : null;

  return {
    started: (vm) => {
      if (session.restore !== undefined || session.eager || interval) open(vm);
      if (session.restore !== undefined) {
        restoreStarted = performance.now();
        let meta;
        if (session.lazy) {
          lazy = ckpt!.restoreLazily(session.restore);
          meta = lazy.meta;
        } else meta = ckpt!.restore(session.restore);
        say(`restored checkpoint ${meta.id} (${meta.instructions.toLocaleString('en-US')} instructions, guest time ${(meta.guestTime / TIMEBASE_HZ).toFixed(3)} s) from ${opened!.dir}`
          + ` in ${(performance.now() - restoreStarted).toFixed(1)} ms${session.lazy ? ', pages load on first use and in the background' : ''}`);
      }
      if (interval) schedule = new CheckpointSchedule(ckpt!, interval, checkpointPressure(opts.checkpointPressure, vm.clockMode));
    },
    sliceLimit: (_vm, max) => {
      if (lazy) {
        // prefetch the rest of a lazy restore between short slices, for as long as the guest's last slice took
        const now = performance.now();
        const done = lazy.prefetchFor(Math.max(2, lastPrefetch > 0 ? now - lastPrefetch : 2));
        lastPrefetch = performance.now();
        if (!done) return Math.min(max, 1_000_000);
        say(`all ${lazy.ram.pages} pages of checkpoint ${lazy.id} loaded after ${(lazy.loadedAt - restoreStarted).toFixed(0)} ms (${lazy.faulted.length} faulted in by the guest first)`);
        lazy = null;
      }
      if (!schedule) {
        // a Ctrl-A s copy-on-write capture still reading: interleave finely
        if (ckpt?.pump()) return Math.min(max, 1_000_000);
        return max;
      }
      try {
        schedule.poll();
      } catch (e) {
        // nothing of a failed checkpoint is visible and its dirty pages stay (or go back to being) dirty: the next one covers them
        failed++;
        say(`checkpoint failed (${failed} so far; the machine runs on and the next checkpoint retries): ${(e as Error).message}`);
      }
      return schedule.limit(max);
    },
    skipLimit: interval ? (_vm, deadline) => schedule!.skipLimit(deadline) : undefined,
    idleWork: (_vm, ms) => (ckpt ? ckpt.pump(ms) : false),
    checkpoint: (vm) => {
      try {
        const c = open(vm).checkpoint({ label: 'ctrl-a s' });
        if (!c.settled) announce.add(c);
        else if (c.result) say(`checkpoint ${c.result.meta.id}: ${c.result.metrics.ramPages} pages${c.result.metrics.diskBlocks ? ` + ${c.result.metrics.diskBlocks} disk blocks` : ''}, ${formatBytes(c.result.meta.bytesWritten)} stored, paused ${c.result.pauseMs.toFixed(1)} ms (${opened!.dir})`);
      } catch (e) {
        say(`checkpoint failed: ${(e as Error).message}`);
      }
    },
    finished: () => {
      // whatever is in flight becomes durable (or fails) before the repository closes
      (ckpt as MachineCheckpointer | null)?.close();
      void (pool as NodePageWorkerPool | null)?.close();
      if (taken.length > 0 && interval) {
        const bytes = taken.reduce((s, r) => s + r.meta.bytesWritten, 0);
        const pause = taken.map((r) => r.pauseMs).sort((a, b) => a - b);
        process.stderr.write(`\r\nretrovisor: ${taken.length} checkpoints (${taken[0].meta.id}..${taken[taken.length - 1].meta.id}) in ${opened!.dir}: ${formatBytes(bytes)} stored, pause median ${pause[pause.length >> 1].toFixed(1)} ms, max ${pause[pause.length - 1].toFixed(1)} ms${failed ? `; ${failed} failed` : ''}\r\n`);
      }
      (opened as OpenedRepository | null)?.repo.close();
    },
  };
}
