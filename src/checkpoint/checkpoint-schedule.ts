import { INSTRUCTIONS_PER_TICK, type StopReason, type VirtMachine } from '../machine/board/virt-machine.js';
import { idleSkipTarget } from './idle-skip.js';
import type { Capture, MachineCheckpointer } from './machine-checkpointer.js';

/** `100ms`, `1s`, `25ms` (guest time) or `50M`, `10000000` (instructions). */
export interface CheckpointInterval { unit: 'ticks' | 'instructions'; every: number }

/**
 * When a checkpoint falls due while the previous copy-on-write capture is
 * still in flight: 'wait' finishes the previous one first, blocking (the grid
 * is kept: checkpoints stay at the same instructions whatever the host's
 * speed); 'coalesce' lets the guest run on and takes the checkpoint at the
 * first poll after the pipeline is free (fewer, later checkpoints; the pages
 * dirtied meanwhile all go into it).
 */
export type Pressure = 'wait' | 'coalesce';

/** Guest slice while a capture is in flight, so background reading interleaves finely. */
const BACKGROUND_SLICE = 1_000_000;

/**
 * Periodic captures on a grid of guest time or instructions. A driver bounds
 * each run() slice with `limit()`, bounds idle skips with `skipLimit()` (in
 * the virtual clock an idle hart jumps to its next timer deadline, which may
 * lie seconds past the next checkpoint) and calls `poll()` between slices;
 * `step()` does all three for API users. Instruction-count checkpoints land
 * exactly on their boundary, guest-time ones at the first instruction
 * boundary at or after it.
 */
export class CheckpointSchedule {
  private next: number;
  /** Polls that postponed a due checkpoint ('coalesce': the previous capture was still in flight). */
  coalesced = 0;
  /** Grid points that got no checkpoint of their own: their pages went into a later one (what 'coalesce' folds; a host slower than the interval too). */
  merged = 0;
  constructor(readonly checkpointer: MachineCheckpointer, readonly interval: CheckpointInterval, readonly pressure: Pressure = 'wait') {
    this.next = this.position() + interval.every;
  }

  private position(): number {
    return this.interval.unit === 'ticks' ? this.checkpointer.vm.now() : this.checkpointer.vm.instret;
  }

  /** Guest time (ticks) or instructions left until the next checkpoint is due (≤ 0: due now). */
  get dueIn(): number {
    return this.next - this.position();
  }

  /** Largest slice (instructions) that does not run past the next checkpoint. */
  limit(max: number): number {
    const left = this.next - this.position();
    // ticks → instructions is exact in the virtual clock while the hart is busy
    const busy = this.checkpointer.busy;
    // a due checkpoint postponed by 'coalesce': run on in background-sized slices until the pipeline is free
    if (left <= 0 && busy) return Math.min(max, BACKGROUND_SLICE);
    const instr = this.interval.unit === 'ticks' ? left * ticksToInstructions(this.checkpointer.vm) : left;
    return Math.max(1, Math.min(max, instr, busy ? BACKGROUND_SLICE : Infinity));
  }

  /** How far an idle hart waiting for `deadline` may skip before the next checkpoint is due. */
  skipLimit(deadline: number): number {
    return this.interval.unit === 'ticks' ? idleSkipTarget(this.checkpointer.vm.now(), deadline, this.next) : deadline;
  }

  /** Does background work of a capture in flight, then takes a checkpoint if the interval has elapsed (a failed one does not stop the schedule). */
  poll(): Capture | null {
    this.checkpointer.pump();
    const pos = this.position();
    if (pos < this.next) return null;
    if (this.pressure === 'coalesce' && this.checkpointer.busy) { this.coalesced++; return null; }
    const every = this.interval.every;
    const late = Math.floor((pos - this.next) / every);
    this.merged += late;
    this.next = this.next + every * (late + 1);
    return this.checkpointer.checkpoint();
  }

  /** Runs one slice of at most `max` instructions (bounded by the schedule), skipping idle time up to the next checkpoint, then polls. */
  step(max: number): { stop: StopReason; capture: Capture | null } {
    const vm = this.checkpointer.vm;
    const stop = vm.run(this.limit(max), this.interval.unit === 'ticks' ? 'return' : 'skip');
    if (stop.kind === 'idle' && stop.deadline !== Infinity) vm.skipTo(this.skipLimit(stop.deadline));
    return { stop, capture: this.poll() };
  }
}

function ticksToInstructions(vm: VirtMachine): number {
  return vm.clockMode === 'virtual' ? INSTRUCTIONS_PER_TICK : 1;
}
