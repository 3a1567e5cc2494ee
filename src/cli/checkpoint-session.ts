/** Checkpointing inside `run` and `restore`: periodic captures, Ctrl-A s, restoring at start. */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { TIMEBASE_HZ } from '../machine/clock.js';
import { CheckpointSchedule } from '../checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer, type CaptureResult } from '../checkpoint/machine-checkpointer.js';
import { parseCheckpointInterval } from './checkpoint-interval.js';
import type { RunHooks, RunOptions } from './run-command.js';
import { machineOptions } from './run-command.js';
import { openRepository, type OpenedRepository } from './repo-location.js';
import { formatBytes } from './checkpoint-format.js';

export interface CheckpointSessionOptions {
  /** Restore this checkpoint when the machine starts. */
  restore?: number;
  /** Open the repository now (not only at the first Ctrl-A s). */
  eager?: boolean;
  /** Told of every checkpoint taken (the recorder marks its log with it). */
  onCapture?: (result: CaptureResult) => void;
}

/** The data-reduction switches of the command line, as checkpointer options. */
export function exclusionOptions(opts: RunOptions): { subpageBlock?: number; similarity?: boolean; freePages?: boolean; pageCache?: boolean } {
  const block = opts.subpageDelta === undefined || opts.subpageDelta === false ? 0 : opts.subpageDelta === true ? 64 : Number(opts.subpageDelta);
  if (!Number.isInteger(block) || block < 0) throw new Error(`--subpage-delta: bad block size ${String(opts.subpageDelta)}`);
  return { subpageBlock: block, similarity: opts.similarity === true, freePages: opts.freePageExclusion !== false, pageCache: opts.pageCacheExclusion === true };
}

/** Run hooks that add checkpointing to `runCommand`. */
export function checkpointHooks(opts: RunOptions, session: CheckpointSessionOptions = {}): RunHooks {
  let opened: OpenedRepository | null = null;
  let ckpt: MachineCheckpointer | null = null;
  let schedule: CheckpointSchedule | null = null;
  const taken: CaptureResult[] = [];
  let failed = 0;
  const config = JSON.stringify(machineOptions(opts));
  const open = (vm: VirtMachine): MachineCheckpointer => {
    if (!ckpt) {
      opened = openRepository(opts.repo, 'create');
      ckpt = new MachineCheckpointer(vm, opened.repo, opened.codecs, { codec: opts.codec, config, ...exclusionOptions(opts) });
    }
    return ckpt;
  };
  const say = (text: string) => process.stderr.write(`\r\n[retrovisor: ${text}]\r\n`);
  const interval = opts.checkpointEvery ? parseCheckpointInterval(opts.checkpointEvery, TIMEBASE_HZ) : null;

  return {
    started: (vm) => {
      if (session.restore !== undefined || session.eager || interval) open(vm);
      if (session.restore !== undefined) {
        const meta = ckpt!.restore(session.restore);
        say(`restored checkpoint ${meta.id} (${meta.instructions.toLocaleString('en-US')} instructions, guest time ${(meta.guestTime / TIMEBASE_HZ).toFixed(3)} s) from ${opened!.dir}`);
      }
      if (interval) schedule = new CheckpointSchedule(ckpt!, interval);
    },
    sliceLimit: (_vm, max) => {
      if (!schedule) return max;
      try {
        const r = schedule.poll();
        if (r) { taken.push(r); session.onCapture?.(r); }
      } catch (e) {
        // nothing of a failed checkpoint is visible and the dirty pages stay dirty: the next one covers them
        failed++;
        say(`checkpoint failed (${failed} so far; the machine runs on and the next checkpoint retries): ${(e as Error).message}`);
      }
      return schedule.limit(max);
    },
    skipLimit: interval ? (_vm, deadline) => schedule!.skipLimit(deadline) : undefined,
    checkpoint: (vm) => {
      try {
        const r = open(vm).capture({ label: 'ctrl-a s' });
        taken.push(r);
        session.onCapture?.(r);
        say(`checkpoint ${r.meta.id}: ${r.metrics.ramPages} pages${r.metrics.diskBlocks ? ` + ${r.metrics.diskBlocks} disk blocks` : ''}, ${formatBytes(r.meta.bytesWritten)} stored, paused ${r.pauseMs.toFixed(1)} ms (${opened!.dir})`);
      } catch (e) {
        say(`checkpoint failed: ${(e as Error).message}`);
      }
    },
    finished: () => {
      if (taken.length > 0 && interval) {
        const bytes = taken.reduce((s, r) => s + r.meta.bytesWritten, 0);
        const pause = taken.map((r) => r.pauseMs).sort((a, b) => a - b);
        process.stderr.write(`\r\nretrovisor: ${taken.length} checkpoints (${taken[0].meta.id}..${taken[taken.length - 1].meta.id}) in ${opened!.dir}: ${formatBytes(bytes)} stored, pause median ${pause[pause.length >> 1].toFixed(1)} ms, max ${pause[pause.length - 1].toFixed(1)} ms${failed ? `; ${failed} failed` : ''}\r\n`);
      }
      (opened as OpenedRepository | null)?.repo.close();
    },
  };
}
