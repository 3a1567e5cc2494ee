import { describe, expect, it } from 'vitest';
import { MIP_MSIP, MIP_MTIP } from '../../src/machine/clock.js';
import { Clint } from '../../src/machine/devices/clint.js';
import { FakeClock, FakeHart } from './helpers.js';

function setup() {
  const clock = new FakeClock();
  const hart = new FakeHart();
  const clint = new Clint(clock, [hart]);
  return { clock, hart, clint };
}

function writeCmp(clint: Clint, hart: number, v: bigint): void {
  clint.write(0x4000 + 8 * hart, 4, Number(v & 0xffffffffn));
  clint.write(0x4004 + 8 * hart, 4, Number(v >> 32n));
}

describe('CLINT', () => {
  it('msip bit 0 drives MSIP', () => {
    const { hart, clint } = setup();
    clint.write(0, 4, 0xffffffff);
    expect(clint.read(0, 4)).toBe(1);
    expect(hart.has(MIP_MSIP)).toBe(true);
    clint.write(0, 4, 2);
    expect(clint.read(0, 4)).toBe(0);
    expect(hart.has(MIP_MSIP)).toBe(false);
  });

  it('mtimecmp resets to all-ones, which never fires and has no deadline', () => {
    const { clock, hart, clint } = setup();
    expect(clint.read(0x4000, 4)).toBe(0xffffffff);
    expect(clint.read(0x4004, 4)).toBe(0xffffffff);
    expect(clint.nextDeadline()).toBe(Infinity);
    clock.t = 2 ** 52;
    clint.update();
    expect(hart.has(MIP_MTIP)).toBe(false);
  });

  it('mtime follows the clock and 64-bit halves read back', () => {
    const { clock, clint } = setup();
    clock.t = 0x1_2345_6789;
    expect(clint.read(0xbff8, 4)).toBe(0x2345_6789);
    expect(clint.read(0xbffc, 4)).toBe(1);
    expect(clint.read(0xbff9, 1)).toBe(0x67);
    expect(clint.read(0xbffa, 2)).toBe(0x2345);
  });

  it('MTIP rises when mtime reaches mtimecmp and falls when mtimecmp moves ahead', () => {
    const { clock, hart, clint } = setup();
    writeCmp(clint, 0, 1000n);
    expect(clint.nextDeadline()).toBe(1000);
    clock.t = 999;
    clint.update();
    expect(hart.has(MIP_MTIP)).toBe(false);
    clock.t = 1000;
    clint.update();
    expect(hart.has(MIP_MTIP)).toBe(true);
    // A reached compare is no longer a deadline (OpenSBI leaves it in the past).
    expect(clint.nextDeadline()).toBe(Infinity);
    writeCmp(clint, 0, 5000n);
    expect(hart.has(MIP_MTIP)).toBe(false);
    expect(clint.nextDeadline()).toBe(5000);
  });

  it('compares the high halves exactly above 2^32', () => {
    const { clock, hart, clint } = setup();
    writeCmp(clint, 0, 0x3_0000_0000n);
    clock.t = 0x2_ffff_ffff;
    clint.update();
    expect(hart.has(MIP_MTIP)).toBe(false);
    clock.t = 0x3_0000_0000;
    clint.update();
    expect(hart.has(MIP_MTIP)).toBe(true);
  });

  it('treats compare values of 2^53 or more as no deadline', () => {
    const { clint } = setup();
    writeCmp(clint, 0, 1n << 53n);
    expect(clint.nextDeadline()).toBe(Infinity);
    writeCmp(clint, 0, (1n << 53n) - 1n);
    expect(clint.nextDeadline()).toBe(2 ** 53 - 1);
  });

  it('writing mtime moves an offset, and deadlines are reported in clock ticks', () => {
    const { clock, hart, clint } = setup();
    clock.t = 100;
    clint.write(0xbff8, 4, 10_000);
    expect(clint.mtime()).toBe(10_000);
    clock.t = 150;
    expect(clint.read(0xbff8, 4)).toBe(10_050);
    writeCmp(clint, 0, 10_100n);
    // mtime 10_100 happens at clock 200.
    expect(clint.nextDeadline()).toBe(200);
    clock.t = 200;
    clint.update();
    expect(hart.has(MIP_MTIP)).toBe(true);
    clint.write(0xbffc, 4, 1);
    expect(clint.mtime()).toBe(2 ** 32 + 10_100);
  });

  it('drives MTIP only when it changes', () => {
    const { clock, hart, clint } = setup();
    writeCmp(clint, 0, 10n);
    const calls = hart.calls;
    clint.update();
    clint.update();
    expect(hart.calls).toBe(calls);
    clock.t = 20;
    clint.update();
    clint.update();
    expect(hart.calls).toBe(calls + 1);
  });

  it('is indexed by hart', () => {
    const clock = new FakeClock();
    const harts = [new FakeHart(), new FakeHart()];
    const clint = new Clint(clock, harts);
    clint.write(4, 4, 1);
    expect(harts[0].has(MIP_MSIP)).toBe(false);
    expect(harts[1].has(MIP_MSIP)).toBe(true);
    writeCmp(clint, 1, 50n);
    writeCmp(clint, 0, 70n);
    expect(clint.nextDeadline()).toBe(50);
    clock.t = 60;
    clint.update();
    expect(harts[0].has(MIP_MTIP)).toBe(false);
    expect(harts[1].has(MIP_MTIP)).toBe(true);
  });

  it('round-trips its state', () => {
    const a = setup();
    a.clock.t = 500;
    a.clint.write(0xbff8, 4, 7);
    a.clint.write(0, 4, 1);
    writeCmp(a.clint, 0, 0x1_0000_0040n);
    const rec = a.clint.saveState();
    const b = setup();
    b.clock.t = 500;
    b.clint.loadState(structuredClone(rec));
    expect(b.clint.saveState()).toEqual(rec);
    expect(b.clint.read(0xbff8, 4)).toBe(7);
    expect(b.clint.read(0x4004, 4)).toBe(1);
    expect(b.clint.nextDeadline()).toBe(a.clint.nextDeadline());
    b.clint.update();
    expect(b.hart.has(MIP_MTIP)).toBe(false);
    expect(() => b.clint.loadState({ ...rec, version: 99 })).toThrow(/version/);
    expect(() => b.clint.loadState({ ...rec, msip: [1, 2] })).toThrow(/msip/);
  });
});
