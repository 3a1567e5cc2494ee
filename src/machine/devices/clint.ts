/**
 * SiFive CLINT (core-local interruptor): per-hart software interrupt (msip),
 * per-hart timer compare (mtimecmp) and the shared mtime counter.
 *
 * mtime is the Clock's tick count plus an offset (guest writes to mtime move
 * the offset, never the Clock). mtimecmp is kept as two 32-bit halves because
 * its reset value, all-ones, does not fit a double exactly; any compare value
 * of 2^53 or more is treated as "never" when reporting deadlines (mtime cannot
 * reach it in any realistic run).
 */
import type { AccessSize, MmioDevice } from '../bus.js';
import { MIP_MSIP, MIP_MTIP, type Clock, type HartInterruptLines } from '../clock.js';
import { expectVersion, type StateRecord, type Stateful } from '../state.js';
import { extractSub, mergeSub } from './sub-word.js';

const MSIP_BASE = 0x0;
const MTIMECMP_BASE = 0x4000;
const MTIME = 0xbff8;
const TWO32 = 0x1_0000_0000;
/** Compare values with a high half at or above this are beyond 2^53 ticks. */
const NEVER_HI = 0x20_0000;
const STATE_VERSION = 1;

export class Clint implements MmioDevice, Stateful {
  private readonly msip: Uint8Array;
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  /** mtime = clock.now() + offset. */
  private offset = 0;
  /** Last MTIP level driven per hart: 0, 1, or -1 when not yet driven. */
  private readonly mtipOut: Int8Array;

  constructor(
    private readonly clock: Clock,
    private readonly harts: readonly HartInterruptLines[],
  ) {
    if (harts.length < 1 || harts.length > 4095) throw new Error(`CLINT: unsupported hart count ${harts.length}`);
    const n = harts.length;
    this.msip = new Uint8Array(n);
    this.cmpLo = new Uint32Array(n).fill(0xffffffff);
    this.cmpHi = new Uint32Array(n).fill(0xffffffff);
    this.mtipOut = new Int8Array(n).fill(-1);
  }

  /** Current mtime in ticks. */
  mtime(): number {
    return this.clock.now() + this.offset;
  }

  read(offset: number, size: AccessSize): number {
    const lane = offset & 3;
    const word = offset - lane;
    return extractSub(this.readWord(word), lane, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const lane = offset & 3;
    const word = offset - lane;
    const merged = size === 4 ? value >>> 0 : mergeSub(this.readWord(word), lane, size, value);
    this.writeWord(word, merged);
  }

  private readWord(off: number): number {
    const n = this.harts.length;
    if (off >= MSIP_BASE && off < MSIP_BASE + 4 * n) return this.msip[off >>> 2];
    if (off >= MTIMECMP_BASE && off < MTIMECMP_BASE + 8 * n) {
      const i = (off - MTIMECMP_BASE) >>> 3;
      return (off & 4) === 0 ? this.cmpLo[i] : this.cmpHi[i];
    }
    if (off === MTIME) return this.mtime() % TWO32;
    if (off === MTIME + 4) return Math.floor(this.mtime() / TWO32);
    return 0;
  }

  private writeWord(off: number, value: number): void {
    const n = this.harts.length;
    if (off >= MSIP_BASE && off < MSIP_BASE + 4 * n) {
      const i = off >>> 2;
      this.msip[i] = value & 1;
      this.harts[i].setPending(MIP_MSIP, (value & 1) !== 0);
      return;
    }
    if (off >= MTIMECMP_BASE && off < MTIMECMP_BASE + 8 * n) {
      const i = (off - MTIMECMP_BASE) >>> 3;
      if ((off & 4) === 0) this.cmpLo[i] = value;
      else this.cmpHi[i] = value;
      this.update();
      return;
    }
    if (off === MTIME || off === MTIME + 4) {
      const now = this.mtime();
      const lo = now % TWO32;
      const hi = Math.floor(now / TWO32);
      const target = off === MTIME ? hi * TWO32 + (value >>> 0) : (value >>> 0) * TWO32 + lo;
      this.offset = target - this.clock.now();
      this.update();
    }
  }

  /** Recomputes MTIP (mtime >= mtimecmp) for every hart; drives a line only when it changes. */
  update(): void {
    const mt = this.mtime();
    const mtHi = Math.floor(mt / TWO32);
    const mtLo = mt - mtHi * TWO32;
    for (let i = 0; i < this.harts.length; i++) {
      const hi = this.cmpHi[i];
      const due = mtHi > hi || (mtHi === hi && mtLo >= this.cmpLo[i]) ? 1 : 0;
      if (due !== this.mtipOut[i]) {
        this.mtipOut[i] = due;
        this.harts[i].setPending(MIP_MTIP, due === 1);
      }
    }
  }

  /**
   * The Clock time (ticks, as Clock.now() counts them) at which the earliest
   * mtimecmp not yet reached will be reached, or Infinity when there is none.
   * Compares already reached (MTIP raised by the last update()) are left out:
   * OpenSBI leaves mtimecmp in the past after a timer fires (it only masks
   * MTIE), so counting them would make WFI wait for a moment that has passed.
   * Does not read the Clock (in realtime mode every read is a recorded input).
   */
  nextDeadline(): number {
    let best = Infinity;
    for (let i = 0; i < this.harts.length; i++) {
      const hi = this.cmpHi[i];
      if (hi >= NEVER_HI || this.mtipOut[i] === 1) continue;
      const t = hi * TWO32 + this.cmpLo[i] - this.offset;
      if (t < best) best = t;
    }
    return best;
  }

  saveState(): StateRecord {
    return {
      version: STATE_VERSION,
      harts: this.harts.length,
      offset: this.offset,
      msip: Array.from(this.msip),
      mtimecmpLo: Array.from(this.cmpLo),
      mtimecmpHi: Array.from(this.cmpHi),
    };
  }

  /**
   * Restores registers only. The hart lines are not driven here: their levels
   * are part of the CPU's saved mip, and the Clock may not be restored yet.
   * The next update() re-drives MTIP.
   */
  loadState(record: StateRecord): void {
    expectVersion(record, 'CLINT', STATE_VERSION);
    const n = this.harts.length;
    if (record.harts !== n) throw new Error(`CLINT: state is for ${String(record.harts)} harts, this board has ${n}`);
    const offset = record.offset;
    if (typeof offset !== 'number' || !Number.isFinite(offset)) throw new Error('CLINT: bad offset in state record');
    const msip = u32List(record.msip, n, 'msip');
    const lo = u32List(record.mtimecmpLo, n, 'mtimecmpLo');
    const hi = u32List(record.mtimecmpHi, n, 'mtimecmpHi');
    this.offset = offset;
    for (let i = 0; i < n; i++) {
      this.msip[i] = msip[i] & 1;
      this.cmpLo[i] = lo[i];
      this.cmpHi[i] = hi[i];
    }
    this.mtipOut.fill(-1);
  }
}

function u32List(v: unknown, n: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
    throw new Error(`CLINT: bad ${what} in state record`);
  }
  return v as number[];
}
