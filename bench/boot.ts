/**
 * Boot benchmark: the standard guest to its ready marker on Retrovisor and on
 * QEMU (qemu-system-riscv64 -M virt, same images), in one run.
 *   npm run bench:boot [-- --runs N] [--engine interpreter|js|...] [--hot-threshold N]
 */
import { readFileSync } from 'node:fs';
import { GuestSession } from '../test/support/guest-session.js';
import { READY_MARKER } from '../src/node/guest-images.js';
import { bootQemu, requireQemu } from '../test/support/qemu.js';
import { wasmTierStats } from '../src/machine/cpu/wasm/wasm-tier.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const flag = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const ENGINE = flag('--engine');
const HOT = flag('--hot-threshold');
/** Machine options for the engine under test (default: the default engine). */
const MACHINE = { ...(ENGINE ? { engine: ENGINE } : {}), ...(HOT !== undefined ? { hotThreshold: Number(HOT) } : {}) };

interface Sample { wallMs: number; instructions?: number; rssMiB?: number }

function retrovisorBoot(): Sample {
  const t0 = performance.now();
  const s = new GuestSession({ machine: MACHINE });
  s.runUntil(READY_MARKER, 1_000_000_000, 1_000_000);
  const wallMs = performance.now() - t0;
  const instructions = s.machine.instret;
  s.close();
  return { wallMs, instructions };
}

function qemuPeakRss(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function qemuBoot(): Promise<Sample> {
  const g = bootQemu();
  try {
    const r = await g.waitFor(READY_MARKER, { timeoutMs: 120_000 });
    return { wallMs: r.elapsedMs, rssMiB: qemuPeakRss(g.child.pid) };
  } finally {
    await g.kill();
  }
}

const COMPUTE = { workload: 'compute', args: [16, 256] };

/** Wall time of the compute workload alone (between its start and end markers). */
function retrovisorCompute(): Sample {
  const s = new GuestSession({ ...COMPUTE, machine: MACHINE });
  s.runUntil('RV-WORKLOAD-START compute', 1_000_000_000, 100_000);
  const t0 = performance.now();
  const i0 = s.machine.instret;
  s.runUntil('RV-WORKLOAD-END compute', 20_000_000_000, 1_000_000);
  const sample = { wallMs: performance.now() - t0, instructions: s.machine.instret - i0 };
  s.close();
  return sample;
}

async function qemuCompute(): Promise<Sample> {
  const g = bootQemu(COMPUTE);
  try {
    const a = await g.waitFor('RV-WORKLOAD-START compute', { timeoutMs: 120_000 });
    const b = await g.waitFor('RV-WORKLOAD-END compute', { timeoutMs: 300_000 });
    return { wallMs: b.elapsedMs - a.elapsedMs };
  } finally {
    await g.kill();
  }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function main(): Promise<void> {
  console.log(`QEMU: ${requireQemu()}`);
  console.log(`Node ${process.version}; ${RUNS} runs each, alternating; medians reported; engine ${ENGINE ?? 'default'}`);
  const ours: Sample[] = [];
  const theirs: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(retrovisorBoot());
    theirs.push(await qemuBoot());
    console.log(`run ${i + 1}: retrovisor ${ours[i].wallMs.toFixed(0)} ms, qemu ${theirs[i].wallMs.toFixed(0)} ms`);
  }
  const ourMs = median(ours.map((s) => s.wallMs));
  const qemuMs = median(theirs.map((s) => s.wallMs));
  const instr = ours[0].instructions!;
  const rss = process.resourceUsage().maxRSS / 1024;
  const qrss = median(theirs.map((s) => s.rssMiB ?? 0));
  console.log('');
  console.log('| machine | wall to ready marker | guest instructions | MIPS | peak RSS |');
  console.log('|---|---|---|---|---|');
  console.log(`| Retrovisor | ${(ourMs / 1000).toFixed(2)} s | ${(instr / 1e6).toFixed(1)} M | ${(instr / ourMs / 1000).toFixed(1)} | ${rss.toFixed(0)} MiB |`);
  console.log(`| QEMU 7.2 TCG | ${(qemuMs / 1000).toFixed(2)} s | ≈${(instr / 1e6).toFixed(1)} M (same guest) | ≈${(instr / qemuMs / 1000).toFixed(1)} | ${qrss.toFixed(0)} MiB |`);
  console.log('');
  console.log(`ratio Retrovisor/QEMU wall time: ${(ourMs / qemuMs).toFixed(2)}×  (bar for now: ≤ 5×)`);
  const oc = retrovisorCompute();
  const qc = await qemuCompute();
  console.log('');
  console.log(`compute workload (${COMPUTE.args.join(',')}): Retrovisor ${(oc.wallMs / 1000).toFixed(2)} s for ${(oc.instructions! / 1e6).toFixed(0)} M instructions (${(oc.instructions! / oc.wallMs / 1000).toFixed(1)} MIPS), QEMU ${(qc.wallMs / 1000).toFixed(2)} s; ratio ${(oc.wallMs / qc.wallMs).toFixed(2)}×`);
  const identical = ours.every((s) => s.instructions === instr);
  console.log(`instructions to the marker identical across runs: ${identical ? 'yes' : 'NO'} (${ours.map((s) => s.instructions).join(', ')})`);
  const w = wasmTierStats;
  if (w.modules > 0) console.log(`wasm tier (all runs): ${w.regions} regions in ${w.modules} modules (${(w.bytes / 1024).toFixed(0)} KiB, ${w.evicted} evicted), translation ${w.compileMs.toFixed(0)} ms, ${(w.retired / 1e6).toFixed(0)} M instructions retired in wasm`);
}

await main();
