// Instrumentation hooks and the built-in plugins on bare-metal programs: exact counts of a
// hand-assembled program, the same final state with and without every plugin attached,
// insn-mix against the instructions retired, cachesim against a hand-computed trace.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';
import type { Instrumentation } from '../../src/machine/cpu/instrumentation.js';
import { ARCH_WORDS, captureArch, hashArch } from '../../src/replay/arch-state.js';
import { hashRam } from '../../src/replay/ram-hash.js';
import { builtinPlugins } from '../../src/analysis/builtin-plugins.js';
import { PluginSet } from '../../src/analysis/plugin-set.js';
import { PluginError } from '../../src/analysis/plugin-error.js';
import type { PluginFactory } from '../../src/analysis/plugin.js';
import { insnName } from '../../src/analysis/insn-names.js';
import { CacheModel } from '../../src/analysis/cache-model.js';
import { CacheHierarchy } from '../../src/analysis/plugins/cachesim.js';
import type { InsnMixResult } from '../../src/analysis/plugins/insn-mix.js';
import type { SyscallsResult } from '../../src/analysis/plugins/syscalls.js';
import { syscalls } from '../../src/analysis/plugins/syscalls.js';
import { lui, auipc, addi, ld, sw, bne } from '../support/rv-encode.js';

const programs = fileURLToPath(new URL('../programs/', import.meta.url));
const manifest = JSON.parse(readFileSync(programs + 'manifest.json', 'utf8')) as { programs: Array<{ name: string; elf: string; retired?: number }> };

function machine(kernel: Uint8Array, translate = true): VirtMachine {
  return new VirtMachine({ bios: null, kernel, input: new SeededInputSource(), console: () => {}, translate });
}

function fingerprint(m: VirtMachine): { instret: number; arch: number; ram: number } {
  const a = new Int32Array(ARCH_WORDS);
  captureArch(m, a);
  return { instret: m.instret, arch: hashArch(a), ram: hashRam(m.ram).hash };
}

/** Every built-in plugin on one machine, run to the end. */
function runWithPlugins(m: VirtMachine, budget: number): Record<string, unknown> {
  const registry = builtinPlugins();
  const set = new PluginSet(registry.names().map((n) => ({ factory: registry.get(n), options: {} })), { machine: m, interval: { index: 0, from: 0, until: budget } });
  m.instrument(set.instrumentation());
  m.run(budget);
  m.instrument(null);
  return set.finish();
}

// RV64 encodings for the hand-assembled program

/** 10 loop iterations, one 8-byte load of its own code, then the pass write to the test device: 27 instructions. */
function countedProgram(): Uint8Array {
  const words = [
    auipc(29, 0), // 0: t4 = 0x80000000
    ld(28, 29, 0), // 4: t3 = the first two instruction words
    lui(5, 0x100), // 8: t0 = 0x100000 (test device)
    addi(6, 0, 10), // 12: t1 = 10
    addi(6, 6, -1), // 16: loop: t1--
    bne(6, 0, -4), // 20: until zero
    lui(7, 5), // 24
    addi(7, 7, 0x555), // 28: t2 = 0x5555
    sw(7, 5, 0), // 32: pass: power off
  ];
  return new Uint8Array(Uint32Array.from(words).buffer);
}

describe('instrumentation hooks', () => {
  it('see every instruction, block, load and store of a hand-assembled program exactly', () => {
    const code = countedProgram();
    const m = machine(code);
    const names: Record<string, number> = {};
    const blocks: number[] = [];
    const reads: Array<[number, number, number, number]> = [];
    const writes: Array<[number, number, number]> = [];
    const mmio: Array<[number, number, boolean]> = [];
    const instr: Instrumentation = {
      insn: (_lo, _hi, _pa, insn) => { const n = insnName(insn); names[n] = (names[n] ?? 0) + 1; },
      block: (lo) => { blocks.push((lo >>> 0) - 0x80000000); },
      memRead: (vaLo, _vh, pa, size, vLo) => { reads.push([vaLo >>> 0, pa, size, vLo >>> 0]); },
      memWrite: (_vl, _vh, pa, size, vLo) => { writes.push([pa, size, vLo]); },
      mmio: (pa, _size, value, write) => { mmio.push([pa, value, write]); },
    };
    m.instrument(instr);
    const stop = m.run(1000);
    expect(stop).toEqual({ kind: 'poweroff', code: 0 });
    expect(m.instret).toBe(27);
    expect(names).toEqual({ auipc: 1, ld: 1, lui: 2, addi: 12, bne: 10, sw: 1 });
    // a block starts at the entry, at each taken branch target (9 times) and after the loop falls through... which is sequential
    expect(blocks).toEqual([0, ...Array(9).fill(16)]);
    const dv = new DataView(code.buffer);
    expect(reads).toEqual([[0x80000000, 0x80000000, 8, dv.getUint32(0, true)]]);
    expect(writes).toEqual([[0x100000, 4, 0x5555]]);
    expect(mmio).toEqual([[0x100000, 0x5555, true]]);
  });

  for (const name of ['rv64i', 'vm', 'traps-spec', 'rv64a', 'fp']) {
    it(`change nothing the guest computes: ${name} ends in the same state with every plugin attached`, () => {
      const p = manifest.programs.find((x) => x.name === name)!;
      const elf = new Uint8Array(readFileSync(programs + p.elf));
      const plain = machine(elf);
      const s1 = plain.run(10_000_000);
      const m = machine(elf);
      const results = runWithPlugins(m, 10_000_000);
      expect(m.finished).toEqual(plain.finished);
      expect(fingerprint(m)).toEqual(fingerprint(plain));
      expect(s1.kind === 'poweroff' || s1.kind === 'fail').toBe(true);
      // insn-mix: retired instructions add up to the instructions the program retired
      const mix = results['insn-mix'] as InsnMixResult;
      const retired = mix.privileges.U.retired + mix.privileges.S.retired + mix.privileges.M.retired;
      expect(retired).toBe(m.instret);
      // ...which the manifest pins for every program
      expect(retired).toBe(p.retired);
    });
  }

  it('a throwing plugin surfaces as a PluginError naming it', () => {
    const thrower: PluginFactory<null> = {
      name: 'thrower', description: 'throws on the 5th instruction',
      create: () => { let n = 0; return { hooks: { insn: () => { if (++n === 5) throw new Error('boom'); } }, finish: () => null }; },
      merge: () => null, summary: () => [],
    };
    const m = machine(countedProgram());
    const set = new PluginSet([{ factory: thrower, options: {} }], { machine: m, interval: { index: 7, from: 0, until: 100 } });
    m.instrument(set.instrumentation());
    let err: unknown;
    try { m.run(100); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).inInterval(7).message).toBe('plugin thrower failed in interval 7 (insn): boom');
  });
});

describe('cachesim', () => {
  it('matches a hand-computed trace (2 sets x 2 ways, 16-byte lines, LRU)', () => {
    const c = new CacheModel({ size: 64, ways: 2, line: 16 });
    // lines: 0x00->line 0 set 0, 0x10 line 1 set 1, 0x20 line 2 set 0, 0x40 line 4 set 0
    const trace = [0x00, 0x04, 0x20, 0x00, 0x40, 0x20, 0x00, 0x10, 0x18, 0x40];
    // 0x00 miss; 0x04 hit (line 0); 0x20 miss (set 0: 0,2); 0x00 hit (0 now MRU); 0x40 miss evicts 2 (LRU) -> {0,4};
    // 0x20 miss evicts 0 -> {4,2}; 0x00 miss evicts 4 -> {2,0}; 0x10 miss (set 1); 0x18 hit; 0x40 miss evicts 2 -> {0,4}
    const want = [false, true, false, true, false, false, false, false, true, false];
    expect(trace.map((a) => c.access(a))).toEqual(want);
    expect({ hits: c.hits, misses: c.misses }).toEqual({ hits: 3, misses: 7 });
  });

  it('sends L1 misses to L2 and splits accesses that span two lines', () => {
    const g = { size: 64, ways: 2, line: 16 };
    const h = new CacheHierarchy({ l1i: g, l1d: g, l2: { size: 256, ways: 4, line: 16 } });
    h.fetch(0x1000); h.fetch(0x1004); // miss, hit
    h.data(0x100e, 4); // spans lines 0x1000 (L1D miss, L2 hit: the fetch brought it) and 0x1010 (miss, miss)
    expect([h.l1i.hits, h.l1i.misses, h.l1d.hits, h.l1d.misses, h.l2.hits, h.l2.misses]).toEqual([1, 1, 0, 2, 1, 2]);
  });
});

describe('syscalls merge', () => {
  it('pairs a call left pending at an interval end with its return in the next interval', () => {
    const call = { instret: 10, as: '80a00', nr: 63, name: 'read', args: ['0x0', '0x1000', '0x1', '0x0', '0x0', '0x0'], ret: null, returnInstret: null };
    const a: SyscallsResult = { calls: [call], pending: [['80a00:4096:8192', 0]], orphans: [] };
    const b: SyscallsResult = { calls: [], pending: [], orphans: [{ key: 'other', instret: 20, ret: 5 }, { key: '80a00:4096:8192', instret: 30, ret: 1 }] };
    const m = syscalls.merge(a, b);
    expect(m.calls).toEqual([{ ...call, ret: 1, returnInstret: 30 }]);
    expect(m.pending).toEqual([]);
    expect(m.orphans).toEqual([{ key: 'other', instret: 20, ret: 5 }]);
    expect(a.calls[0].ret).toBeNull(); // inputs untouched
  });
});
