/**
 * The wasm interpreter's share of a run: boots the standard guest (or runs the
 * compute workload with --compute) with one engine and prints wall and CPU
 * time and the engine statistics, including the wasm interpreter's calls,
 * instructions and exits by reason (`Hart.engineStats().interp`).
 *   npm run bench:build && node dist/bench/bench/interp-stats.js [--engine wasm] [--hot-threshold N] [--compute]
 */
import { readFileSync } from 'node:fs';
import { GuestSession } from '../test/support/guest-session.js';
import { READY_MARKER } from '../src/node/guest-images.js';
import { engineList, engineSpec, hotThresholdArg } from '../test/support/engines.js';

/** This thread's CPU time in ms (Linux; robust to a loaded machine's waits). */
const cpuMs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const engine = process.argv.includes('--engine') ? engineList(process.argv)[0] : 'wasm';
const hot = hotThresholdArg(process.argv);
const compute = process.argv.includes('--compute');
const t0 = performance.now();
const c0 = process.cpuUsage();
let m1 = cpuMs();
const s = new GuestSession({ ...(compute ? { workload: 'compute', args: [16, 256] } : {}), ...engineSpec(engine, hot.value) });
let i0 = 0, t1 = t0;
if (compute) {
  s.runUntil('RV-WORKLOAD-START compute', 1_000_000_000, 100_000);
  t1 = performance.now();
  m1 = cpuMs();
  i0 = s.machine.instret;
  s.runUntil('RV-WORKLOAD-END compute', 20_000_000_000, 1_000_000);
} else s.runUntil(READY_MARKER, 1_000_000_000, 1_000_000);
const t2 = performance.now();
const m2 = cpuMs();
const c = process.cpuUsage(c0);
console.log(`${engine} ${compute ? 'compute' : 'boot'}: ${(t2 - t1).toFixed(0)} ms wall, ${(m2 - m1).toFixed(0)} ms main-thread CPU (${(t2 - t0).toFixed(0)} ms wall in all, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU of all threads), ${s.machine.instret - i0} instructions`);
console.log(JSON.stringify(s.machine.hart.engineStats()));
s.close();
