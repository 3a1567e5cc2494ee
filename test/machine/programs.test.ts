// Runs the bare-metal RISC-V test programs (test/programs, verified on QEMU 7.2) on our hart,
// checking each against manifest.json: the `spec` result where the program asserts a QEMU
// behaviour that the privileged spec (and Retrovisor) does differently, else `expected`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';

interface Outcome {
  expected: 'pass' | 'fail';
  failCode?: number;
}
interface Program extends Outcome {
  name: string;
  /** minstret the program prints at PASS on Retrovisor (see test/programs/README.md for QEMU's count). */
  instret?: number;
  /** Instructions retired until the program powers off (or fails) on Retrovisor. */
  retired: number;
  qemuInstret?: number;
  elf: string;
  /** Instruction budget (default BUDGET). */
  budget?: number;
  spec?: Outcome;
}

const root = fileURLToPath(new URL('../programs/', import.meta.url));
const manifest = JSON.parse(readFileSync(root + 'manifest.json', 'utf8')) as { programs: Program[] };
/** The programs take 10-90 k instructions; traps' bounded waits give up after about 6 M. */
const BUDGET = 10_000_000;

describe('RISC-V test programs (-bios none)', () => {
  it('lists the programs', () => {
    expect(manifest.programs.length).toBeGreaterThanOrEqual(12);
  });
  for (const p of manifest.programs) {
    const want = p.spec ?? p;
    const label = want.expected === 'pass' ? 'passes' : `fails at case ${want.failCode}`;
    it(`${p.name} ${label}`, () => {
      let out = '';
      const m = new VirtMachine({
        bios: null,
        kernel: new Uint8Array(readFileSync(root + p.elf)),
        input: new SeededInputSource(),
        console: (b) => { out += String.fromCharCode(b); },
      });
      const stop = m.run(p.budget ?? BUDGET);
      // the console tells which case failed and the last traps; keep it in the failure message
      expect({ retired: m.instret, out }).toMatchObject({ retired: p.retired });
      if (want.expected === 'pass') {
        expect({ stop, out }).toMatchObject({ stop: { kind: 'poweroff', code: 0 } });
        expect(out).toMatch(new RegExp(`: PASS instret=${p.instret}\n`));
      } else {
        expect({ stop, out }).toMatchObject({ stop: { kind: 'fail', code: want.failCode } });
        expect(out).toContain(`: FAIL test ${want.failCode}`);
      }
    });
  }
});
