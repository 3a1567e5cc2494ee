import { describe, expect, it } from 'vitest';
import { GoldfishRtc } from '../../src/machine/devices/goldfish-rtc.js';
import { FakeClock, FakeIrq } from './helpers.js';

const TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c;
const IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c;
const IRQ = 11;
const BASE = 1_767_225_600_000_000_000n;

function setup(base: number | bigint = BASE) {
  const clock = new FakeClock();
  const irq = new FakeIrq();
  const rtc = new GoldfishRtc(clock, irq, IRQ, base);
  return { clock, irq, rtc };
}

function readTime(rtc: GoldfishRtc): bigint {
  const lo = BigInt(rtc.read(TIME_LOW, 4));
  const hi = BigInt(rtc.read(TIME_HIGH, 4));
  return (hi << 32n) | lo;
}

function setAlarm(rtc: GoldfishRtc, ns: bigint): void {
  rtc.write(ALARM_HIGH, 4, Number(ns >> 32n));
  rtc.write(ALARM_LOW, 4, Number(ns & 0xffffffffn));
}

describe('goldfish RTC', () => {
  it('reads base + ticks * 100 ns exactly', () => {
    const { clock, rtc } = setup();
    expect(readTime(rtc)).toBe(BASE);
    clock.t = 12_345_678;
    expect(readTime(rtc)).toBe(BASE + 1_234_567_800n);
  });

  it('latches the high half when TIME_LOW is read', () => {
    // Just below a 2^32 ns boundary: the high half must not tear.
    const base = (5n << 32n) - 50n;
    const { clock, rtc } = setup(base);
    const lo = rtc.read(TIME_LOW, 4);
    clock.t = 10; // +1000 ns crosses into the next high value
    const hi = rtc.read(TIME_HIGH, 4);
    expect(hi).toBe(4);
    expect(lo).toBe(0xffffffff - 49);
    expect(rtc.read(TIME_LOW, 4)).toBe(950);
    expect(rtc.read(TIME_HIGH, 4)).toBe(5);
  });

  it('setting the time moves an offset (high then low, as Linux writes it)', () => {
    const { clock, rtc } = setup();
    const target = 1_000_000_000_000_000_000n;
    rtc.write(TIME_HIGH, 4, Number(target >> 32n));
    rtc.write(TIME_LOW, 4, Number(target & 0xffffffffn));
    expect(readTime(rtc)).toBe(target);
    clock.t = 10;
    expect(readTime(rtc)).toBe(target + 1000n);
  });

  it('fires an alarm at its deadline and raises the IRQ only when enabled', () => {
    const { clock, irq, rtc } = setup();
    setAlarm(rtc, BASE + 1_000_050n);
    expect(rtc.read(ALARM_STATUS, 4)).toBe(1);
    // 1_000_050 ns = 10_000.5 ticks: round up.
    expect(rtc.nextDeadline()).toBe(10_001);
    expect(Number(BigInt(rtc.read(ALARM_HIGH, 4)) << 32n | BigInt(rtc.read(ALARM_LOW, 4)))).toBe(Number(BASE + 1_000_050n));
    clock.t = 10_000;
    rtc.update();
    expect(rtc.read(ALARM_STATUS, 4)).toBe(1);
    clock.t = 10_001;
    rtc.update();
    expect(rtc.read(ALARM_STATUS, 4)).toBe(0);
    expect(rtc.nextDeadline()).toBe(Infinity);
    expect(irq.level(IRQ)).toBe(false);
    rtc.write(IRQ_ENABLED, 4, 1);
    expect(rtc.read(IRQ_ENABLED, 4)).toBe(1);
    expect(irq.level(IRQ)).toBe(true);
    rtc.write(CLEAR_INTERRUPT, 4, 1);
    expect(irq.level(IRQ)).toBe(false);
  });

  it('an alarm in the past fires at once; CLEAR_ALARM disarms', () => {
    const { clock, irq, rtc } = setup();
    rtc.write(IRQ_ENABLED, 4, 1);
    clock.t = 100;
    setAlarm(rtc, BASE);
    expect(irq.level(IRQ)).toBe(true);
    expect(rtc.read(ALARM_STATUS, 4)).toBe(0);
    rtc.write(CLEAR_INTERRUPT, 4, 0);
    setAlarm(rtc, BASE + 10n ** 12n);
    rtc.write(CLEAR_ALARM, 4, 0);
    expect(rtc.nextDeadline()).toBe(Infinity);
    clock.t = 10 ** 11;
    rtc.update();
    expect(irq.level(IRQ)).toBe(false);
  });

  it('accepts a number base and round-trips its state', () => {
    const a = setup(1.7e18);
    a.clock.t = 77;
    a.rtc.write(TIME_LOW, 4, 5);
    setAlarm(a.rtc, BASE * 2n);
    a.rtc.write(IRQ_ENABLED, 4, 1);
    a.rtc.read(TIME_LOW, 4);
    const rec = a.rtc.saveState();
    const b = setup(0);
    b.clock.t = 77;
    b.rtc.loadState(structuredClone(rec));
    expect(b.rtc.saveState()).toEqual(rec);
    expect(readTime(b.rtc)).toBe(readTime(a.rtc));
    expect(b.rtc.nextDeadline()).toBe(a.rtc.nextDeadline());
    expect(() => b.rtc.loadState({ ...rec, version: 3 })).toThrow(/version/);
    expect(() => b.rtc.loadState({ ...rec, offsetNs: 'x' })).toThrow(/offsetNs/);
  });
});
