/**
 * A live machine under a debugger (`retrovisor run -s`). The command's own
 * run loop keeps driving the machine (console, pacing, recording,
 * checkpoints); it asks `gate()` before each slice (which waits while the
 * debugger holds the machine and bounds the slice to one instruction when
 * stepping) and reports every slice's end to `afterRun()`.
 *
 * Breakpoints and watchpoints only stop the hart before an instruction, and
 * a stop is only an extra slice boundary, so a debugged run computes, and
 * records, exactly what an undebugged one does.
 */
import type { StopReason, VirtMachine } from '../machine/board/virt-machine.js';
import { DebugPoints, type Hit } from './debug-points.js';
import type { DebugTarget, ExecAction, StopEvent } from './debug-target.js';
import { describeMachine } from './monitor.js';

export class LiveTarget implements DebugTarget {
  readonly points: DebugPoints;
  readonly writable = true;
  readonly reversible = false;
  private halted: boolean;
  private stepping = false;
  /** A stop was asked for: 2 (SIGINT) by Ctrl-C, 5 (SIGTRAP) when the debugger attached to a running machine. */
  private stopSignal = 0;
  private hit: Hit | null = null;
  /** Resolves the pending execute()/halt() when the machine stops. */
  private waiters: Array<(s: StopEvent) => void> = [];
  /** Wakes the run loop's gate. */
  private release: (() => void) | null = null;
  /** The run loop's own wake-up (it may sleep waiting for input or a deadline). */
  wake: () => void = () => {};
  private exited: StopEvent | null = null;
  /** Where the last resume started (instret, pc): a hit there does not stop it again at once. */
  private resumeAt = -1;
  private resumePc = 0;
  /** The debugger killed the session (`k`): the run should end. */
  killed = false;

  constructor(readonly machine: VirtMachine, options: { waitForDebugger?: boolean } = {}) {
    this.points = new DebugPoints(machine.hart);
    this.halted = options.waitForDebugger === true;
    this.points.onHit = (hit) => {
      if (this.machine.instret === this.resumeAt && this.machine.hart.pcLo === this.resumePc) { this.resumeAt = -1; return false; }
      this.hit = hit;
      return true;
    };
  }

  get hart() { return this.machine.hart; }
  get ram() { return this.machine.ram; }

  /** Called by the run loop before each slice: resolves with the largest slice allowed (waits while halted). */
  async gate(): Promise<number> {
    while (this.halted && !this.killed) await new Promise<void>((res) => { this.release = res; });
    return this.stepping ? 1 : Infinity;
  }

  /** Called by the run loop after each slice. */
  afterRun(stop: StopReason): void {
    if (stop.kind === 'poweroff' || stop.kind === 'reboot' || stop.kind === 'fail') {
      this.exited = { kind: 'exited', code: stop.code };
      this.stopWith(this.exited);
      return;
    }
    if (stop.kind === 'debug') { const hit = this.hit; this.hit = null; this.stopWith({ kind: 'signal', signal: 5, hit: hit ?? undefined }); return; }
    if (this.stepping) { this.stopWith({ kind: 'signal', signal: 5 }); return; }
    if (this.stopSignal !== 0) this.stopWith({ kind: 'signal', signal: this.stopSignal });
  }

  private stopWith(s: StopEvent): void {
    this.halted = true;
    this.stepping = false;
    this.stopSignal = 0;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(s);
  }

  halt(): Promise<StopEvent> {
    if (this.exited) return Promise.resolve(this.exited);
    if (this.halted) return Promise.resolve({ kind: 'signal', signal: 5 });
    this.stopSignal = 5;
    this.wake();
    return new Promise((res) => this.waiters.push(res));
  }

  execute(action: ExecAction): Promise<StopEvent> {
    if (this.exited) return Promise.resolve(this.exited);
    if (action === 'reverse-step' || action === 'reverse-continue') return Promise.resolve({ kind: 'signal', signal: 5 });
    this.stepping = action === 'step';
    this.resumeAt = this.machine.instret;
    this.resumePc = this.machine.hart.pcLo;
    this.halted = false;
    const p = new Promise<StopEvent>((res) => this.waiters.push(res));
    const r = this.release;
    this.release = null;
    r?.();
    this.wake();
    return p;
  }

  interrupt(): void {
    if (this.halted) return;
    this.stopSignal = 2;
    this.wake();
  }

  async monitor(command: string): Promise<string> {
    const [cmd] = command.split(/\s+/);
    if (cmd === 'help' || cmd === '') return 'monitor commands (live): help, when, info\n(goto, checkpoint and checkpoints: in `retrovisor debug` on a recording)';
    if (cmd === 'when' || cmd === 'info') return describeMachine(this.machine);
    return `unknown monitor command "${cmd}" (try: monitor help)`;
  }

  detach(kill: boolean): void {
    this.points.clear();
    if (kill) this.killed = true;
    this.halted = false;
    const r = this.release;
    this.release = null;
    r?.();
    this.wake();
  }
}
