import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIP_MEIP, MIP_SEIP } from '../../src/machine/clock.js';
import { Plic } from '../../src/machine/devices/plic.js';
import { FakeHart } from './helpers.js';

const NDEV = 95;

/** A deliberately naive PLIC: one boolean per bit, linear scans. */
class ModelPlic {
  prio = new Array<number>(NDEV + 1).fill(0);
  level = new Array<boolean>(NDEV + 1).fill(false);
  pending = new Array<boolean>(NDEV + 1).fill(false);
  claimed = new Array<boolean>(NDEV + 1).fill(false);
  enabled = [new Array<boolean>(NDEV + 1).fill(false), new Array<boolean>(NDEV + 1).fill(false)];
  threshold = [0, 0];

  setLevel(s: number, l: boolean): void {
    this.level[s] = l;
    if (!l) this.pending[s] = false;
    else if (!this.claimed[s]) this.pending[s] = true;
  }
  best(ctx: number): number {
    let b = 0;
    let bp = this.threshold[ctx];
    for (let s = 1; s <= NDEV; s++) {
      if (this.pending[s] && this.enabled[ctx][s] && this.prio[s] > bp) {
        b = s;
        bp = this.prio[s];
      }
    }
    return b;
  }
  claim(ctx: number): number {
    const s = this.best(ctx);
    if (s) {
      this.pending[s] = false;
      this.claimed[s] = true;
    }
    return s;
  }
  complete(s: number): void {
    if (s < 1 || s > NDEV || !this.claimed[s]) return;
    this.claimed[s] = false;
    if (this.level[s]) this.pending[s] = true;
  }
}

// Few distinct sources (on word boundaries) so that ops collide on the same ones.
const src = fc.constantFrom(1, 2, 31, 32, 33, 63, 64, 95);
const ctx = fc.integer({ min: 0, max: 1 });
const op = fc.oneof(
  fc.record({ k: fc.constant('level' as const), s: src, l: fc.boolean() }),
  fc.record({ k: fc.constant('prio' as const), s: src, p: fc.constantFrom(0, 1, 1, 2, 7, 9) }),
  fc.record({ k: fc.constant('enable' as const), c: ctx, s: src, on: fc.boolean() }),
  fc.record({ k: fc.constant('threshold' as const), c: ctx, t: fc.constantFrom(0, 0, 0, 1, 2) }),
  fc.record({ k: fc.constant('claim' as const), c: ctx }),
  fc.record({ k: fc.constant('complete' as const), c: ctx, s: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ k: fc.constant('snapshot' as const) }),
);

describe('PLIC against a naive model', () => {
  it('agrees on claims, pending bits and output lines', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 150, size: 'max' }), (ops) => {
        let hart = new FakeHart();
        let plic = new Plic([hart]);
        const m = new ModelPlic();
        for (const o of ops) {
          switch (o.k) {
            case 'level':
              plic.setLevel(o.s, o.l);
              m.setLevel(o.s, o.l);
              break;
            case 'prio':
              plic.write(4 * o.s, 4, o.p);
              m.prio[o.s] = o.p & 7;
              break;
            case 'enable': {
              const off = 0x2000 + 0x80 * o.c + 4 * (o.s >>> 5);
              const bit = 1 << (o.s & 31);
              const cur = plic.read(off, 4);
              plic.write(off, 4, o.on ? cur | bit : cur & ~bit);
              m.enabled[o.c][o.s] = o.on;
              break;
            }
            case 'threshold':
              plic.write(0x200000 + 0x1000 * o.c, 4, o.t);
              m.threshold[o.c] = o.t;
              break;
            case 'claim':
              expect(plic.read(0x200004 + 0x1000 * o.c, 4)).toBe(m.claim(o.c));
              break;
            case 'complete':
              plic.write(0x200004 + 0x1000 * o.c, 4, o.s);
              m.complete(o.s);
              break;
            case 'snapshot': {
              // Restore into a fresh PLIC whose hart already has the lines the old one drove.
              const rec = structuredClone(plic.saveState());
              const h2 = new FakeHart();
              h2.mip = hart.mip;
              const p2 = new Plic([h2]);
              p2.loadState(rec);
              hart = h2;
              plic = p2;
              break;
            }
          }
          expect(hart.has(MIP_MEIP)).toBe(m.best(0) !== 0);
          expect(hart.has(MIP_SEIP)).toBe(m.best(1) !== 0);
          for (let w = 0; w < 3; w++) {
            let bits = 0;
            for (let b = 0; b < 32; b++) if (m.pending[w * 32 + b]) bits |= 1 << b;
            expect(plic.read(0x1000 + 4 * w, 4)).toBe(bits >>> 0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
