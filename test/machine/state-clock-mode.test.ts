// Guest time means different things in the two clock modes (instructions vs host time),
// so a state saved in one must never load silently into a machine in the other.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { VirtMachine, type ClockMode } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';

const elf = new Uint8Array(readFileSync(fileURLToPath(new URL('../programs/bin/rv64i.elf', import.meta.url))));

function machine(clock: ClockMode): VirtMachine {
  return new VirtMachine({ bios: null, kernel: elf, clock, input: new SeededInputSource(), console: () => {} });
}

test('a state saved with the virtual clock does not load into a realtime machine, and back', () => {
  const v = machine('virtual');
  v.run(1000);
  const r = machine('realtime');
  expect(() => r.loadState(v.saveState())).toThrow('state was saved with the virtual clock, this machine uses the realtime clock');
  expect(() => v.loadState(r.saveState())).toThrow('state was saved with the realtime clock, this machine uses the virtual clock');
  // same mode loads
  const v2 = machine('virtual');
  v2.loadState(v.saveState());
  expect(v2.instret).toBe(v.instret);
});
