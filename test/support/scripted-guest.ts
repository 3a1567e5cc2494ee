/**
 * The standard guest driven by a script with exact control of when input
 * arrives (tests and benchmarks of record/replay): raw console bytes are kept
 * as they came, input is posted through the machine's input port at the
 * instruction the script chooses (held until the guest's UART listens).
 */
import type { VirtMachine, ClockMode } from '../../src/machine/board/virt-machine.js';
import type { InputSource } from '../../src/machine/input.js';
import type { NetBackend } from '../../src/machine/virtio/net-backend.js';
import type { CmdlineOptions } from '../../src/node/guest-images.js';
import { standardMachine } from './standard-machine.js';

export interface ScriptedGuestOptions extends CmdlineOptions {
  input: InputSource;
  disk?: boolean;
  memoryBytes?: number;
  clock?: ClockMode;
  /** Attach virtio-net with this backend. */
  net?: NetBackend;
  /** Execution engine and translation threshold (never change what the guest computes). */
  engine?: string;
  hotThreshold?: number;
}

export class ScriptedGuest {
  readonly machine: VirtMachine;
  /** Console output bytes, exactly as the UART sent them. */
  readonly raw: number[] = [];
  private cursor = 0;
  private readonly held: Uint8Array[] = [];
  private readonly cleanup: () => void;

  constructor(options: ScriptedGuestOptions) {
    const built = standardMachine({
      ...options,
      console: (b) => { this.raw.push(b); },
      machine: { clock: options.clock, net: options.net, engine: options.engine, hotThreshold: options.hotThreshold },
    });
    this.machine = built.machine;
    this.cleanup = built.cleanup;
  }

  get text(): string {
    let s = '';
    for (let i = 0; i < this.raw.length; i += 4096) s += String.fromCharCode(...this.raw.slice(i, i + 4096));
    return s;
  }

  close(): void {
    this.cleanup();
  }

  private flush(): void {
    if (this.held.length === 0 || !this.machine.uart.rxInterruptEnabled) return;
    for (const data of this.held) this.machine.input.post({ kind: 'console', data });
    this.held.length = 0;
  }

  /** Queues console input; it is posted at the next run boundary once the guest listens. */
  type(text: string): void {
    this.held.push(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
    this.flush();
  }

  /** Runs `n` instructions (fewer if the guest stops); returns the stop reason. */
  runFor(n: number): ReturnType<VirtMachine['run']> {
    this.flush();
    return this.machine.run(n);
  }

  /**
   * Runs until `pattern` appears in output not yet consumed; throws after `max` instructions or on a stop.
   * With `idle: 'return'` idle time is skipped one timer deadline at a time, so guest time stops
   * right after the pattern (as on a paced run) instead of running ahead to the end of the step.
   */
  runUntil(pattern: string, max = 1_000_000_000, step = 1_000_000, idle: 'skip' | 'return' = 'skip'): void {
    const limit = this.machine.instret + max;
    for (;;) {
      const at = this.text.indexOf(pattern, this.cursor);
      if (at >= 0) { this.cursor = at + pattern.length; return; }
      if (this.machine.instret >= limit) throw new Error(`guest did not print ${JSON.stringify(pattern)} within ${max} instructions; tail: ${JSON.stringify(this.text.slice(-500))}`);
      this.flush();
      const r = this.machine.run(Math.min(step, limit - this.machine.instret), idle);
      if (r.kind === 'idle' && this.machine.clockMode === 'realtime') continue; // time passes with each clock read
      if (r.kind === 'idle' && idle === 'return') {
        if (this.text.indexOf(pattern, this.cursor) >= 0) continue;
        if (r.deadline !== Infinity) { this.machine.skipTo(r.deadline); continue; }
      }
      if (r.kind !== 'limit' && r.kind !== 'idle') {
        if (this.text.indexOf(pattern, this.cursor) >= 0) continue;
        throw new Error(`guest stopped (${r.kind}) before printing ${JSON.stringify(pattern)}; tail: ${JSON.stringify(this.text.slice(-500))}`);
      }
      if (r.kind === 'idle' && this.held.length === 0 && this.text.indexOf(pattern, this.cursor) < 0) {
        throw new Error(`guest idle with nothing to wake it before printing ${JSON.stringify(pattern)}`);
      }
    }
  }
}
