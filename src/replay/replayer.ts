/**
 * Replays a recording: an InputSource that hands back the recorded
 * synchronous inputs (checking kind and landmark) and a driver that runs the
 * machine to the exact instruction of each asynchronous input, brings guest
 * time to the recorded value (idle time is skipped, never waited for), posts
 * it, and checks every fingerprint on the way. It takes no host input.
 *
 * Use: build the machine with `source` as its input (from boot) or restore a
 * checkpoint into it and `attach(machine, { checkpoint })`; then `run()`.
 */
import { idleSkipTarget } from '../checkpoint/idle-skip.js';
import type { StopReason, VirtMachine } from '../machine/board/virt-machine.js';
import type { AsyncInput, InputSource, InputTap, Landmark, SyncInput } from '../machine/input.js';
import { ARCH_WORDS, captureArch, diffArch, guestTicks, hashArch } from './arch-state.js';
import { DivergenceError, type Divergence, type DivergenceKind } from './divergence.js';
import { EventCursor, type CursorPosition } from './event-cursor.js';
import { describeEvent, isAsyncInputEvent, isSyncEvent, type LogEvent } from './log-event.js';
import type { LogReader } from './log-reader.js';
import { firstDifferingRegion, hashRam } from './ram-hash.js';
import { componentNames, hashDevices } from './device-hash.js';

export interface ReplayOptions {
  /** Stop once this many instructions have retired. */
  until?: number;
  /**
   * Check RAM and device-state fingerprints (default true; about 0.1 s per 256 MiB each).
   * 'after-start' skips the RAM fingerprint logged where the replay starts: a machine just
   * restored lazily from that checkpoint would load every page to hash it (the analysis
   * verifies each checkpoint's RAM against the replay that ends there instead).
   */
  verifyRam?: boolean | 'after-start';
  /** Told the instruction count now and then (after each run slice, at most 10 M instructions apart). */
  onProgress?: (instret: number) => void;
}

export type ReplayStop =
  /** The recording's end marker was reached. */
  | 'end'
  /** `until` was reached. */
  | 'until'
  /** The log ran out (a recording cut off by a crash). */
  | 'log-end'
  | 'diverged'
  /** A debugger hook stopped the machine (`{ kind: 'debug' }`); run() again resumes. */
  | 'paused';

export interface ReplayResult {
  readonly stop: ReplayStop;
  readonly instret: number;
  readonly divergence: Divergence | null;
  /** Events consumed (inputs, fingerprints, markers). */
  readonly events: number;
  readonly archChecks: number;
  readonly ramChecks: number;
  /** The recording's end reason, when reached. */
  readonly endReason?: string;
  /** The machine's last stop reason during replay. */
  readonly lastStop: StopReason;
}

/** Thrown through the machine when an incomplete log runs out mid-instruction. */
class LogEnded extends Error {}

export class Replayer implements InputTap {
  private readonly cursor: EventCursor;
  private machine: VirtMachine | null = null;
  private divergence: Divergence | null = null;
  private lastMatch = 0;
  private lastFullMatch = 0;
  /** Instret where attach() started the replay. */
  private startInstret = -1;
  /** The sync event just handed out, whose landmark the tap checks. */
  private pendingSync: LogEvent | null = null;
  private archChecks = 0;
  private ramChecks = 0;
  private readonly arch = new Int32Array(ARCH_WORDS);
  private lastStop: StopReason = { kind: 'limit' };
  private logEnded = false;
  /** A log error met while the machine was pulling an input. */
  private fatal: Error | null = null;

  constructor(private readonly reader: LogReader, private readonly options: ReplayOptions = {}) {
    this.cursor = new EventCursor(reader);
  }

  /** Instruction count of the recording's last event (read from its last frame; 0 for an empty log). */
  lastInstret(): number {
    const n = this.reader.frames.length;
    if (n === 0) return 0;
    const events = this.reader.events(n - 1);
    return events.length ? events[events.length - 1].instret : this.reader.frames[n - 1].baseInstret;
  }

  /** The machine's input source during replay. */
  readonly source: InputSource = {
    entropy: (dst) => {
      const e = this.takeSync('entropy');
      if (e?.kind === 'entropy') {
        if (e.data.length !== dst.length) this.diverge('event', `guest asked for ${dst.length} bytes of entropy, the recording has ${e.data.length}`);
        dst.set(e.data.subarray(0, dst.length));
      }
    },
    hostTimeNs: () => {
      const e = this.takeSync('clock');
      return e?.kind === 'clock' ? e.ns : 0;
    },
  };

  private here(): number {
    return this.machine ? this.machine.instret : 0;
  }

  private takeSync(kind: 'entropy' | 'clock'): LogEvent | null {
    let e: LogEvent | undefined;
    try {
      e = this.cursor.peek();
    } catch (err) {
      // a device may swallow exceptions (a broken device, not a dead host): keep it for run() to rethrow
      this.fatal ??= err as Error;
      throw err;
    }
    if (!e && this.reader.truncated && this.machine) {
      // an incomplete log ends here: stop without blaming the guest
      this.logEnded = true;
      throw new LogEnded();
    }
    if (!e || e.kind !== kind) {
      this.diverge('event', `guest pulled ${kind} at instret ${this.here()}; the recording has ${e ? describeEvent(e) : 'no more events'} next`);
    }
    this.cursor.next();
    this.pendingSync = this.machine ? e : null;
    return e;
  }

  private diverge(kind: DivergenceKind, message: string, extra: Partial<Divergence> = {}): never {
    const d: Divergence = { kind, message, lastMatch: this.lastMatch, lastFullMatch: this.lastFullMatch, firstMismatch: this.here(), ...extra };
    this.divergence ??= d;
    throw new DivergenceError(this.divergence);
  }

  sync(_input: SyncInput, at: Landmark): void {
    const e = this.pendingSync;
    this.pendingSync = null;
    if (!e) return;
    if (e.instret !== at.instret || e.pc !== at.pc) {
      this.diverge('landmark', `${describeEvent(e)} was pulled at instret ${at.instret} pc 0x${at.pc.toString(16)}`);
    }
    this.lastMatch = at.instret;
  }

  async(_input: AsyncInput, _at: Landmark): void {
    // posted by run() at the recorded landmark, checked there
  }

  /**
   * Starts replaying on a built (or restored) machine: at the recording's
   * start, or at the checkpoint marker `checkpoint` (the machine must hold
   * that checkpoint's state).
   */
  attach(machine: VirtMachine, from: { checkpoint?: string; position?: CursorPosition } = {}): void {
    this.machine = machine;
    machine.setInputSource(this.source);
    machine.input.tap = this;
    if (from.position) {
      // a debugger's own checkpoint: the machine holds the state it had when `position()` was taken there
      this.cursor.seek(from.position);
      this.lastMatch = this.lastFullMatch = machine.instret;
      return;
    }
    const want = from.checkpoint;
    if (want !== undefined) {
      // the recorder starts a frame at each checkpoint marker
      const at = machine.instret;
      let f = this.reader.frameFor(at);
      while (f > 0 && this.reader.frames[f - 1].baseInstret === at) f--;
      for (; f < this.reader.frames.length && this.reader.frames[f].baseInstret <= at; f++) {
        const first = this.reader.events(f)[0];
        if (first?.kind === 'checkpoint' && first.id === want) break;
      }
      if (f >= this.reader.frames.length || this.reader.frames[f].baseInstret > at) throw new Error(`${this.reader.name}: no checkpoint "${want}" at instret ${at}`);
      this.cursor.seekFrame(f);
    } else {
      let e = this.cursor.peek();
      // boot inputs the machine did not pull (it was built some other way, e.g. restored from a checkpoint) are not needed
      while (e && e.kind !== 'start') { this.cursor.next(); e = this.cursor.peek(); }
    }
    this.startInstret = machine.instret;
    const e = this.cursor.next();
    if (!e) throw new Error(`${this.reader.name}: no ${want !== undefined ? 'checkpoint' : 'start'} marker`);
    this.lastMatch = machine.instret;
    this.lastFullMatch = machine.instret;
    if (e.instret !== machine.instret) this.diverge('landmark', `recording starts at instret ${e.instret}, machine is at ${machine.instret}`);
    if (e.pc !== machine.landmark().pc) this.diverge('landmark', `recording starts at pc 0x${e.pc.toString(16)}, machine is at 0x${machine.landmark().pc.toString(16)}`);
  }

  get current(): Divergence | null {
    return this.divergence;
  }

  /** Where the replay stands in the log (between runs): `attach(m, { position })` resumes there on a machine in the same state. */
  position(): CursorPosition {
    return this.cursor.tell();
  }

  /**
   * Replays until the end of the recording, `until` (the option, or this
   * call's), the first divergence, or a debugger hook stopping the machine
   * ('paused': call run() again to go on).
   */
  run(call: { until?: number } = {}): ReplayResult {
    const m = this.machine;
    if (!m) throw new Error('replayer: attach a machine first');
    m.input.tap = this;
    const until = call.until ?? this.options.until ?? Infinity;
    let paused = false;
    let stop: ReplayStop = 'log-end';
    let endReason: string | undefined;
    try {
      if (m.clockMode === 'realtime') ({ stop, endReason } = this.runRealtime(m, until));
      else for (;;) {
        let k = 0;
        let e = this.cursor.peek(0);
        while (e && isSyncEvent(e)) e = this.cursor.peek(++k);
        // past the last asynchronous event, run just far enough for the guest to pull the remaining sync inputs
        const tail = !e && k > 0 ? (this.cursor.peek(k - 1) as LogEvent).instret + 1 : Infinity;
        const target = Math.min(e ? e.instret : tail, until);
        while (m.instret < target) {
          if (target === Infinity) break;
          const r = m.run(Math.min(target - m.instret, this.options.onProgress ? 10_000_000 : 50_000_000), 'skip');
          this.lastStop = r;
          this.options.onProgress?.(m.instret);
          if (this.fatal) throw this.fatal;
          if (this.divergence) throw new DivergenceError(this.divergence);
          if (this.logEnded) break;
          if (r.kind === 'limit') continue;
          if (r.kind === 'debug') { paused = true; break; }
          if (r.kind === 'idle') {
            if (!e) break;
            this.diverge('stopped', `guest is idle with nothing to wake it at instret ${m.instret}; the recording has ${describeEvent(e)} next`);
          }
          if (e && m.instret === e.instret) break; // stopped right at the next event (the recording's final fingerprints)
          if (e) this.diverge('stopped', `guest stopped (${r.kind}) at instret ${m.instret}; the recording has ${describeEvent(e)} next`);
          break;
        }
        if (paused) { stop = 'paused'; break; }
        if (this.logEnded) { stop = 'log-end'; break; }
        if (m.instret >= until && until < (e ? e.instret : tail)) { stop = 'until'; break; }
        if (!e) {
          const left = this.cursor.peek();
          if (left && this.reader.truncated === false) this.diverge('event', `the recording has ${describeEvent(left)} that the guest never pulled`);
          stop = 'log-end';
          break;
        }
        if (m.instret !== e.instret) break; // guest stopped before the log ran out (reported above)
        if (this.cursor.peek() !== e) this.diverge('event', `the recording has ${describeEvent(this.cursor.peek() as LogEvent)} that the guest never pulled`);
        this.cursor.next();
        if (this.handle(m, e)) { stop = 'end'; endReason = e.kind === 'end' ? e.reason : undefined; break; }
        if (m.instret >= until) { stop = 'until'; break; }
      }
    } catch (err) {
      if (err instanceof LogEnded) stop = 'log-end';
      else if (err instanceof DivergenceError) stop = 'diverged';
      else throw err;
    }
    if (this.divergence) stop = 'diverged';
    m.input.tap = null;
    return {
      stop, instret: m.instret, divergence: this.divergence, events: this.cursor.consumed,
      archChecks: this.archChecks, ramChecks: this.ramChecks, endReason, lastStop: this.lastStop,
    };
  }

  /**
   * Realtime clock: the machine reads the clock at every slice, so replay repeats the recorded
   * run() calls exactly; inputs posted before a call are drained at its start.
   */
  private runRealtime(m: VirtMachine, until: number): { stop: ReplayStop; endReason?: string } {
    for (;;) {
      const e = this.cursor.peek();
      if (!e) return { stop: 'log-end' };
      if (m.instret >= until) return { stop: 'until' };
      if (isSyncEvent(e)) { this.cursor.next(); continue; } // read by the host between runs, not by the guest
      if (e.instret !== m.instret) this.diverge('landmark', `the recording has ${describeEvent(e)}, the replay is at instret ${m.instret}`);
      this.cursor.next();
      if (e.kind !== 'run') {
        if (this.handle(m, e)) return { stop: 'end', endReason: e.kind === 'end' ? e.reason : undefined };
        continue;
      }
      const pc = m.landmark().pc;
      if (pc !== e.pc) this.diverge('landmark', `${describeEvent(e)}: the replay is at pc 0x${pc.toString(16)}`);
      for (let a = this.cursor.peek(); a && isAsyncInputEvent(a) && a.instret === m.instret; a = this.cursor.peek()) {
        this.cursor.next();
        this.handle(m, a);
      }
      this.lastStop = m.run(Math.min(e.n, until - m.instret), e.idleReturn ? 'return' : 'skip');
      if (this.fatal) throw this.fatal;
      if (this.divergence) throw new DivergenceError(this.divergence);
      if (this.logEnded) return { stop: 'log-end' };
      this.lastMatch = m.instret;
    }
  }

  /** Applies or checks one non-sync event at its instret; true at the end marker. */
  private handle(m: VirtMachine, e: LogEvent): boolean {
    const pc = m.landmark().pc;
    if (pc !== e.pc) this.diverge('landmark', `${describeEvent(e)}: the replay is at pc 0x${pc.toString(16)}`);
    switch (e.kind) {
      case 'console':
      case 'net-rx':
      case 'net-link': {
        if (m.clockMode === 'virtual') {
          const now = m.now();
          if (now > e.ticks) this.diverge('time', `${describeEvent(e)} at guest time ${e.ticks} ticks, the replay is already at ${now}`);
          m.skipTo(e.ticks);
        }
        m.input.post(e.kind === 'console' ? { kind: 'console', data: e.data } : e.kind === 'net-rx' ? { kind: 'net-rx', slot: e.slot, frame: e.frame } : { kind: 'net-link', slot: e.slot, up: e.up });
        break;
      }
      case 'discard':
        // applied at once, as the recording did between runs: the checkpoint and RAM hash that follow at this instret saw it
        m.input.post({ kind: 'discard', runs: e.runs });
        m.applyInputs();
        break;
      case 'arch': {
        captureArch(m, this.arch);
        this.archChecks++;
        if (hashArch(this.arch) !== e.hash) {
          const fields = diffArch(e.words, this.arch);
          this.diverge('arch', `architectural state differs at instret ${e.instret}`, { fields });
        }
        break;
      }
      case 'ram': {
        if (this.options.verifyRam === false) break;
        const ram = !(this.options.verifyRam === 'after-start' && m.instret === this.startInstret);
        if (ram) {
          this.ramChecks++;
          const h = hashRam(m.ram, e.regionShift);
          if (h.hash !== e.hash) {
            const region = firstDifferingRegion({ regionShift: e.regionShift, regions: e.regions, hash: e.hash }, h, m.ram.base);
            this.diverge('ram', `RAM differs at instret ${e.instret}`, { region, regionBytes: 1 << e.regionShift });
          }
        }
        const dev = hashDevices(m);
        for (let i = 0; i < Math.max(dev.length, e.devices.length); i++) {
          if (dev[i] !== e.devices[i]) { const name = componentNames(m)[i] ?? `component ${i}`; this.diverge('device', `${name} state differs at instret ${e.instret}`, { fields: [name] }); }
        }
        if (ram) this.lastFullMatch = m.instret;
        break;
      }
      case 'checkpoint':
        if (m.clockMode === 'virtual') {
          // A hart waiting in WFI may have been checkpointed partway through an idle skip (the
          // recorder bounds skips at a guest-time checkpoint) that this replay, skipping whole idle
          // stretches, has not made yet: apply the recorder's rule with the marker's time as the bound.
          if (m.hart.waiting && !m.hart.interruptPending()) m.skipTo(idleSkipTarget(m.now(), m.nextDeadline(), e.ticks));
        }
        if (m.clockMode === 'virtual' && guestTicks(m) !== e.ticks) this.diverge('time', `${describeEvent(e)} at guest time ${e.ticks}, the replay is at ${guestTicks(m)}`);
        break;
      case 'start':
        if (m.clockMode === 'virtual' && guestTicks(m) !== e.ticks) this.diverge('time', `${describeEvent(e)} at guest time ${e.ticks}, the replay is at ${guestTicks(m)}`);
        break;
      case 'end':
        this.lastMatch = m.instret;
        return true;
      default:
        break;
    }
    this.lastMatch = m.instret;
    return false;
  }
}
