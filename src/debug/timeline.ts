/**
 * A recording as a debugger target that goes backwards (`retrovisor debug`).
 *
 * Positions are instruction counts (instret). Going back = restore the
 * nearest earlier in-memory checkpoint and replay forward; reverse-continue
 * replays each checkpoint interval with the breakpoints and watchpoints
 * noting (not stopping at) hits, keeps the last one and lands there,
 * falling back one interval at a time (rr's method). Checkpoints are taken
 * every `checkpointEvery` instructions the first time the replay passes, and
 * extra ones close to where the user goes, at halving distances, so repeated
 * reverse-stepi near one point replays only a few thousand instructions.
 *
 * A checkpoint holds the machine's state record, the replay log position and
 * RAM as one reference per 4 KiB page: pages not dirtied since the previous
 * checkpoint are shared, so each costs about what the guest wrote in between.
 * Restoring copies back only pages that differ from the current ones (dirty
 * since the last restore or capture, or different between the two).
 *
 * The recording is never changed: registers and memory are read-only here,
 * and every state is recomputed from the log.
 *
 * States: a replay stopped at `until` is "canonical" (before the instruction
 * with that instret executes, before any pending interrupt is taken). A hit
 * can also stop the hart after a trap entered a handler without retiring an
 * instruction (same instret, different pc); such a stop is reached again by
 * replaying to its instret and then to the first boundary at its pc.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { INSTRUCTIONS_PER_TICK } from '../machine/board/virt-machine.js';
import { decodeState, encodeState } from '../encoding/state-codec.js';
import type { LogReader } from '../replay/log-reader.js';
import { Replayer, type ReplayOptions } from '../replay/replayer.js';
import type { CursorPosition } from '../replay/event-cursor.js';
import { formatDivergence } from '../replay/divergence.js';
import { DebugPoints, type Hit } from './debug-points.js';
import type { DebugTarget, ExecAction, StopEvent } from './debug-target.js';
import { describeMachine } from './monitor.js';
import { parseInstret } from './instret-text.js';

export interface TimelineOptions {
  /** Instructions between automatic checkpoints (default 10 M). */
  checkpointEvery?: number;
  /** Replay options for every replayer the timeline makes (e.g. verifyRam). */
  replay?: ReplayOptions;
  /** Yields to the event loop between replay chunks (Ctrl-C must get through); default setTimeout 0. */
  yieldNow?: () => Promise<void>;
  /** Instructions replayed between yields (default 2 M). */
  chunk?: number;
  /**
   * Repository checkpoints the log marks (`record --checkpoint-every --repo`):
   * going forward past one restores it instead of replaying up to it.
   */
  repository?: {
    readonly checkpoints: ReadonlyArray<{ readonly id: string; readonly instret: number }>;
    /** Loads checkpoint `id` into the machine (restoreMachine from the repository). */
    restore(machine: VirtMachine, id: string): void;
  };
}

/** The repository checkpoint markers of a log: a marker starts its frame (the recorder cuts one there). */
export function logCheckpoints(reader: LogReader): Array<{ id: string; instret: number }> {
  const out: Array<{ id: string; instret: number }> = [];
  for (let f = 0; f < reader.frames.length; f++) {
    const e = reader.events(f)[0];
    if (e?.kind === 'checkpoint') out.push({ id: e.id, instret: e.instret });
  }
  return out;
}

export interface TimelineCheckpoint {
  readonly id: number;
  readonly instret: number;
  readonly pages: Uint8Array[];
  readonly state: Uint8Array;
  readonly cursor: CursorPosition;
  readonly atEnd: boolean;
  /** How it came about: the start, periodic, near a point the user went to, or asked for. */
  readonly why: 'start' | 'periodic' | 'near' | 'user' | 'repository';
  /** Bytes of page copies it added. */
  readonly bytes: number;
}

type Forward = 'target' | 'hit' | 'end' | 'interrupted';

const PAGE = 4096;
/** The replay distance below which no extra checkpoint is taken before a target. */
const NEAR = 100_000;

export class Timeline implements DebugTarget {
  readonly points: DebugPoints;
  readonly writable = false;
  readonly reversible = true;
  readonly startInstret: number;
  /** The recording's last instruction count, once known (the end marker was reached). */
  endInstret = Infinity;
  private readonly checkpoints: TimelineCheckpoint[] = [];
  private baseline: TimelineCheckpoint;
  private atEnd = false;
  private canonical = true;
  private interrupted = false;
  private hit: Hit | null = null;
  private nextId = 1;
  private readonly every: number;
  private readonly chunk: number;
  private readonly yieldNow: () => Promise<void>;
  private readonly zero = new Uint8Array(PAGE);
  /** Instructions replayed in all (statistics for the benchmark and `monitor info`). */
  replayed = 0;

  /** `replayer` is attached to `machine`, which holds the recording's start state. */
  constructor(readonly machine: VirtMachine, private readonly reader: LogReader, private replayer: Replayer, private readonly options: TimelineOptions = {}) {
    if (machine.clockMode !== 'virtual') throw new Error('debugging a recording needs the virtual clock (realtime recordings replay their host slicing)');
    this.points = new DebugPoints(machine.hart);
    this.every = options.checkpointEvery ?? 10_000_000;
    this.chunk = options.chunk ?? 2_000_000;
    this.yieldNow = options.yieldNow ?? (() => new Promise((res) => setTimeout(res, 0)));
    this.startInstret = machine.instret;
    this.baseline = this.capture('start', true);
  }

  get hart() { return this.machine.hart; }
  get ram() { return this.machine.ram; }
  get instret(): number { return this.machine.instret; }
  get checkpointList(): readonly TimelineCheckpoint[] { return this.checkpoints; }

  // ------------------------------------------------------------ checkpoints

  private isZero(off: number): boolean {
    const w = this.machine.ram.i32;
    for (let i = off >> 2, e = (off + PAGE) >> 2; i < e; i++) if (w[i] !== 0) return false;
    return true;
  }

  private capture(why: TimelineCheckpoint['why'], all = false): TimelineCheckpoint {
    const m = this.machine;
    const ram = m.ram;
    const pages = new Array<Uint8Array>(ram.pages);
    let bytes = 0;
    for (let i = 0; i < ram.pages; i++) {
      if (!all && ram.dirty[i] === 0) { pages[i] = this.baseline.pages[i]; continue; }
      const off = i * PAGE;
      if (this.isZero(off)) pages[i] = this.zero;
      else { pages[i] = ram.u8.slice(off, off + PAGE); bytes += PAGE; }
    }
    ram.clearDirty();
    const c: TimelineCheckpoint = { id: this.nextId++, instret: m.instret, pages, state: encodeState(m.saveState()), cursor: this.replayer.position(), atEnd: this.atEnd, why, bytes };
    let i = this.checkpoints.length;
    while (i > 0 && this.checkpoints[i - 1].instret > c.instret) i--;
    this.checkpoints.splice(i, 0, c);
    this.baseline = c;
    return c;
  }

  /** A checkpoint here, if the state allows one (canonical, no input waiting) and none exists at this instret. */
  private maybeCapture(why: TimelineCheckpoint['why']): TimelineCheckpoint | null {
    const m = this.machine;
    if (!this.canonical || m.input.hasPending) return null;
    const existing = this.checkpoints.find((c) => c.instret === m.instret);
    if (existing) return existing;
    return this.capture(why);
  }

  private restore(c: TimelineCheckpoint): void {
    const m = this.machine;
    const ram = m.ram;
    const base = this.baseline;
    for (let i = 0; i < ram.pages; i++) {
      if (ram.dirty[i] !== 0 || base.pages[i] !== c.pages[i]) ram.u8.set(c.pages[i], i * PAGE);
    }
    // inputs the replayer posted for the abandoned future must not reach the restored past
    const tap = m.input.tap;
    m.input.tap = null;
    m.input.drain(() => {});
    m.input.tap = tap;
    m.loadState(decodeState(c.state));
    ram.clearDirty();
    this.baseline = c;
    this.replayer = new Replayer(this.reader, this.options.replay);
    this.replayer.attach(m, { position: c.cursor });
    this.atEnd = c.atEnd;
    this.canonical = true;
  }

  /** Loads a repository checkpoint the log marks and keeps an in-memory one there (a full capture: RAM changed wholesale). */
  private restoreRepository(id: string): void {
    const m = this.machine;
    const tap = m.input.tap;
    m.input.tap = null;
    m.input.drain(() => {});
    m.input.tap = tap;
    this.options.repository!.restore(m, id);
    this.replayer = new Replayer(this.reader, this.options.replay);
    this.replayer.attach(m, { checkpoint: id });
    this.atEnd = false;
    this.canonical = true;
    const same = this.checkpoints.findIndex((c) => c.instret === m.instret);
    if (same >= 0) this.checkpoints.splice(same, 1);
    this.capture('repository', true);
  }

  private latestAtOrBefore(n: number): TimelineCheckpoint {
    let best = this.checkpoints[0];
    for (const c of this.checkpoints) if (c.instret <= n) best = c;
    return best;
  }

  // ------------------------------------------------------------ moving

  /** Replays toward instret `target` (Infinity: the end), in chunks, taking periodic checkpoints. */
  private async forward(target: number): Promise<Forward> {
    const m = this.machine;
    if (this.atEnd) return 'end';
    while (m.instret < target) {
      const last = this.latestAtOrBefore(m.instret).instret;
      const nextCk = last + this.every;
      const chunkEnd = Math.min(target, m.instret + this.chunk, nextCk > m.instret ? nextCk : Infinity);
      const before = m.instret;
      const r = this.replayer.run({ until: chunkEnd });
      this.replayed += m.instret - before;
      if (r.stop === 'diverged' && r.divergence) throw new Error(`the replay diverged: ${formatDivergence(r.divergence)}`);
      if (r.stop === 'paused') { this.canonical = false; return 'hit'; }
      this.canonical = true;
      if (r.stop === 'end' || r.stop === 'log-end') {
        this.atEnd = true;
        this.endInstret = m.instret;
        return 'end';
      }
      if (m.instret >= nextCk) this.maybeCapture('periodic');
      if (m.instret < target) {
        await this.yieldNow();
        if (this.interrupted) return 'interrupted';
      }
    }
    return 'target';
  }

  /** Goes to the canonical state at instret n (clamped to the recording), leaving checkpoints near it. */
  private async seek(n: number): Promise<Forward> {
    const m = this.machine;
    n = Math.max(this.startInstret, Math.min(n, this.endInstret));
    const c = this.latestAtOrBefore(n);
    const here = m.instret;
    const usable = here <= n && here >= c.instret && !(here === n && !this.canonical) && !(this.atEnd && here < n);
    // a repository checkpoint between the best in-memory one (or here) and the target saves replaying up to it
    const from = usable ? here : c.instret;
    const repo = this.options.repository?.checkpoints.filter((r) => r.instret > from && r.instret <= n).pop();
    if (repo) this.restoreRepository(repo.id);
    else if (!usable) this.restore(c);
    this.points.setArmed(false);
    try {
      // checkpoints at halving distances before the target: the next steps back replay little
      const marks: number[] = [];
      for (let d = NEAR; n - d > m.instret + NEAR; d *= 2) marks.push(n - d);
      for (const at of marks.reverse()) {
        const r = await this.forward(at);
        if (r !== 'target') return r;
        this.maybeCapture('near');
      }
      return await this.forward(n);
    } finally {
      this.points.setArmed(true);
    }
  }

  /** Lands on a hit noted while scanning: its instret, then its pc. */
  private async land(at: { instret: number; pcLo: number; pcHi: number; hit: Hit }): Promise<void> {
    const m = this.machine;
    if (at.hit.kind === 'watch') {
      // GDB's RISC-V watchpoints are non-steppable: in reverse it expects the stop after the access and steps back itself
      await this.seek(at.instret + 1);
      return;
    }
    await this.seek(at.instret);
    if (m.hart.pcLo === at.pcLo && m.hart.pcHi === at.pcHi) return;
    this.points.onHit = () => m.instret === at.instret && m.hart.pcLo === at.pcLo && m.hart.pcHi === at.pcHi;
    await this.forward(at.instret + 1);
  }

  // ------------------------------------------------------------ DebugTarget

  async halt(): Promise<StopEvent> {
    return this.atEnd ? { kind: 'history', edge: 'end' } : { kind: 'signal', signal: 5 };
  }

  interrupt(): void {
    this.interrupted = true;
  }

  async execute(action: ExecAction): Promise<StopEvent> {
    this.interrupted = false;
    const m = this.machine;
    switch (action) {
      case 'step': {
        if (this.atEnd) return { kind: 'history', edge: 'end' };
        this.points.setArmed(false);
        const r = await this.forward(m.instret + 1);
        this.points.setArmed(true);
        return r === 'end' ? { kind: 'history', edge: 'end' } : { kind: 'signal', signal: 5 };
      }
      case 'continue': {
        if (this.atEnd) return { kind: 'history', edge: 'end' };
        const startN = m.instret, startLo = m.hart.pcLo, startHi = m.hart.pcHi;
        let first = true;
        this.hit = null;
        this.points.onHit = (hit) => {
          // the instruction we resume from runs: a hit there was reported already
          if (first && m.instret === startN && m.hart.pcLo === startLo && m.hart.pcHi === startHi) { first = false; return false; }
          first = false;
          this.hit = hit;
          return true;
        };
        const r = await this.forward(Infinity);
        if (r === 'hit') return { kind: 'signal', signal: 5, hit: this.hit ?? undefined };
        if (r === 'interrupted') return { kind: 'signal', signal: 2 };
        return { kind: 'history', edge: 'end' };
      }
      case 'reverse-step': {
        if (!this.canonical) {
          // a hook stop: it is either the canonical state of its instret (then go one further back) or a trap entry after it
          const n = m.instret, lo = m.hart.pcLo, hi = m.hart.pcHi;
          const r = await this.seek(n);
          if (r === 'interrupted') return { kind: 'signal', signal: 2 };
          if (m.hart.pcLo !== lo || m.hart.pcHi !== hi) return { kind: 'signal', signal: 5 };
        }
        if (m.instret <= this.startInstret) return { kind: 'history', edge: 'begin' };
        const r = await this.seek(m.instret - 1);
        return r === 'interrupted' ? { kind: 'signal', signal: 2 } : { kind: 'signal', signal: 5 };
      }
      case 'reverse-continue':
        return this.reverseContinue();
    }
  }

  private async reverseContinue(): Promise<StopEvent> {
    const m = this.machine;
    const origin = m.instret;
    let hi = origin;
    if (this.points.empty) {
      await this.seek(this.startInstret);
      return { kind: 'history', edge: 'begin' };
    }
    for (;;) {
      const earlier = this.checkpoints.filter((c) => c.instret < hi);
      if (earlier.length === 0) break;
      const c = earlier[earlier.length - 1];
      this.restore(c);
      let last: { instret: number; pcLo: number; pcHi: number; hit: Hit } | null = null;
      this.points.onHit = (hit) => {
        last = { instret: m.instret, pcLo: m.hart.pcLo, pcHi: m.hart.pcHi, hit };
        return false;
      };
      const r = await this.forward(hi);
      if (r === 'interrupted') {
        this.interrupted = false;
        await this.seek(origin);
        return { kind: 'signal', signal: 2 };
      }
      const found = last as { instret: number; pcLo: number; pcHi: number; hit: Hit } | null;
      if (found) {
        await this.land(found);
        return { kind: 'signal', signal: 5, hit: found.hit };
      }
      hi = c.instret;
    }
    await this.seek(this.startInstret);
    return { kind: 'history', edge: 'begin' };
  }

  async monitor(command: string): Promise<string> {
    const [cmd, arg] = command.split(/\s+/);
    const m = this.machine;
    switch (cmd) {
      case '':
      case 'help':
        return [
          'monitor commands:',
          '  when          current instruction count and guest time',
          '  goto N        go to instruction count N (e.g. 1500000, 150M); then: maintenance flush register-cache',
          '  checkpoint    take an in-memory checkpoint here',
          '  checkpoints   list the checkpoints',
          '  info          about the recording',
        ].join('\n');
      case 'when':
        return describeMachine(m) + (this.canonical ? '' : ' (stopped after a trap entry within this instruction count)');
      case 'goto': {
        const n = arg === undefined ? NaN : parseInstret(arg);
        if (!Number.isFinite(n)) return 'usage: monitor goto N (an instruction count)';
        this.interrupted = false;
        const r = await this.seek(n);
        return `${r === 'end' ? 'at the end of the recording: ' : ''}${describeMachine(m)}\n(run "maintenance flush register-cache" so GDB rereads the registers)`;
      }
      case 'checkpoint': {
        const c = this.maybeCapture('user');
        return c ? `checkpoint ${c.id} at instret ${c.instret}` : 'no checkpoint here (stopped inside a trap entry or with input pending): step once and retry';
      }
      case 'checkpoints':
        return this.checkpoints.map((c) => `${String(c.id).padStart(4)}  instret ${c.instret}  ${c.why}  ${(c.bytes / 1024).toFixed(0)} KiB`).join('\n');
      case 'info': {
        const bytes = this.checkpoints.reduce((s, c) => s + c.bytes, 0);
        return [
          `recording ${this.reader.name}: starts at ${this.reader.meta.start.kind === 'boot' ? 'boot' : `checkpoint ${(this.reader.meta.start as { id: unknown }).id}`}, instret ${this.startInstret}`,
          `end: ${this.endInstret === Infinity ? 'not reached yet' : `instret ${this.endInstret}`}; ${this.reader.frames.length} frames, ${this.reader.size} bytes`,
          `guest time: ${INSTRUCTIONS_PER_TICK} instructions per tick (virtual clock)`,
          `checkpoints: ${this.checkpoints.length} in memory (every ${this.every} instructions and near where you go), ${(bytes / 1048576).toFixed(1)} MiB of pages`,
          `replayed so far: ${this.replayed} instructions`,
          `now: ${describeMachine(m)}`,
        ].join('\n');
      }
      default:
        return `unknown monitor command "${cmd}" (try: monitor help)`;
    }
  }

  /** Public seek for tools and tests (`monitor goto`). */
  async goto(n: number): Promise<void> {
    this.interrupted = false;
    await this.seek(n);
  }

  detach(_kill: boolean): void {
    this.points.clear();
  }
}
