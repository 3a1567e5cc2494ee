import type { Clock, HartInterruptLines } from '../../src/machine/clock.js';
import type { IrqSink } from '../../src/machine/irq.js';

export class FakeClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

/** Records the mip bits devices drive, and how often each was driven. */
export class FakeHart implements HartInterruptLines {
  mip = 0;
  calls = 0;
  setPending(bit: number, level: boolean): void {
    this.calls++;
    if (level) this.mip |= 1 << bit;
    else this.mip &= ~(1 << bit);
  }
  has(bit: number): boolean {
    return (this.mip & (1 << bit)) !== 0;
  }
}

export class FakeIrq implements IrqSink {
  readonly levels = new Map<number, boolean>();
  calls = 0;
  setLevel(source: number, level: boolean): void {
    this.calls++;
    this.levels.set(source, level);
  }
  level(source: number): boolean {
    return this.levels.get(source) ?? false;
  }
}
