import { describe, expect, it } from 'vitest';
import { Uart16550 } from '../../src/machine/devices/uart16550.js';
import { FakeIrq } from './helpers.js';

const RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
const IRQ = 10;

function setup() {
  const out: number[] = [];
  const irq = new FakeIrq();
  const uart = new Uart16550((b) => out.push(b), irq, IRQ);
  return { out, irq, uart };
}

describe('16550 UART', () => {
  it('transmits immediately and keeps THR empty', () => {
    const { out, uart } = setup();
    for (const c of 'hi\n') uart.write(THR, 1, c.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe('hi\n');
    expect(uart.read(LSR, 1) & 0x60).toBe(0x60);
    expect(uart.read(IIR, 1)).toBe(0x01);
  });

  it('reports FIFO enable in IIR bits 7:6', () => {
    const { uart } = setup();
    uart.write(FCR, 1, 0x07);
    expect(uart.read(IIR, 1)).toBe(0xc1);
    uart.write(FCR, 1, 0x00);
    expect(uart.read(IIR, 1)).toBe(0x01);
  });

  it('raises THRE when IER enables it while THR is empty; reading IIR acknowledges it', () => {
    const { irq, uart } = setup();
    uart.write(IER, 1, 0x02);
    expect(irq.level(IRQ)).toBe(true);
    expect(uart.read(IIR, 1)).toBe(0x02);
    expect(irq.level(IRQ)).toBe(false);
    expect(uart.read(IIR, 1)).toBe(0x01);
    // A written byte leaves at once, so THR is empty again and THRE is re-raised.
    uart.write(THR, 1, 0x41);
    expect(irq.level(IRQ)).toBe(true);
    expect(uart.read(IIR, 1)).toBe(0x02);
    // Re-enabling THRI re-samples THRE even after an acknowledge.
    uart.write(IER, 1, 0x00);
    expect(irq.level(IRQ)).toBe(false);
    uart.write(IER, 1, 0x02);
    expect(irq.level(IRQ)).toBe(true);
  });

  it("passes Linux 8250's THRE probe (no UART_BUG_THRE)", () => {
    const { uart } = setup();
    // serial8250_do_startup: IER=0, IER=THRI, read IIR twice around IER=0, IER=THRI.
    uart.write(IER, 1, 0);
    uart.write(IER, 1, 0x02);
    const iir1 = uart.read(IIR, 1);
    uart.write(IER, 1, 0);
    uart.write(IER, 1, 0x02);
    const iir = uart.read(IIR, 1);
    uart.write(IER, 1, 0);
    expect(iir1 & 0x01).toBe(0);
    expect(iir & 0x01).toBe(0);
  });

  it("passes Linux 8250 autoconfig's IER scratch and loopback checks", () => {
    const { uart } = setup();
    uart.write(IER, 1, 0);
    expect(uart.read(IER, 1) & 0x0f).toBe(0);
    uart.write(IER, 1, 0x0f);
    expect(uart.read(IER, 1) & 0x0f).toBe(0x0f);
    uart.write(IER, 1, 0);
    uart.write(MCR, 1, 0x10 | 0x0a); // LOOP | RTS | OUT2
    expect(uart.read(MSR, 1) & 0xf0).toBe(0x90);
  });

  it('queues received bytes without loss and reports DR and RDI', () => {
    const { irq, uart } = setup();
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    uart.receive(big);
    uart.receive(Uint8Array.of(1, 2, 3));
    expect(uart.rxQueued).toBe(5003);
    expect(uart.read(LSR, 1) & 1).toBe(1);
    expect(irq.level(IRQ)).toBe(false);
    uart.write(IER, 1, 0x01);
    expect(irq.level(IRQ)).toBe(true);
    expect(uart.read(IIR, 1)).toBe(0x04);
    const got: number[] = [];
    while (uart.read(LSR, 1) & 1) got.push(uart.read(RBR, 1));
    expect(got.length).toBe(5003);
    expect(got.slice(0, 5000)).toEqual(Array.from(big));
    expect(got.slice(5000)).toEqual([1, 2, 3]);
    expect(irq.level(IRQ)).toBe(false);
    expect(uart.read(RBR, 1)).toBe(0);
  });

  it('prioritises rx data over THRE over modem status', () => {
    const { uart } = setup();
    uart.write(MCR, 1, 0x10); // loopback
    uart.read(MSR, 1); // clear deltas
    uart.write(IER, 1, 0x0f);
    uart.write(MCR, 1, 0x10 | 0x02); // RTS -> CTS changes: modem status delta
    uart.receive(Uint8Array.of(0x55));
    expect(uart.read(IIR, 1)).toBe(0x04);
    uart.read(RBR, 1);
    expect(uart.read(IIR, 1)).toBe(0x02); // acknowledges THRE
    expect(uart.read(IIR, 1)).toBe(0x00); // modem status
    const msr = uart.read(MSR, 1);
    expect(msr & 0x10).toBe(0x10); // CTS follows RTS in loopback
    expect(msr & 0x01).toBe(0x01); // DCTS
    expect(uart.read(IIR, 1)).toBe(0x01);
  });

  it('loops transmitted bytes back in loopback mode', () => {
    const { out, uart } = setup();
    uart.write(MCR, 1, 0x10);
    uart.write(THR, 1, 0x5a);
    expect(out).toEqual([]);
    expect(uart.read(LSR, 1) & 1).toBe(1);
    expect(uart.read(RBR, 1)).toBe(0x5a);
    uart.write(MCR, 1, 0x08);
    expect(uart.read(MSR, 1) & 0xf0).toBe(0xb0);
  });

  it('exposes the divisor latch under DLAB and keeps IER/RBR separate', () => {
    const { uart } = setup();
    uart.write(IER, 1, 0x01);
    uart.write(LCR, 1, 0x83);
    uart.write(0, 1, 0x34);
    uart.write(1, 1, 0x12);
    expect(uart.read(0, 1)).toBe(0x34);
    expect(uart.read(1, 1)).toBe(0x12);
    uart.write(LCR, 1, 0x03);
    expect(uart.read(IER, 1)).toBe(0x01);
    expect(uart.read(LCR, 1)).toBe(0x03);
    uart.write(SCR, 1, 0xa5);
    expect(uart.read(SCR, 1)).toBe(0xa5);
  });

  it('FCR can clear the receive queue', () => {
    const { uart } = setup();
    uart.receive(Uint8Array.of(1, 2, 3));
    uart.write(FCR, 1, 0x03);
    expect(uart.rxQueued).toBe(0);
    expect(uart.read(LSR, 1) & 1).toBe(0);
  });

  it('round-trips its state including the receive queue', () => {
    const a = setup();
    a.uart.write(IER, 1, 0x03);
    a.uart.write(FCR, 1, 0x01);
    a.uart.write(SCR, 1, 0x42);
    a.uart.receive(Uint8Array.of(10, 20, 30));
    a.uart.receive(Uint8Array.of(40));
    a.uart.read(RBR, 1);
    const rec = a.uart.saveState();
    const b = setup();
    b.uart.loadState(structuredClone(rec));
    expect(b.uart.saveState()).toEqual(rec);
    expect(b.uart.rxQueued).toBe(3);
    expect([b.uart.read(RBR, 1), b.uart.read(RBR, 1), b.uart.read(RBR, 1)]).toEqual([20, 30, 40]);
    // The restored device knew its line was high; draining lowers it (THRE still pending).
    expect(b.uart.read(IIR, 1)).toBe(0xc2);
    expect(b.irq.level(IRQ)).toBe(false);
    expect(() => b.uart.loadState({ ...rec, version: 0 })).toThrow(/version/);
    expect(() => b.uart.loadState({ ...rec, rx: [1] })).toThrow(/rx/);
  });
});
