import { describe, expect, it } from 'vitest';
import { MIP_MEIP, MIP_SEIP } from '../../src/machine/clock.js';
import { Plic } from '../../src/machine/devices/plic.js';
import { FakeHart } from './helpers.js';

const M = 0;
const S = 1;
const prio = (src: number) => 4 * src;
const enable = (ctx: number, word: number) => 0x2000 + 0x80 * ctx + 4 * word;
const threshold = (ctx: number) => 0x200000 + 0x1000 * ctx;
const claim = (ctx: number) => threshold(ctx) + 4;

function setup() {
  const hart = new FakeHart();
  const plic = new Plic([hart]);
  return { hart, plic };
}

function enableSrc(plic: Plic, ctx: number, src: number): void {
  const w = src >>> 5;
  plic.write(enable(ctx, w), 4, plic.read(enable(ctx, w), 4) | (1 << (src & 31)));
}

describe('PLIC', () => {
  it('raises SEIP for an enabled source above threshold and claims it', () => {
    const { hart, plic } = setup();
    plic.write(prio(10), 4, 1);
    enableSrc(plic, S, 10);
    plic.setLevel(10, true);
    expect(hart.has(MIP_SEIP)).toBe(true);
    expect(hart.has(MIP_MEIP)).toBe(false);
    expect(plic.read(0x1000, 4)).toBe(1 << 10);
    expect(plic.read(claim(S), 4)).toBe(10);
    expect(hart.has(MIP_SEIP)).toBe(false);
    expect(plic.read(0x1000, 4)).toBe(0);
    expect(plic.read(claim(S), 4)).toBe(0);
  });

  it('does not re-pend a claimed source until completion; a level still high re-pends', () => {
    const { hart, plic } = setup();
    plic.write(prio(3), 4, 1);
    enableSrc(plic, S, 3);
    plic.setLevel(3, true);
    expect(plic.read(claim(S), 4)).toBe(3);
    plic.setLevel(3, false);
    plic.setLevel(3, true);
    expect(hart.has(MIP_SEIP)).toBe(false);
    plic.write(claim(S), 4, 3);
    expect(hart.has(MIP_SEIP)).toBe(true);
    expect(plic.read(claim(S), 4)).toBe(3);
    plic.setLevel(3, false);
    plic.write(claim(S), 4, 3);
    expect(hart.has(MIP_SEIP)).toBe(false);
    expect(plic.read(0x1000, 4)).toBe(0);
  });

  it('a level that drops before the claim withdraws the interrupt', () => {
    const { hart, plic } = setup();
    plic.write(prio(5), 4, 2);
    enableSrc(plic, S, 5);
    plic.setLevel(5, true);
    plic.setLevel(5, false);
    expect(hart.has(MIP_SEIP)).toBe(false);
    expect(plic.read(claim(S), 4)).toBe(0);
  });

  it('priority 0 never interrupts', () => {
    const { hart, plic } = setup();
    enableSrc(plic, S, 7);
    plic.setLevel(7, true);
    expect(hart.has(MIP_SEIP)).toBe(false);
    expect(plic.read(claim(S), 4)).toBe(0);
    expect(plic.read(0x1000, 4)).toBe(1 << 7);
  });

  it('honours the threshold (strictly greater priority interrupts)', () => {
    const { hart, plic } = setup();
    plic.write(prio(4), 4, 3);
    enableSrc(plic, S, 4);
    plic.write(threshold(S), 4, 3);
    plic.setLevel(4, true);
    expect(hart.has(MIP_SEIP)).toBe(false);
    expect(plic.read(claim(S), 4)).toBe(0);
    plic.write(threshold(S), 4, 2);
    expect(hart.has(MIP_SEIP)).toBe(true);
    expect(plic.read(threshold(S), 4)).toBe(2);
  });

  it('claims the highest priority first, ties to the lowest id', () => {
    const { plic } = setup();
    for (const [src, p] of [[40, 2], [9, 1], [33, 2], [95, 7], [2, 1]]) {
      plic.write(prio(src), 4, p);
      enableSrc(plic, S, src);
      plic.setLevel(src, true);
    }
    const order = [];
    for (let i = 0; i < 6; i++) order.push(plic.read(claim(S), 4));
    expect(order).toEqual([95, 33, 40, 2, 9, 0]);
  });

  it('routes context 0 to MEIP and keeps contexts independent', () => {
    const { hart, plic } = setup();
    plic.write(prio(1), 4, 1);
    enableSrc(plic, M, 1);
    plic.setLevel(1, true);
    expect(hart.has(MIP_MEIP)).toBe(true);
    expect(hart.has(MIP_SEIP)).toBe(false);
    expect(plic.read(claim(S), 4)).toBe(0);
    expect(plic.read(claim(M), 4)).toBe(1);
    expect(hart.has(MIP_MEIP)).toBe(false);
  });

  it('masks priorities to 3 bits, hardwires source 0 and ids above ndev', () => {
    const { plic } = setup();
    plic.write(prio(1), 4, 0xff);
    expect(plic.read(prio(1), 4)).toBe(7);
    plic.write(prio(0), 4, 5);
    expect(plic.read(prio(0), 4)).toBe(0);
    plic.write(prio(96), 4, 5);
    expect(plic.read(prio(96), 4)).toBe(0);
    plic.write(enable(S, 0), 4, 0xffffffff);
    expect(plic.read(enable(S, 0), 4)).toBe(0xfffffffe);
    plic.write(enable(S, 2), 4, 0xffffffff);
    expect(plic.read(enable(S, 2), 4)).toBe(0xffffffff);
    plic.write(enable(S, 3), 4, 0xffffffff);
    expect(plic.read(enable(S, 3), 4)).toBe(0);
    plic.write(0x1000, 4, 0xffffffff);
    expect(plic.read(0x1000, 4)).toBe(0);
    plic.setLevel(96, true);
    plic.setLevel(0, true);
    expect(plic.read(0x1008, 4)).toBe(0);
  });

  it('a smaller ndev hardwires the enable bits above it', () => {
    const plic = new Plic([new FakeHart()], 40);
    plic.write(enable(S, 1), 4, 0xffffffff);
    expect(plic.read(enable(S, 1), 4)).toBe(0x1ff);
  });

  it('ignores completion of a source that was not claimed', () => {
    const { hart, plic } = setup();
    plic.write(prio(6), 4, 1);
    enableSrc(plic, S, 6);
    plic.setLevel(6, true);
    plic.write(claim(S), 4, 6);
    expect(hart.has(MIP_SEIP)).toBe(true);
    expect(plic.read(claim(S), 4)).toBe(6);
  });

  it('disabling a pending source drops the line', () => {
    const { hart, plic } = setup();
    plic.write(prio(8), 4, 1);
    enableSrc(plic, S, 8);
    plic.setLevel(8, true);
    expect(hart.has(MIP_SEIP)).toBe(true);
    plic.write(enable(S, 0), 4, 0);
    expect(hart.has(MIP_SEIP)).toBe(false);
  });

  it('round-trips its state, including claimed sources', () => {
    const a = setup();
    a.plic.write(prio(10), 4, 3);
    a.plic.write(prio(11), 4, 1);
    enableSrc(a.plic, S, 10);
    enableSrc(a.plic, S, 11);
    a.plic.write(threshold(M), 4, 5);
    a.plic.setLevel(10, true);
    a.plic.setLevel(11, true);
    expect(a.plic.read(claim(S), 4)).toBe(10);
    const rec = a.plic.saveState();
    const b = setup();
    b.plic.loadState(structuredClone(rec));
    expect(b.plic.saveState()).toEqual(rec);
    expect(b.plic.read(threshold(M), 4)).toBe(5);
    b.plic.write(claim(S), 4, 10);
    // Level of 10 still high: it re-pends and wins over 11.
    expect(b.plic.read(claim(S), 4)).toBe(10);
    expect(b.plic.read(claim(S), 4)).toBe(11);
    expect(() => b.plic.loadState({ ...rec, version: 2 })).toThrow(/version/);
    expect(() => b.plic.loadState({ ...rec, enable: [] })).toThrow(/enable/);
  });
});
