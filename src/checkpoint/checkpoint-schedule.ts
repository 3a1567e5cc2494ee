import { INSTRUCTIONS_PER_TICK, type StopReason, type VirtMachine } from '../machine/board/virt-machine.js';
import type { CaptureResult, MachineCheckpointer } from './machine-checkpointer.js';

/** `100ms`, `1s`, `25ms` (guest time) or `50M`, `10000000` (instructions). */
export interface CheckpointInterval { unit: 'ticks' | 'instructions'; every: number }

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
  constructor(readonly checkpointer: MachineCheckpointer, readonly interval: CheckpointInterval) {
    this.next = this.position() + interval.every;
  }

  private position(): number {
    return this.interval.unit === 'ticks' ? this.checkpointer.vm.now() : this.checkpointer.vm.instret;
  }

  /** Largest slice (instructions) that does not run past the next checkpoint. */
  limit(max: number): number {
    const left = this.next - this.position();
    // ticks → instructions is exact in the virtual clock while the hart is busy
    const instr = this.interval.unit === 'ticks' ? left * ticksToInstructions(this.checkpointer.vm) : left;
    return Math.max(1, Math.min(max, instr));
  }

  /** How far an idle hart waiting for `deadline` may skip before the next checkpoint is due. */
  skipLimit(deadline: number): number {
    return this.interval.unit === 'ticks' ? Math.min(deadline, Math.max(this.next, this.checkpointer.vm.now())) : deadline;
  }

  /** Captures if the interval has elapsed. A failed capture throws; the schedule still moves on to the next interval. */
  poll(): CaptureResult | null {
    const pos = this.position();
    if (pos < this.next) return null;
    const every = this.interval.every;
    this.next = this.next + every * (Math.floor((pos - this.next) / every) + 1);
    return this.checkpointer.capture();
  }

  /** Runs one slice of at most `max` instructions (bounded by the schedule), skipping idle time up to the next checkpoint, then polls. */
  step(max: number): { stop: StopReason; capture: CaptureResult | null } {
    const vm = this.checkpointer.vm;
    const stop = vm.run(this.limit(max), this.interval.unit === 'ticks' ? 'return' : 'skip');
    if (stop.kind === 'idle' && stop.deadline !== Infinity) vm.skipTo(this.skipLimit(stop.deadline));
    return { stop, capture: this.poll() };
  }
}

function ticksToInstructions(vm: VirtMachine): number {
  return vm.clockMode === 'virtual' ? INSTRUCTIONS_PER_TICK : 1;
}
