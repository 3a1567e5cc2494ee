// Runs the bare-metal RISC-V test programs (test/programs, verified on QEMU) on our hart.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';

const dir = fileURLToPath(new URL('../programs/bin/', import.meta.url));
const programs = readdirSync(dir).filter((f) => f.endsWith('.elf')).sort();

describe('RISC-V test programs (-bios none)', () => {
  it('finds the programs', () => {
    expect(programs.length).toBeGreaterThanOrEqual(5);
  });
  for (const p of programs) {
    it(p, () => {
      let out = '';
      const m = new VirtMachine({
        bios: null,
        kernel: new Uint8Array(readFileSync(dir + p)),
        input: new SeededInputSource(),
        console: (b) => { out += String.fromCharCode(b); },
      });
      const stop = m.run(200_000_000);
      expect({ stop, out }).toMatchObject({ stop: { kind: 'poweroff' } });
      expect(out).toContain('PASS');
    });
  }
});
