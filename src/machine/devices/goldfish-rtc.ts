/**
 * Goldfish RTC: nanoseconds since the Unix epoch, with one alarm.
 *
 * time = base + guest elapsed time (Clock ticks * 100 ns) + offset, where
 * base is fixed when the board is built (taken once from InputPort.hostTimeNs,
 * so replays see the same value) and offset moves when the guest sets the
 * time. Reading TIME_LOW latches the high half for the following TIME_HIGH
 * read. 64-bit values use BigInt: these registers are read rarely.
 */
import type { AccessSize, MmioDevice } from '../bus.js';
import { TIMEBASE_HZ, type Clock } from '../clock.js';
import type { IrqSink } from '../irq.js';
import { expectVersion, type StateRecord, type Stateful } from '../state.js';

const TIME_LOW = 0x00;
const TIME_HIGH = 0x04;
const ALARM_LOW = 0x08;
const ALARM_HIGH = 0x0c;
const IRQ_ENABLED = 0x10;
const CLEAR_ALARM = 0x14;
const ALARM_STATUS = 0x18;
const CLEAR_INTERRUPT = 0x1c;

const NS_PER_TICK = BigInt(1_000_000_000 / TIMEBASE_HZ);
const MASK32 = 0xffffffffn;
const MASK64 = 0xffff_ffff_ffff_ffffn;
const STATE_VERSION = 1;

export class GoldfishRtc implements MmioDevice, Stateful {
  private base: bigint;
  private offset = 0n;
  private alarmNext = 0n;
  private alarmRunning = false;
  private irqPending = false;
  private irqEnabled = false;
  private timeHigh = 0;
  private irqOut = false;

  /** @param baseNs wall-clock time at guest time 0, in ns since the epoch (integer). */
  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqSink,
    private readonly irqNumber: number,
    baseNs: number | bigint,
  ) {
    this.base = toNs(baseNs);
  }

  /** Current RTC time in ns since the epoch (wrapping at 2^64 like the register pair). */
  nowNs(): bigint {
    return this.nsAt(this.clock.now());
  }

  private nsAt(ticks: number): bigint {
    return (this.base + BigInt(Math.floor(ticks)) * NS_PER_TICK + this.offset) & MASK64;
  }

  read(offset: number, _size: AccessSize): number {
    switch (offset) {
      case TIME_LOW: {
        const t = this.nowNs();
        this.timeHigh = Number(t >> 32n);
        return Number(t & MASK32);
      }
      case TIME_HIGH:
        return this.timeHigh;
      case ALARM_LOW:
        return Number(this.alarmNext & MASK32);
      case ALARM_HIGH:
        return Number(this.alarmNext >> 32n);
      case IRQ_ENABLED:
        return this.irqEnabled ? 1 : 0;
      case ALARM_STATUS:
        return this.alarmRunning ? 1 : 0;
      default:
        return 0;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const v = BigInt(value >>> 0);
    switch (offset) {
      case TIME_LOW:
      case TIME_HIGH: {
        const cur = this.nowNs();
        const next = offset === TIME_LOW ? (cur & ~MASK32 & MASK64) | v : (cur & MASK32) | (v << 32n);
        this.offset += next - cur;
        // The alarm is in absolute time: moving the clock may make it due.
        this.update();
        return;
      }
      case ALARM_LOW:
        this.alarmNext = (this.alarmNext & ~MASK32 & MASK64) | v;
        this.alarmRunning = true;
        this.update();
        return;
      case ALARM_HIGH:
        this.alarmNext = (this.alarmNext & MASK32) | (v << 32n);
        return;
      case IRQ_ENABLED:
        this.irqEnabled = (value & 1) !== 0;
        this.updateIrq();
        return;
      case CLEAR_ALARM:
        this.alarmRunning = false;
        return;
      case CLEAR_INTERRUPT:
        this.irqPending = false;
        this.updateIrq();
        return;
      default:
        return;
    }
  }

  /** Fires the alarm if its time has come. The board calls this at deadlines (see nextDeadline). */
  update(): void {
    if (this.alarmRunning && this.nowNs() >= this.alarmNext) {
      this.alarmRunning = false;
      this.irqPending = true;
    }
    this.updateIrq();
  }

  /** Clock time (ticks) at which the armed alarm fires, or Infinity. */
  nextDeadline(): number {
    if (!this.alarmRunning) return Infinity;
    // One Clock read: in realtime mode each read is a recorded input.
    const now = this.clock.now();
    const remainingNs = this.alarmNext - this.nsAt(now);
    if (remainingNs <= 0n) return now;
    // Round up so that at the deadline the alarm is really due.
    const ticks = (remainingNs + NS_PER_TICK - 1n) / NS_PER_TICK;
    return now + Number(ticks);
  }

  private updateIrq(): void {
    const level = this.irqPending && this.irqEnabled;
    if (level !== this.irqOut) {
      this.irqOut = level;
      this.irq.setLevel(this.irqNumber, level);
    }
  }

  saveState(): StateRecord {
    return {
      version: STATE_VERSION,
      baseNs: this.base.toString(),
      offsetNs: this.offset.toString(),
      alarmNs: this.alarmNext.toString(),
      alarmRunning: this.alarmRunning,
      irqPending: this.irqPending,
      irqEnabled: this.irqEnabled,
      timeHigh: this.timeHigh,
      irqOut: this.irqOut,
    };
  }

  /** Restores registers; the IRQ line is not driven (its level is in the PLIC's saved state). */
  loadState(record: StateRecord): void {
    expectVersion(record, 'goldfish-rtc', STATE_VERSION);
    const big = (k: string): bigint => {
      const v = record[k];
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new Error(`goldfish-rtc: bad ${k} in state record`);
      return BigInt(v);
    };
    const bool = (k: string): boolean => {
      const v = record[k];
      if (typeof v !== 'boolean') throw new Error(`goldfish-rtc: bad ${k} in state record`);
      return v;
    };
    const th = record.timeHigh;
    if (typeof th !== 'number' || !Number.isInteger(th) || th < 0 || th > 0xffffffff) throw new Error('goldfish-rtc: bad timeHigh in state record');
    this.base = big('baseNs');
    this.offset = big('offsetNs');
    this.alarmNext = big('alarmNs') & MASK64;
    this.alarmRunning = bool('alarmRunning');
    this.irqPending = bool('irqPending');
    this.irqEnabled = bool('irqEnabled');
    this.irqOut = bool('irqOut');
    this.timeHigh = th;
  }
}

function toNs(v: number | bigint): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isFinite(v)) throw new Error(`goldfish-rtc: bad base time ${v}`);
  return BigInt(Math.trunc(v));
}
