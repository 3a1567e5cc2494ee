import { describe, expect, it } from 'vitest';
import { Pmp, PMP_PARTIAL, PMP_R, PMP_RWX, PMP_W, PMP_X } from '../../src/machine/cpu/pmp.js';

const NAPOT = 0x18, TOR = 0x08, NA4 = 0x10, L = 0x80;

/** pmpaddr value with every bit set: NAPOT over all of memory. */
const ALL = -1;

function pmp(entries: [cfg: number, addr: number][]): Pmp {
  const p = new Pmp(16);
  entries.forEach(([, addr], i) => p.writeAddr(i, addr === ALL ? -1 : addr | 0, addr === ALL ? -1 : Math.floor(addr / 2 ** 32)));
  entries.forEach(([cfg], i) => p.writeCfg(i, cfg));
  p.update();
  return p;
}
const napot = (base: number, size: number): number => base / 4 + size / 8 - 1;

describe('PMP', () => {
  it('allows M and denies S/U when nothing matches', () => {
    const p = pmp([]);
    expect(p.perms(0x80000000, 8, 3)).toBe(PMP_RWX);
    expect(p.perms(0x80000000, 8, 1)).toBe(0);
    expect(p.perms(0x80000000, 8, 0)).toBe(0);
  });

  it('decodes NAPOT, including all of memory', () => {
    const p = pmp([[NAPOT | PMP_R, napot(0x80001000, 0x1000)], [NAPOT | PMP_RWX, ALL]]);
    expect(p.perms(0x80001000, 4096, 1)).toBe(PMP_R);
    expect(p.perms(0x80000ff8, 8, 1)).toBe(PMP_RWX);
    expect(p.perms(0x80002000, 8, 1)).toBe(PMP_RWX);
    expect(p.perms(0x80000ffc, 8, 1)).toBe(PMP_PARTIAL); // straddles the region's start
    expect(p.perms(0x80000000, 4096, 1)).toBe(PMP_RWX);
    expect(p.perms(0, 4096, 0)).toBe(PMP_RWX);
  });

  it('decodes TOR (entry 0 from address 0) and NA4', () => {
    const p = pmp([[TOR | PMP_X, 0x80000000 / 4], [TOR | PMP_R | PMP_W, 0x80002000 / 4], [NA4, 0x80003008 / 4]]);
    expect(p.perms(0x1000, 4, 1)).toBe(PMP_X);
    expect(p.perms(0x80001ffc, 4, 1)).toBe(PMP_R | PMP_W);
    expect(p.perms(0x80002000, 4, 1)).toBe(0); // no match
    expect(p.perms(0x80003000, 4096, 1)).toBe(PMP_PARTIAL);
    expect(p.perms(0x80003008, 4, 3)).toBe(PMP_RWX); // unlocked: M unrestricted
    expect(p.perms(0x80003008, 8, 3)).toBe(PMP_PARTIAL); // partial matches fail even for M
  });

  it('lets the lowest-numbered entry decide', () => {
    const p = pmp([[NAPOT | PMP_RWX, ALL], [NAPOT, napot(0x80001000, 0x1000)]]);
    expect(p.perms(0x80001000, 8, 0)).toBe(PMP_RWX);
  });

  it('locked entries bind M and ignore writes, a locked TOR also locks its base', () => {
    const p = pmp([[0, 0x80001000 / 4], [L | TOR | PMP_R, 0x80002000 / 4]]);
    expect(p.perms(0x80001000, 8, 3)).toBe(PMP_R);
    p.writeCfg(1, NAPOT | PMP_RWX);
    p.writeAddr(1, 0, 0);
    p.writeAddr(0, 0, 0);
    p.update();
    expect(p.cfg[1]).toBe(L | TOR | PMP_R);
    expect(p.addrLo[0]).toBe(0x80001000 / 4);
    expect(p.perms(0x80001000, 8, 3)).toBe(PMP_R);
  });

  it('maps the reserved R=0, W=1 combination to no access', () => {
    const p = pmp([[NAPOT | PMP_W, ALL]]);
    expect(p.cfg[0]).toBe(NAPOT);
    expect(p.perms(0x80000000, 8, 1)).toBe(0);
  });
});
