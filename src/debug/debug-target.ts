/**
 * What the GDB stub drives: a live machine (live-target.ts) or a recording
 * (timeline.ts). The stub reads registers and memory from `hart`/`ram`
 * between executions; `execute` runs until the next stop and may take long
 * (it yields to the event loop so an interrupt can arrive).
 */
import type { Hart } from '../machine/cpu/hart.js';
import type { GuestMemory } from '../machine/memory.js';
import type { DebugPoints, Hit } from './debug-points.js';

export type StopEvent =
  /** Stopped with a signal (5 = SIGTRAP after a step or hit, 2 = SIGINT after an interrupt). */
  | { readonly kind: 'signal'; readonly signal: number; readonly hit?: Hit }
  /** The guest powered off (live only): GDB sees the process exit. */
  | { readonly kind: 'exited'; readonly code: number }
  /** Replay reached the start or the end of the recording. */
  | { readonly kind: 'history'; readonly edge: 'begin' | 'end' };

export type ExecAction = 'step' | 'continue' | 'reverse-step' | 'reverse-continue';

export interface DebugTarget {
  readonly hart: Hart;
  readonly ram: GuestMemory;
  readonly points: DebugPoints;
  /** Registers and memory may be changed (live); a recording's state never is. */
  readonly writable: boolean;
  /** Supports reverse-step and reverse-continue. */
  readonly reversible: boolean;
  /** Stops the target (the debugger attached, or `-S`); resolves when it is stopped. */
  halt(): Promise<StopEvent>;
  execute(action: ExecAction): Promise<StopEvent>;
  /** Ctrl-C: the running `execute` stops soon with SIGINT. */
  interrupt(): void;
  /** A `monitor` command's output. */
  monitor(command: string): Promise<string>;
  /** The debugger went away (`k`, `D` or the connection closed). */
  detach(kill: boolean): void;
}
