/**
 * Records a machine: every input through the InputPort tap at its landmark,
 * guest time with each asynchronous input, an architectural fingerprint
 * every `hashInterval` instructions and a RAM fingerprint every
 * `ramHashInterval` (and at start and finish).
 *
 * Use: wrap the input source with `source()` before building the machine
 * (inputs pulled while it is built have no landmark yet), then `attach()`
 * (after restoring a checkpoint, when starting from one), run the machine as
 * usual, `finish()`.
 *
 * `attach` observes the machine's run loop (VirtMachine.observe) so slices
 * also end at hash points; run() stops exactly at its limits, so the guest
 * cannot tell, and hash points land at the same instructions when replaying.
 */
import type { RunObserver, StopReason, VirtMachine } from '../machine/board/virt-machine.js';
import type { AsyncInput, InputSource, InputTap, Landmark, SyncInput } from '../machine/input.js';
import { ARCH_WORDS, captureArch, guestTicks, hashArch } from './arch-state.js';
import type { LogWriter } from './log-writer.js';
import { hashRam } from './ram-hash.js';
import { hashDevices } from './device-hash.js';

export interface RecorderOptions {
  /** Instructions between architectural fingerprints (default 4 M). */
  hashInterval?: number;
  /** Instructions between RAM fingerprints (default 512 M; 0 = only at start and finish). */
  ramHashInterval?: number;
}

export const DEFAULT_HASH_INTERVAL = 4_000_000;
export const DEFAULT_RAM_HASH_INTERVAL = 512_000_000;

export class Recorder implements InputTap {
  readonly hashInterval: number;
  readonly ramHashInterval: number;
  private machine: VirtMachine | null = null;
  private nextHash = Infinity;
  private nextRam = Infinity;
  private detach: (() => void) | null = null;
  private finished = false;
  private readonly arch = new Int32Array(ARCH_WORDS);
  /** Fingerprints taken and the host time they cost (the recorder's main overhead). */
  readonly stats = { archHashes: 0, ramHashes: 0, hashMs: 0 };

  constructor(readonly writer: LogWriter, options: RecorderOptions = {}) {
    this.hashInterval = options.hashInterval ?? DEFAULT_HASH_INTERVAL;
    this.ramHashInterval = options.ramHashInterval ?? DEFAULT_RAM_HASH_INTERVAL;
    if (!(this.hashInterval >= 1)) throw new Error('hashInterval must be at least 1');
  }

  /** Wraps the live input source: values pulled before `attach` (while the machine is built) are logged without a landmark. */
  source(inner: InputSource): InputSource {
    return {
      entropy: (dst) => {
        inner.entropy(dst);
        if (!this.machine) this.writer.add({ kind: 'entropy', instret: 0, pc: 0, data: dst.slice() });
      },
      hostTimeNs: () => {
        const ns = inner.hostTimeNs();
        if (!this.machine) this.writer.add({ kind: 'clock', instret: 0, pc: 0, ns });
        return ns;
      },
    };
  }

  attach(machine: VirtMachine): void {
    if (this.machine) throw new Error('recorder is already attached');
    this.machine = machine;
    machine.input.tap = this;
    this.detach = machine.observe(this.observer);
    const at = this.landmark();
    this.writer.add({ kind: 'start', ...at, ticks: guestTicks(machine) });
    this.hashPoint(true);
    this.nextHash = (Math.floor(machine.instret / this.hashInterval) + 1) * this.hashInterval;
    this.nextRam = this.ramHashInterval > 0 ? machine.instret + this.ramHashInterval : Infinity;
  }

  private landmark(): Landmark {
    return this.machine!.landmark();
  }

  private readonly observer: RunObserver = {
    sliceLimit: (m, max) => Math.min(max, this.nextHash - m.instret),
    beforeSlice: (m, n, idle) => {
      // a realtime run's slices depend on host timing: the replay must cut the same ones
      if (m.clockMode === 'realtime') this.writer.add({ kind: 'run', ...this.landmark(), n, idleReturn: idle === 'return' });
    },
    afterSlice: (m: VirtMachine, _stop: StopReason) => {
      if (m.instret >= this.nextHash) {
        this.hashPoint(m.instret >= this.nextRam);
        this.nextHash = (Math.floor(m.instret / this.hashInterval) + 1) * this.hashInterval;
      }
    },
  };

  /** Logs the architectural fingerprint here (and RAM's when `ram`). */
  hashPoint(ram = false): void {
    const t0 = performance.now();
    const m = this.machine!;
    const at = this.landmark();
    captureArch(m, this.arch);
    this.writer.add({ kind: 'arch', ...at, hash: hashArch(this.arch), words: this.arch });
    if (ram) {
      const h = hashRam(m.ram);
      this.writer.add({ kind: 'ram', ...at, regionShift: h.regionShift, regions: h.regions, hash: h.hash, devices: hashDevices(m) });
      if (this.ramHashInterval > 0) this.nextRam = m.instret + this.ramHashInterval;
      this.stats.ramHashes++;
    }
    this.stats.archHashes++;
    this.stats.hashMs += performance.now() - t0;
  }

  /** Marks that a checkpoint with this id was taken here (call between runs); replay can start from it. */
  checkpoint(id: string): void {
    const m = this.machine!;
    this.writer.flush(); // the marker starts a frame, so a replay from it seeks straight there
    this.writer.add({ kind: 'checkpoint', ...this.landmark(), ticks: guestTicks(m), id });
    this.hashPoint(true);
  }

  sync(input: SyncInput, at: Landmark): void {
    if (input.kind === 'entropy') this.writer.add({ kind: 'entropy', instret: at.instret, pc: at.pc, data: input.data });
    else this.writer.add({ kind: 'clock', instret: at.instret, pc: at.pc, ns: input.ns });
  }

  async(input: AsyncInput, at: Landmark): void {
    // drained at the top of run(): guest time now is what the replay must reach before posting
    const ticks = guestTicks(this.machine!);
    if (input.kind === 'console') this.writer.add({ kind: 'console', instret: at.instret, pc: at.pc, ticks, data: input.data.slice() });
    else if (input.kind === 'net-rx') this.writer.add({ kind: 'net-rx', instret: at.instret, pc: at.pc, ticks, slot: input.slot, frame: input.frame.slice() });
    else if (input.kind === 'net-link') this.writer.add({ kind: 'net-link', instret: at.instret, pc: at.pc, ticks, slot: input.slot, up: input.up });
    else this.writer.add({ kind: 'discard', instret: at.instret, pc: at.pc, ticks, runs: input.runs.slice() });
  }

  /** Final fingerprints and the end marker; closes the log. */
  finish(reason: string, code = 0): void {
    if (this.finished) return;
    this.finished = true;
    if (this.machine) {
      this.hashPoint(true);
      this.writer.add({ kind: 'end', ...this.landmark(), reason, code });
      this.machine.input.tap = null;
      this.detach?.();
      this.detach = null;
    }
    this.writer.close();
  }
}
