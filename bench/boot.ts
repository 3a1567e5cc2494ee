/**
 * Boot benchmark: the standard guest to its ready marker, and the CPU-bound
 * compute workload, on Retrovisor with each engine and on QEMU
 * (qemu-system-riscv64 -M virt, same images), in one run.
 *   npm run bench:boot [-- --runs N] [--engine interpreter,js] [--hot-threshold N]
 * Each Retrovisor boot runs in a child process of its own (fresh JIT state,
 * its own peak RSS).
 *   npm run build && npm run bench:boot -- --cli [--runs N] [--engine E]
 * instead times the command line as a user starts it (`node dist/cli/main.js
 * run`): Node's start, imports, machine construction, to the first guest
 * instruction and to the ready marker.
 *   npm run bench:boot -- --profile
 * instead profiles what the boot executes (test/support/boot-profile.ts):
 * instructions by block-leader heat and privilege, what a perfect tier-up
 * could cover, traps, MMIO and the hart's slow-path counters per engine.
 */
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GuestSession } from '../test/support/guest-session.js';
import { READY_MARKER, guestImagesDir } from '../src/node/guest-images.js';
import { HART_STAT_NAMES } from '../src/machine/cpu/hart-stats.js';
import { BootProfiler, formatBootProfile, kernelSymbols } from '../test/support/boot-profile.js';
import { bootQemu, qemuPeakRssMiB, requireQemu } from '../test/support/qemu.js';
import { engineList, engineSpec, hotThresholdArg, probeTranslation, processPeakRssMiB, runChild, wasmCompileArg, type EngineName } from '../test/support/engines.js';
import { guestNodeArgs } from '../src/node/guest-process-flags.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const RUNS = Number(option('--runs') ?? 3);
const HOT = hotThresholdArg(process.argv);
// `--wasm-compile worker|worker-eager|sync`: where the wasm tier compiles (default worker, as the CLI)
const COMPILE = wasmCompileArg(process.argv);

interface Sample {
  wallMs: number; instructions?: number; rssMiB?: number; translationMs?: number; translations?: number; hart?: number[];
  /** From `new GuestSession` to a built machine, and its split (VirtMachine.constructionMs plus the builder's own share). */
  constructMs?: number; construction?: Record<string, number>;
  /** The first million instructions (the JIT's cold start shows here). */
  firstMs?: number;
}

function retrovisorBoot(engine: EngineName): Sample {
  const t0 = performance.now();
  const s = new GuestSession(engineSpec(engine, HOT.value));
  const constructMs = performance.now() - t0;
  const inMachine = Object.values(s.machine.constructionMs).reduce((a, b) => a + b, 0);
  const construction = { builder: constructMs - inMachine, ...s.machine.constructionMs };
  const probe = probeTranslation(s.machine.hart);
  const t1 = performance.now();
  s.machine.run(1_000_000); // the same first slice runUntil would run
  const firstMs = performance.now() - t1;
  s.runUntil(READY_MARKER, 1_000_000_000, 1_000_000);
  const wallMs = performance.now() - t0;
  const instructions = s.machine.instret;
  const hart = Array.from(s.machine.hart.stats);
  s.close();
  return { wallMs, instructions, rssMiB: processPeakRssMiB(), translationMs: probe.ms(), translations: probe.calls(), constructMs, construction, firstMs, hart };
}

async function qemuBoot(): Promise<Sample> {
  const g = bootQemu();
  try {
    const r = await g.waitFor(READY_MARKER, { timeoutMs: 120_000 });
    return { wallMs: r.elapsedMs, rssMiB: qemuPeakRssMiB(g.child.pid) };
  } finally {
    await g.kill();
  }
}

const COMPUTE = { workload: 'compute', args: [16, 256] };

/** Wall time of the compute workload alone (between its start and end markers). */
function retrovisorCompute(engine: EngineName): Sample {
  const s = new GuestSession({ ...COMPUTE, ...engineSpec(engine, HOT.value) });
  const probe = probeTranslation(s.machine.hart);
  s.runUntil('RV-WORKLOAD-START compute', 1_000_000_000, 100_000);
  const t0 = performance.now();
  const i0 = s.machine.instret;
  const tr0 = probe.ms();
  const n0 = probe.calls();
  s.runUntil('RV-WORKLOAD-END compute', 20_000_000_000, 1_000_000);
  const tr1 = probe.ms();
  const sample = {
    wallMs: performance.now() - t0,
    instructions: s.machine.instret - i0,
    translationMs: tr0 === undefined || tr1 === undefined ? undefined : tr1 - tr0,
    translations: probe.calls() - n0,
  };
  s.close();
  return { ...sample, rssMiB: processPeakRssMiB() };
}

async function qemuCompute(): Promise<Sample> {
  const g = bootQemu(COMPUTE);
  try {
    const a = await g.waitFor('RV-WORKLOAD-START compute', { timeoutMs: 120_000 });
    const b = await g.waitFor('RV-WORKLOAD-END compute', { timeoutMs: 300_000 });
    return { wallMs: b.elapsedMs - a.elapsedMs, rssMiB: qemuPeakRssMiB(g.child.pid) };
  } finally {
    await g.kill();
  }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function table(title: string, qemu: Sample[], ours: Map<EngineName, Sample[]>): void {
  const qMs = median(qemu.map((s) => s.wallMs));
  const instr = [...ours.values()][0][0].instructions!;
  console.log('');
  console.log(`| ${title} | wall | guest instructions | MIPS | × QEMU | translation | peak RSS |`);
  console.log('|---|---|---|---|---|---|---|');
  console.log(`| QEMU TCG | ${(qMs / 1000).toFixed(2)} s | ≈${(instr / 1e6).toFixed(1)} M (same guest) | ≈${(instr / qMs / 1000).toFixed(1)} | 1.00 | – | ${median(qemu.map((s) => s.rssMiB ?? 0)).toFixed(0)} MiB |`);
  for (const [engine, samples] of ours) {
    const ms = median(samples.map((s) => s.wallMs));
    const n = samples[0].instructions!;
    const trs = samples.map((s) => s.translationMs);
    const tr = samples[0].translations === 0 ? '–' : trs.some((t) => t === undefined) ? 'n/a' : `${median(trs as number[]).toFixed(0)} ms (${samples[0].translations} blocks)`;
    console.log(`| Retrovisor ${engine} | ${(ms / 1000).toFixed(2)} s | ${(n / 1e6).toFixed(1)} M | ${(n / ms / 1000).toFixed(1)} | ${(ms / qMs).toFixed(2)} | ${tr} | ${median(samples.map((s) => s.rssMiB ?? 0)).toFixed(0)} MiB |`);
  }
}

/** Medians of the time before the first instruction, split by step, and of the first million instructions. */
function startupTable(ours: Map<EngineName, Sample[]>): void {
  const engines = [...ours.keys()];
  const steps = Object.keys(ours.get(engines[0])![0].construction ?? {});
  const row = (name: string, f: (s: Sample) => number | undefined): void => {
    console.log(`| ${name} | ${engines.map((e) => { const v = ours.get(e)!.map(f).filter((x): x is number => x !== undefined); return v.length ? median(v).toFixed(1) : '–'; }).join(' | ')} |`);
  };
  console.log('');
  console.log(`| startup (median ms) | ${engines.join(' | ')} |`);
  console.log(`|---|${engines.map(() => '---|').join('')}`);
  row('construction (new GuestSession)', (s) => s.constructMs);
  for (const step of steps) row(`  ${step}`, (s) => s.construction?.[step]);
  row('first 1 M instructions', (s) => s.firstMs);
}

/** CPU time (user + system, ms) of a live process, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/**
 * One `retrovisor run` as a user starts it: wall time from spawning Node to
 * the process's exit after one instruction (`--max-instructions 1`), or to
 * `marker` on its console (then its CPU time so far is read and it is killed).
 */
function cliRun(main: string, engine: EngineName, marker: string | null): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((done, fail) => {
    const args = [...guestNodeArgs(), main, 'run', '--engine', engine, ...(marker ? [] : ['--max-instructions', '1'])];
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let result: { ms: number; cpuMs: number } | null = null;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (marker && result === null && out.includes(marker)) {
        result = { ms: performance.now() - t0, cpuMs: processCpuMs(child.pid!) };
        child.kill('SIGKILL');
      }
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      if (result) done(result);
      else if (!marker && code === 0) done({ ms: performance.now() - t0, cpuMs: NaN });
      else fail(new Error(`retrovisor run exited with ${code} before ${marker ?? 'its end'}`));
    });
  });
}

/** `--cli`: the command line's startup, per engine, medians of RUNS alternating runs. */
async function cliStartup(engines: EngineName[]): Promise<void> {
  const main = resolve(guestImagesDir(), '..', '..', 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: npm run build first`);
  const first = new Map<EngineName, number[]>(engines.map((e) => [e, []]));
  const ready = new Map<EngineName, Array<{ ms: number; cpuMs: number }>>(engines.map((e) => [e, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const e of engines) {
      first.get(e)!.push((await cliRun(main, e, null)).ms);
      ready.get(e)!.push(await cliRun(main, e, READY_MARKER));
    }
  }
  console.log('');
  console.log(`| \`node ${join('dist', 'cli', 'main.js')} run\` (median of ${RUNS}) | ${engines.join(' | ')} |`);
  console.log(`|---|${engines.map(() => '---|').join('')}`);
  console.log(`| to the first instruction (spawn to exit after 1 instruction) | ${engines.map((e) => `${median(first.get(e)!).toFixed(0)} ms`).join(' | ')} |`);
  console.log(`| to the ready marker | ${engines.map((e) => `${median(ready.get(e)!.map((r) => r.ms)).toFixed(0)} ms`).join(' | ')} |`);
  console.log(`| CPU time to the ready marker (all threads) | ${engines.map((e) => `${median(ready.get(e)!.map((r) => r.cpuMs)).toFixed(0)} ms`).join(' | ')} |`);
}

/** `--profile`: one instrumented (interpreted) boot, then each engine's slow-path counters from a plain boot. */
function profile(engines: EngineName[], script: string): void {
  const s = new GuestSession(engineSpec('interpreter'));
  const profiler = new BootProfiler();
  s.machine.instrument(profiler);
  const t0 = performance.now();
  s.runUntil(READY_MARKER, 1_000_000_000, 1_000_000);
  console.log(`profiled boot (instrumented interpreter, ${((performance.now() - t0) / 1000).toFixed(1)} s): ${s.machine.instret} instructions retired to the ready marker`);
  console.log(formatBootProfile(profiler.result(s.machine.hart.stats, kernelSymbols(guestImagesDir()))));
  s.machine.instrument(null);
  s.close();
  console.log('');
  console.log(`| hart counter | ${engines.join(' | ')} |`);
  console.log(`|---|${engines.map(() => '---|').join('')}`);
  const samples = engines.map((e) => runChild<Sample>(script, ['--child', e, '--what', 'boot', ...HOT.args, ...COMPILE.args]));
  HART_STAT_NAMES.forEach((name, i) => console.log(`| ${name} | ${samples.map((x) => x.hart?.[i] ?? '–').join(' | ')} |`));
  console.log(`| construct ms (before the first instruction) | ${samples.map((x) => x.constructMs?.toFixed(0)).join(' | ')} |`);
  console.log(`| wall ms | ${samples.map((x) => x.wallMs.toFixed(0)).join(' | ')} |`);
}

async function main(): Promise<void> {
  const child = option('--child');
  if (child !== undefined) {
    const engine = child as EngineName;
    console.log(JSON.stringify(option('--what') === 'compute' ? retrovisorCompute(engine) : retrovisorBoot(engine)));
    return;
  }
  const engines = engineList(process.argv);
  const script = fileURLToPath(import.meta.url);
  if (process.argv.includes('--cli')) {
    console.log(`Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (figures from a loaded machine are noisy)`);
    await cliStartup(engines);
    return;
  }
  if (process.argv.includes('--profile')) {
    console.log(`Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    profile(engines, script);
    return;
  }
  console.log(`QEMU: ${requireQemu()}`);
  console.log(`Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (figures from a loaded machine are noisy)`);
  console.log(`engines: ${engines.join(', ')}; boot: ${RUNS} runs each, alternating, medians reported; compute: one run each; wasm compile ${COMPILE.mode}`);
  const qemu: Sample[] = [];
  const ours = new Map<EngineName, Sample[]>(engines.map((e) => [e, []]));
  for (let i = 0; i < RUNS; i++) {
    qemu.push(await qemuBoot());
    const line = [`qemu ${qemu[i].wallMs.toFixed(0)} ms`];
    for (const e of engines) {
      ours.get(e)!.push(runChild<Sample>(script, ['--child', e, '--what', 'boot', ...HOT.args, ...COMPILE.args]));
      line.push(`${e} ${ours.get(e)![i].wallMs.toFixed(0)} ms`);
    }
    console.log(`run ${i + 1}: ${line.join(', ')}`);
  }
  table('boot to ready marker', qemu, ours);
  startupTable(ours);
  const qc = [await qemuCompute()];
  const oc = new Map<EngineName, Sample[]>(engines.map((e) => [e, [runChild<Sample>(script, ['--child', e, '--what', 'compute', ...HOT.args, ...COMPILE.args])]]));
  table(`compute workload (${COMPUTE.args.join(',')})`, qc, oc);
  console.log('');
  const counts = [...ours.values()].flat().map((s) => s.instructions);
  console.log(`instructions to the ready marker identical across runs and engines: ${counts.every((c) => c === counts[0]) ? 'yes' : 'NO'} (${counts.join(', ')})`);
  const cc = [...oc.values()].flat().map((s) => s.instructions);
  console.log(`compute workload instructions (counted to 1 M slices) per engine: ${cc.join(', ')}`);
}

await main();
