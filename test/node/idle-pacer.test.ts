// The idle pacer on a fake host clock: guest time never runs ahead of the host, and a guest that
// is behind does not skip its timeouts in no host time (two VMs on a loaded host lost every ping).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TIMEBASE_HZ } from '../../src/machine/clock.js';
import { CATCH_UP, IdlePacer } from '../../src/node/idle-pacer.js';

const MS = TIMEBASE_HZ / 1000;

/** A fake host clock and a guest whose idle periods are waited out as run-command's loop does. */
class Sim {
  host = 0;
  guest = 0;
  readonly pacer = new IdlePacer(() => this.host);
  constructor() { this.pacer.start(0); }
  /** The guest is busy: `guestMs` of guest time cost `hostMs` of host time. */
  busy(guestMs: number, hostMs: number): void {
    this.guest += guestMs * MS;
    this.host += hostMs;
  }
  /** The guest idles until `deadline` (ticks); returns the host ms that passed before the skip. */
  idleUntil(deadline: number): number {
    const h0 = this.host;
    for (;;) {
      const w = this.pacer.waitMs(this.guest, deadline);
      if (w <= 1) break;
      this.host += Math.min(w, 100); // the loop sleeps at most 100 ms at a time
    }
    this.guest = Math.max(this.guest, deadline);
    return this.host - h0;
  }
}

describe('IdlePacer', () => {
  it('a guest ahead of the host waits until the host clock reaches its deadline', () => {
    const s = new Sim();
    expect(s.idleUntil(1000 * MS)).toBeGreaterThanOrEqual(999);
    expect(s.idleUntil(1000 * MS)).toBe(0); // already there
  });

  it('a guest behind the host clock still gives each timeout host time (ARP probes on a loaded host)', () => {
    const s = new Sim();
    s.busy(700, 30_000); // a boot: 0.7 s of guest time took 30 s on a loaded host
    // three ARP probes, one second apart: before the fix all three expired in no host time
    for (let i = 0; i < 3; i++) expect(s.idleUntil(s.guest + 1000 * MS)).toBeGreaterThanOrEqual(1000 / CATCH_UP - 1);
  });

  it('a guest behind catches up over time, never faster than CATCH_UP times real time', () => {
    const s = new Sim();
    s.busy(0, 10_000);
    let idleGuestMs = 0;
    let idleHostMs = 0;
    while (s.host - s.guest / MS > 2) {
      idleHostMs += s.idleUntil(s.guest + 50 * MS);
      idleGuestMs += 50;
    }
    expect(idleHostMs).toBeGreaterThanOrEqual(idleGuestMs / CATCH_UP - 1);
    expect(s.host).toBeLessThan(30_000); // it does catch up (10 s behind, at 2x: about 20 s)
  });

  it('property: guest time is never ahead of the host clock, and no idle period is shorter than 1/CATCH_UP of its guest length', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 3000 })), { maxLength: 40 }),
      (steps) => {
        const s = new Sim();
        for (const [busyGuest, busyHost, idleMs] of steps) {
          s.busy(busyGuest, busyHost);
          const before = s.guest;
          const hostWaited = s.idleUntil(s.guest + idleMs * MS);
          expect(hostWaited).toBeGreaterThanOrEqual((s.guest - before) / MS / CATCH_UP - 1);
          // after an idle skip the guest is not ahead of the host (busy time alone may run ahead on a fast host)
          expect(s.guest / MS).toBeLessThanOrEqual(s.host + 1);
        }
      },
    ));
  });
});
