/**
 * The wasm interpreter's share of a run: boots the standard guest (or runs the
 * compute workload with --compute) with one engine and prints wall and CPU
 * time and the engine statistics, including the wasm interpreter's calls,
 * instructions and exits by reason (`Hart.engineStats().interp`).
 * With --programs lua[,sqlite,bzip2] it runs the real-programs guest
 * (bench/programs.ts) and prints those figures for the programs' window (from
 * the first one's start marker to the last one's end), the engine statistics
 * as deltas over that window.
 *   npm run bench:build && node --v8-pool-size=0 dist/bench/bench/interp-stats.js [--engine wasm] [--hot-threshold N] [--compute | --programs lua [--scale N]] [--other-pages N] [--other-insns N]
 */
import { readFileSync } from 'node:fs';
import { GuestSession } from '../test/support/guest-session.js';
import { READY_MARKER } from '../src/node/guest-images.js';
import { engineList, engineSpec, hotThresholdArg } from '../test/support/engines.js';
import { wasmTierDefaults } from '../src/machine/cpu/wasm/wasm-tier.js';
import { materializeProgramsGuest, PROGRAMS_APPEND, programEnd, programStart } from '../test/support/programs-guest.js';

/** This thread's CPU time in ms (Linux; robust to a loaded machine's waits). */
const cpuMs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const engine = process.argv.includes('--engine') ? engineList(process.argv)[0] : 'wasm';
const hot = hotThresholdArg(process.argv);
const compute = process.argv.includes('--compute');
// `--other-pages N --other-insns N`: the wasm tier's limits of regions across pages
for (const [flag, key] of [['--other-pages', 'otherPages'], ['--other-insns', 'otherInsns']] as const) {
  const k = process.argv.indexOf(flag);
  if (k > 0) wasmTierDefaults[key] = Number(process.argv[k + 1]);
}
const pi = process.argv.indexOf('--programs');
const programs = pi > 0 ? process.argv[pi + 1].split(',') : null;
const si = process.argv.indexOf('--scale');
const scale = si > 0 ? Number(process.argv[si + 1]) : 1;
const t0 = performance.now();
const c0 = process.cpuUsage();
let m1 = cpuMs();
const s = programs !== null
  ? new GuestSession({ initrd: materializeProgramsGuest().initrd, append: PROGRAMS_APPEND, workload: 'programs', args: [scale, ...programs], ...engineSpec(engine, hot.value) })
  : new GuestSession({ ...(compute ? { workload: 'compute', args: [16, 256] } : {}), ...engineSpec(engine, hot.value) });
let i0 = 0, t1 = t0;
let stats0: Record<string, unknown> = {};
if (programs !== null) {
  s.runUntil(programStart(programs[0]), 2_000_000_000, 500_000);
  t1 = performance.now();
  m1 = cpuMs();
  i0 = s.machine.instret;
  stats0 = JSON.parse(JSON.stringify(s.machine.hart.engineStats())) as Record<string, unknown>;
  for (const p of programs) s.runUntil(programEnd(p), 1e12, 500_000);
} else if (compute) {
  s.runUntil('RV-WORKLOAD-START compute', 1_000_000_000, 100_000);
  t1 = performance.now();
  m1 = cpuMs();
  i0 = s.machine.instret;
  s.runUntil('RV-WORKLOAD-END compute', 20_000_000_000, 1_000_000);
} else s.runUntil(READY_MARKER, 1_000_000_000, 1_000_000);
const t2 = performance.now();
const m2 = cpuMs();
const c = process.cpuUsage(c0);
console.log(`${engine} ${programs !== null ? programs.join(',') : compute ? 'compute' : 'boot'}: ${(t2 - t1).toFixed(0)} ms wall, ${(m2 - m1).toFixed(0)} ms main-thread CPU (${(t2 - t0).toFixed(0)} ms wall in all, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU of all threads), ${s.machine.instret - i0} instructions`);
/** Numbers minus their value at the window's start (nested records too). */
const delta = (a: unknown, b: unknown): unknown => {
  if (typeof a === 'number' && typeof b === 'number') return Math.round((a - b) * 1000) / 1000;
  if (a !== null && typeof a === 'object' && b !== null && typeof b === 'object') {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, delta(v, (b as Record<string, unknown>)[k])]));
  }
  return a;
};
console.log(JSON.stringify(programs !== null ? delta(s.machine.hart.engineStats(), stats0) : s.machine.hart.engineStats()));
s.close();
