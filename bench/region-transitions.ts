/**
 * The cost of a transition between a compiled wasm region and the wasm
 * interpreter: a bare hart (engine wasm) runs a loop whose region leaves every
 * iteration to a cold path of 3 instructions (interpreted: first run after
 * the loop was compiled, it stays cold until its own leader is hot) and comes
 * back into the region, 60 000 times per hart; prints each hart's main-thread
 * CPU time and the interpreter's exits and region calls.
 *   npm run bench:build && node --v8-pool-size=0 dist/bench/bench/region-transitions.js [--harts N]
 * Compare two builds by running each in turn (CPU time, so a loaded machine matters less).
 */
import { readFileSync } from 'node:fs';
import { Bus } from '../src/machine/bus.js';
import { GuestMemory } from '../src/machine/memory.js';
import { Hart } from '../src/machine/cpu/hart.js';
import { wasmTierDefaults } from '../src/machine/cpu/wasm/wasm-tier.js';
import { addi, btype, itype, jal } from '../test/support/rv-encode.js';

/** This thread's CPU time in ms (Linux). */
const cpuMs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const at = process.argv.indexOf('--harts');
const HARTS = at > 0 ? Number(process.argv[at + 1]) : 6;
/** Hot threshold = transitions per hart (heat counters are 16 bits: below 65 536). */
const H = 60_000, N = 3 * H;
const A0 = 10, A1 = 11, A2 = 12, A3 = 13, S0 = 8;
const CODE = [
  addi(A0, A0, 1), // 0x00 L0
  btype(0x10, S0, A1, 4), // 0x04 blt a1, s0, COLD (0x14): every iteration once a1 < s0
  addi(A1, A1, -1), // 0x08 L1
  btype(-0xc, 0, A1, 1), // 0x0c bne a1, x0, L0
  jal(0, 0), // 0x10
  addi(A2, A2, 1), // 0x14 COLD
  itype(5, A3, 4, A3, 0x13), // 0x18 xori a3, a3, 5
  jal(0, 0x08 - 0x1c), // 0x1c -> L1
];

wasmTierDefaults.batchDelay = 0;
for (let k = 0; k < HARTS; k++) {
  const ram = new GuestMemory(0x80000000, 1 << 20);
  const hart = new Hart(new Bus(ram), ram, { hartId: 0, time: () => 0, engine: 'wasm', hotThreshold: H });
  CODE.forEach((w, i) => { ram.i32[(0x1000 >> 2) + i] = w | 0; });
  hart.reset(0x80001000);
  hart.xLo[A1] = N;
  hart.xLo[S0] = N - H - 1000; // the loop is compiled after H iterations; the cold path starts 1000 later
  const c0 = cpuMs();
  while (hart.xLo[A1] !== 0) hart.run(1_000_000);
  const ms = cpuMs() - c0;
  const st = hart.engineStats();
  const i = st.interp;
  console.log(`hart ${k}: ${ms.toFixed(1)} ms main-thread CPU, ${hart.instret} instructions, wasm interpreter calls ${i?.calls}, exits block ${i?.exits.block}, region calls from the interpreter ${i?.regionCalls ?? '-'}, dispatcher calls ${st.calls}`);
}
