/**
 * A bare hart on 1 MiB of RAM at 0x80000000, as a lockstep target: code placed
 * by `place`, pc at RAM offset `entry`, registers set by `setup`, run for
 * `budget` instructions. For hand-assembled engine tests (test/cpu).
 */
import { Bus } from '../../src/machine/bus.js';
import { GuestMemory } from '../../src/machine/memory.js';
import { Hart, type HartOptions } from '../../src/machine/cpu/hart.js';
import type { LockstepTarget } from './lockstep.js';

export const BARE_BASE = 0x80000000;

export interface BareRun { hart: Hart; ram: GuestMemory }

export function bareHartTarget(
  place: (ram: GuestMemory) => void,
  entry: number,
  setup: (h: Hart) => void,
  budget: number,
  final: (r: BareRun) => unknown,
): LockstepTarget<BareRun> {
  return {
    build(opts: Partial<HartOptions>) {
      const ram = new GuestMemory(BARE_BASE, 1 << 20);
      const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, ...opts });
      place(ram);
      hart.reset(BARE_BASE + entry);
      setup(hart);
      return { hart, ram };
    },
    hart: (r) => r.hart,
    advance: (r, n) => { r.hart.run(n); },
    run: (r) => { while (r.hart.instret < budget) if (r.hart.run(budget - r.hart.instret) === 0) break; },
    final,
  };
}
