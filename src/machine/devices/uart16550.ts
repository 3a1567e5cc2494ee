/**
 * ns16550a UART (register shift 0). Transmission completes instantly (no baud
 * timing, so runs stay deterministic); received bytes wait in an unbounded
 * queue so no input is ever lost. Interrupt identification follows QEMU's
 * serial.c, whose THRE semantics Linux's 8250 driver relies on.
 */
import type { AccessSize, MmioDevice } from '../bus.js';
import type { IrqSink } from '../irq.js';
import { expectVersion, type StateRecord, type Stateful } from '../state.js';

const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;

const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_FIFO_ENABLED = 0xc0;

const FCR_FE = 0x01;
const FCR_CLEAR_RX = 0x02;

const LCR_DLAB = 0x80;

const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
/** Line-status bits that raise a receiver-line-status interrupt. */
const LSR_INT_ANY = 0x1e;

const MSR_DCTS = 0x01;
const MSR_DDSR = 0x02;
const MSR_TERI = 0x04;
const MSR_DDCD = 0x08;
const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;
const MSR_ANY_DELTA = 0x0f;
/** Modem lines as QEMU presents them without a real serial port. */
const MSR_DEFAULT = MSR_DCD | MSR_DSR | MSR_CTS;

const STATE_VERSION = 1;

export class Uart16550 implements MmioDevice, Stateful {
  /** No deadlines here, and interrupts go through the PLIC: polling LSR while printing (~13 000 accesses per boot) need not end slices. */
  readonly keepsSlice = true;
  private ier = 0;
  private lcr = 0;
  private mcr = MCR_OUT2;
  private lsr = LSR_THRE | LSR_TEMT;
  private msr = MSR_DEFAULT;
  private scr = 0;
  private fcr = 0;
  private divisor = 12;
  private thrIpending = false;
  private irqOut = false;

  /** Received bytes not yet read: chunks[head] from headPos on, then the later chunks. */
  private chunks: Uint8Array[] = [];
  private head = 0;
  private headPos = 0;
  private queued = 0;

  constructor(
    private readonly transmit: (byte: number) => void,
    private readonly irq: IrqSink,
    private readonly irqNumber: number,
  ) {}

  /** True once the driver enabled the receive interrupt (the tty is open): hosts hold input until then. */
  get rxInterruptEnabled(): boolean {
    return (this.ier & 1) !== 0;
  }

  /** Bytes received but not yet read by the guest. */
  get rxQueued(): number {
    return this.queued;
  }

  /** Host side: queue received bytes (copied). */
  receive(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.enqueue(bytes.slice());
    this.updateIrq();
  }

  private enqueue(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.lsr |= LSR_DR;
  }

  private dequeue(): number {
    if (this.queued === 0) return 0;
    const c = this.chunks[this.head];
    const b = c[this.headPos++];
    if (this.headPos >= c.length) {
      this.head++;
      this.headPos = 0;
      // Compact occasionally so the array does not grow without bound.
      if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    }
    if (--this.queued === 0) {
      this.chunks = [];
      this.head = 0;
      this.lsr &= ~LSR_DR;
    }
    return b;
  }

  private clearRx(): void {
    this.chunks = [];
    this.head = 0;
    this.headPos = 0;
    this.queued = 0;
    this.lsr &= ~LSR_DR;
  }

  read(offset: number, _size: AccessSize): number {
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        {
          const b = this.dequeue();
          this.updateIrq();
          return b;
        }
      case 1:
        return this.lcr & LCR_DLAB ? (this.divisor >>> 8) & 0xff : this.ier;
      case 2: {
        const id = this.interruptId();
        // Reading IIR while it reports THRE acknowledges that interrupt.
        if (id === IIR_THRI) {
          this.thrIpending = false;
          this.updateIrq();
        }
        return id | (this.fcr & FCR_FE ? IIR_FIFO_ENABLED : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const v = this.lsr;
        // Error bits clear on read.
        if (this.lsr & (LSR_BI | LSR_OE | LSR_INT_ANY)) {
          this.lsr &= ~(LSR_BI | LSR_OE | LSR_INT_ANY);
          this.updateIrq();
        }
        return v;
      }
      case 6: {
        const v = this.msr;
        if (this.msr & MSR_ANY_DELTA) {
          this.msr &= ~MSR_ANY_DELTA;
          this.updateIrq();
        }
        return v;
      }
      case 7:
        return this.scr;
      default:
        return 0;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const v = value & 0xff;
    switch (offset) {
      case 0:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0xff00) | v;
          return;
        }
        this.thrIpending = false;
        if (this.mcr & MCR_LOOP) this.enqueue(Uint8Array.of(v));
        else this.transmit(v);
        // The byte left the (instant) shifter: THR is empty again.
        this.lsr |= LSR_THRE | LSR_TEMT;
        this.thrIpending = true;
        this.updateIrq();
        return;
      case 1: {
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0x00ff) | (v << 8);
          return;
        }
        const changed = (this.ier ^ v) & 0x0f;
        this.ier = v & 0x0f;
        // Enabling THRI while THR is empty raises THRE (Linux's startup probe expects it).
        if (changed & IER_THRI) this.thrIpending = (this.ier & IER_THRI) !== 0 && (this.lsr & LSR_THRE) !== 0;
        this.updateIrq();
        return;
      }
      case 2:
        if (v & FCR_CLEAR_RX) this.clearRx();
        this.fcr = v & 0xc9;
        this.updateIrq();
        return;
      case 3:
        this.lcr = v;
        return;
      case 4: {
        const old = this.mcr;
        this.mcr = v & 0x1f;
        if (old !== this.mcr) this.updateMsr();
        this.updateIrq();
        return;
      }
      case 7:
        this.scr = v;
        return;
      default:
        return;
    }
  }

  /** In loopback the modem inputs follow the modem outputs; deltas record changes. */
  private updateMsr(): void {
    const before = this.msr;
    const next = this.mcr & MCR_LOOP ? loopMsr(this.mcr) : MSR_DEFAULT;
    let delta = 0;
    if ((before ^ next) & MSR_CTS) delta |= MSR_DCTS;
    if ((before ^ next) & MSR_DSR) delta |= MSR_DDSR;
    if ((before ^ next) & MSR_DCD) delta |= MSR_DDCD;
    // Trailing edge of RI only.
    if (before & MSR_RI && !(next & MSR_RI)) delta |= MSR_TERI;
    this.msr = next | (before & MSR_ANY_DELTA) | delta;
  }

  private interruptId(): number {
    if (this.ier & IER_RLSI && this.lsr & LSR_INT_ANY) return IIR_RLSI;
    if (this.ier & IER_RDI && this.lsr & LSR_DR) return IIR_RDI;
    if (this.ier & IER_THRI && this.thrIpending) return IIR_THRI;
    if (this.ier & IER_MSI && this.msr & MSR_ANY_DELTA) return IIR_MSI;
    return IIR_NO_INT;
  }

  private updateIrq(): void {
    const level = this.interruptId() !== IIR_NO_INT;
    if (level !== this.irqOut) {
      this.irqOut = level;
      this.irq.setLevel(this.irqNumber, level);
    }
  }

  saveState(): StateRecord {
    const rx = new Uint8Array(this.queued);
    let o = 0;
    for (let i = this.head; i < this.chunks.length; i++) {
      const c = i === this.head ? this.chunks[i].subarray(this.headPos) : this.chunks[i];
      rx.set(c, o);
      o += c.length;
    }
    return {
      version: STATE_VERSION,
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      lsr: this.lsr,
      msr: this.msr,
      scr: this.scr,
      fcr: this.fcr,
      divisor: this.divisor,
      thrIpending: this.thrIpending,
      irqOut: this.irqOut,
      rx,
    };
  }

  /** Restores registers and the receive queue. The IRQ line is not driven: its level is in the PLIC's saved state. */
  loadState(record: StateRecord): void {
    expectVersion(record, 'UART', STATE_VERSION);
    const byte = (k: string): number => {
      const v = record[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xff) throw new Error(`UART: bad ${k} in state record`);
      return v;
    };
    const bool = (k: string): boolean => {
      const v = record[k];
      if (typeof v !== 'boolean') throw new Error(`UART: bad ${k} in state record`);
      return v;
    };
    const divisor = record.divisor;
    if (typeof divisor !== 'number' || !Number.isInteger(divisor) || divisor < 0 || divisor > 0xffff) throw new Error('UART: bad divisor in state record');
    const rx = record.rx;
    if (!(rx instanceof Uint8Array)) throw new Error('UART: bad rx in state record');
    this.ier = byte('ier') & 0x0f;
    this.lcr = byte('lcr');
    this.mcr = byte('mcr') & 0x1f;
    this.lsr = byte('lsr');
    this.msr = byte('msr');
    this.scr = byte('scr');
    this.fcr = byte('fcr');
    this.divisor = divisor;
    this.thrIpending = bool('thrIpending');
    this.irqOut = bool('irqOut');
    this.clearRx();
    if (rx.length > 0) this.enqueue(rx.slice());
  }
}

function loopMsr(mcr: number): number {
  let m = 0;
  if (mcr & MCR_RTS) m |= MSR_CTS;
  if (mcr & MCR_DTR) m |= MSR_DSR;
  if (mcr & MCR_OUT1) m |= MSR_RI;
  if (mcr & MCR_OUT2) m |= MSR_DCD;
  return m;
}
