/**
 * The checkpointing hooks of `retrovisor run`, imported only when needed. A
 * run given any checkpoint option loads the checkpoint session at once (it
 * checks the options before the guest starts and may open the repository).
 * A run without one needs it only if the user presses Ctrl-A s, so the
 * repository, codecs and page workers (about 60 modules and two native
 * addons) are imported then instead of before the first guest instruction.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import type { RunHooks, RunOptions } from './run-command.js';

/** Options that configure checkpointing (any of them given: load the session at start). */
const CHECKPOINT_OPTIONS = ['repo', 'checkpointEvery', 'codec', 'checkpointMode', 'checkpointWorkers', 'checkpointPressure', 'subpageDelta', 'similarity', 'pageCacheExclusion', 'kernelFreePages'] as const;

/** The checkpoint hooks for a run: the session itself, or a stand-in that loads it at the first Ctrl-A s. */
export async function checkpointHooksFor(opts: RunOptions): Promise<RunHooks> {
  // --no-free-page-exclusion leaves freePageExclusion false (commander's default for it is true)
  const configured = CHECKPOINT_OPTIONS.some((k) => opts[k] !== undefined) || opts.freePageExclusion === false;
  if (configured) return (await import('./checkpoint-session.js')).checkpointHooks(opts, { eager: opts.repo !== undefined });
  return deferredCheckpointHooks(async () => (await import('./checkpoint-session.js')).checkpointHooks(opts));
}

/**
 * Hooks that behave like `load()`'s before it is called (no capture: slices
 * unbounded, no idle work) and delegate to them after the first checkpoint
 * request loads them.
 */
export function deferredCheckpointHooks(load: () => Promise<RunHooks>): RunHooks {
  let real: RunHooks | null = null;
  return {
    sliceLimit: (vm: VirtMachine, max: number) => real?.sliceLimit ? real.sliceLimit(vm, max) : max,
    idleWork: (vm: VirtMachine, ms: number) => real?.idleWork?.(vm, ms) ?? false,
    checkpoint: async (vm: VirtMachine) => {
      if (real === null) {
        real = await load();
        real.started?.(vm);
      }
      await real.checkpoint?.(vm);
    },
    finished: (vm, stop, quit) => real?.finished?.(vm, stop, quit),
  };
}
