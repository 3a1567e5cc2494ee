// Lockstep: the interpreter against the WebAssembly tier (every block translated at its first
// execution, regions compiled at once) on the bare-metal test programs, comparing the
// architectural state after every slice of a pseudo-random length.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { wasmTierDefaults } from '../../src/machine/cpu/wasm/wasm-tier.js';

const root = fileURLToPath(new URL('../programs/', import.meta.url));
const manifest = JSON.parse(readFileSync(root + 'manifest.json', 'utf8')) as { programs: Array<{ name: string; elf: string }> };

function machine(engine: 'interpreter' | 'wasm', elf: Uint8Array, out: string[]): VirtMachine {
  return new VirtMachine({
    bios: null, kernel: elf, input: new SeededInputSource(), engine, hotThreshold: 0,
    console: (b) => { out.push(String.fromCharCode(b)); },
  });
}

function state(m: VirtMachine): string {
  const h = m.hart;
  return `${h.pcHi}:${h.pcLo} n=${h.instret} priv=${h.priv} x=${[...h.xLo].join(',')}|${[...h.xHi].join(',')}`;
}

describe('lockstep: interpreter vs wasm tier on the test programs', () => {
  let saved = 0;
  beforeAll(() => { saved = wasmTierDefaults.batchDelay; wasmTierDefaults.batchDelay = 0; });
  afterAll(() => { wasmTierDefaults.batchDelay = saved; });
  for (const p of manifest.programs) {
    it(p.name, () => {
      const elf = new Uint8Array(readFileSync(root + p.elf));
      const oa: string[] = [], ob: string[] = [];
      const a = machine('interpreter', elf, oa), b = machine('wasm', elf, ob);
      let seed = 12345;
      for (let i = 0; i < 100_000; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const n = 1 + (seed >>> 16) % 700;
        const sa = a.run(n), sb = b.run(n);
        expect(state(b)).toBe(state(a));
        expect(sb).toEqual(sa);
        if (sa.kind !== 'limit' && sa.kind !== 'idle') break;
      }
      expect(ob.join('')).toBe(oa.join(''));
    });
  }
});
