// Lockstep: every translation tier against the interpreter on the bare-metal test programs
// (test/programs), with every block translated at its first execution and the architectural
// state compared after each translated block; console, stop reason and written RAM at the end.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtMachine, type StopReason } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { LOCKSTEP_ENGINES, lockstep, type LockstepTarget } from '../support/lockstep.js';

const root = fileURLToPath(new URL('../programs/', import.meta.url));
const manifest = JSON.parse(readFileSync(root + 'manifest.json', 'utf8')) as { programs: Array<{ name: string; elf: string; retired: number; budget?: number }> };
const BUDGET = 10_000_000;

interface Run { m: VirtMachine; out: string; stop: StopReason | null }

function target(elf: Uint8Array, budget: number): LockstepTarget<Run> {
  return {
    build(hart) {
      const r: Run = { m: null as unknown as VirtMachine, out: '', stop: null };
      r.m = new VirtMachine({
        bios: null, kernel: elf, input: new SeededInputSource(),
        console: (b) => { r.out += String.fromCharCode(b); },
        ...hart,
      });
      return r;
    },
    hart: (r) => r.m.hart,
    advance: (r, n) => { r.stop = r.m.run(n); },
    run: (r) => { r.stop = r.m.run(budget); },
    final(r) {
      const h = createHash('sha256');
      const pages = r.m.ram.dirtyPages();
      for (const p of pages) h.update(r.m.ram.u8.subarray(p * 4096, p * 4096 + 4096));
      return { out: r.out, instret: r.m.instret, pages: pages.length, ram: h.digest('hex') };
    },
  };
}

describe.each(LOCKSTEP_ENGINES)('lockstep $name vs interpreter: bare-metal programs', (engine) => {
  for (const p of manifest.programs) {
    it(p.name, () => {
      const elf = new Uint8Array(readFileSync(root + p.elf));
      const { test, compared } = lockstep(target(elf, p.budget ?? BUDGET), engine);
      expect(test.m.instret).toBe(p.retired);
      expect(compared).toBeGreaterThan(10);
      if (engine.options.engine === 'wasm-interp') expect(test.m.hart.engineStats().interp?.retired).toBeGreaterThan(0);
      else expect(test.m.hart.translatedBlocks).toBeGreaterThan(0);
    });
  }
});
