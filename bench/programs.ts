/**
 * Real-programs benchmark: Lua, SQLite's shell and bzip2 (cross-built from
 * Debian sources by `guest/build.sh programs`) run inside the standard guest
 * on Retrovisor, once per engine, and on QEMU (qemu-system-riscv64 -M virt,
 * same images), in one run.
 *
 *   npm run bench:programs [-- --engine interpreter,js] [--scale N] [--runs N] [--programs lua,sqlite,bzip2] [--hot-threshold N]
 *
 * Each program is timed in HOST wall time between its start and end console
 * markers (guest time on Retrovisor is virtual, counted in instructions, so
 * the guest cannot time itself). Each engine runs in a child process of its
 * own, so its peak RSS is its own. The guest output of every program is
 * compared byte for byte across engines, runs and QEMU.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GuestSession } from '../test/support/guest-session.js';
import { READY_MARKER } from '../src/node/guest-images.js';
import { bootQemu, qemuPeakRssMiB, requireQemu } from '../test/support/qemu.js';
import { engineList, engineSpec, hotThresholdArg, probeTranslation, processPeakRssMiB, runChild, wasmCompileArg, type EngineName } from '../test/support/engines.js';
import { materializeProgramsGuest, PROGRAMS_APPEND, PROGRAMS_END, programEnd, programOutput, programStart } from '../test/support/programs-guest.js';

/** Instructions per machine.run() slice while waiting for a marker: the timing granularity (a few ms). */
const STEP = 500_000;
const HOT = hotThresholdArg(process.argv);
// `--wasm-compile worker|worker-eager|sync`: where the wasm tier compiles (default worker, as the CLI)
const COMPILE = wasmCompileArg(process.argv);


interface ProgramSample { wallMs: number; instructions?: number; translationMs?: number; translations?: number; status: number; output: string }
interface MachineRun { bootMs: number; bootInstructions?: number; programs: Record<string, ProgramSample>; totalInstructions?: number; translationMs?: number; translations?: number; rssMiB?: number }

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** Each program's guest output and exit status, from the whole console text. */
function setOutputs(run: MachineRun, consoleText: string): void {
  for (const [name, p] of Object.entries(run.programs)) {
    p.output = programOutput(consoleText, name);
    p.status = Number(programEnd(name).exec(p.output)?.[1] ?? -1);
  }
}

/** One boot of the programs guest on Retrovisor with `engine` (runs in a child process). */
function retrovisorRun(engine: EngineName, initrd: string, scale: number, programs: string[]): MachineRun {
  const t0 = performance.now();
  const s = new GuestSession({ initrd, append: PROGRAMS_APPEND, workload: 'programs', args: [scale, ...programs], ...engineSpec(engine, HOT.value) });
  const probe = probeTranslation(s.machine.hart);
  s.runUntil(READY_MARKER, 2_000_000_000, STEP);
  const run: MachineRun = { bootMs: performance.now() - t0, bootInstructions: s.machine.instret, programs: {} };
  for (const name of programs) {
    s.runUntil(programStart(name), 2_000_000_000, STEP);
    const t = performance.now();
    const i0 = s.machine.instret;
    const tr0 = probe.ms();
    const n0 = probe.calls();
    s.runUntil(programEnd(name), 1e12, STEP);
    const wallMs = performance.now() - t;
    const tr1 = probe.ms();
    run.programs[name] = {
      wallMs,
      instructions: s.machine.instret - i0,
      translationMs: tr0 === undefined || tr1 === undefined ? undefined : tr1 - tr0,
      translations: probe.calls() - n0,
      status: -1,
      output: '',
    };
    process.stderr.write(`  ${engine}: ${name} ${(wallMs / 1000).toFixed(2)} s\n`);
  }
  s.runUntil(PROGRAMS_END, 2_000_000_000, STEP);
  const stop = s.runToPoweroff(2_000_000_000);
  if (stop.kind !== 'poweroff') throw new Error(`guest did not power off (${stop.kind})`);
  setOutputs(run, s.output);
  run.totalInstructions = s.machine.instret;
  run.translationMs = probe.ms();
  run.translations = probe.calls();
  s.close();
  run.rssMiB = processPeakRssMiB();
  return run;
}

async function qemuRun(images: ReturnType<typeof materializeProgramsGuest>, scale: number, programs: string[]): Promise<MachineRun> {
  const g = bootQemu({ images, append: PROGRAMS_APPEND, workload: 'programs', args: [scale, ...programs] });
  try {
    const ready = await g.waitFor(READY_MARKER, { timeoutMs: 120_000 });
    const run: MachineRun = { bootMs: ready.elapsedMs, programs: {} };
    let from = ready.end;
    for (const name of programs) {
      const a = await g.waitFor(programStart(name), { from, timeoutMs: 600_000 });
      const b = await g.waitFor(programEnd(name), { from: a.end, timeoutMs: 600_000 });
      from = b.end;
      run.programs[name] = { wallMs: b.elapsedMs - a.elapsedMs, status: -1, output: '' };
      process.stderr.write(`  qemu: ${name} ${((b.elapsedMs - a.elapsedMs) / 1000).toFixed(2)} s\n`);
    }
    await g.waitFor(PROGRAMS_END, { from, timeoutMs: 120_000 });
    run.rssMiB = qemuPeakRssMiB(g.child.pid);
    await g.waitExit(60_000);
    setOutputs(run, g.text());
    return run;
  } finally {
    await g.kill();
  }
}

/** Where two outputs first differ, for the report. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `at line ${i + 1}: ${JSON.stringify(la[i] ?? '(end)')} vs ${JSON.stringify(lb[i] ?? '(end)')}`;
  }
  return '';
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmtS = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const child = option('--child');
  const scale = Number(option('--scale') ?? 1);
  if (!Number.isInteger(scale) || scale < 1) throw new Error('--scale takes a positive integer');
  if (child !== undefined) {
    const initrd = option('--initrd');
    if (!initrd) throw new Error('--child needs --initrd');
    const programs = (option('--programs') ?? '').split(',').filter((p) => p !== '');
    console.log(JSON.stringify(retrovisorRun(child as EngineName, initrd, scale, programs)));
    return;
  }
  const engines = engineList(process.argv);
  const runs = Number(option('--runs') ?? 1);
  const guest = materializeProgramsGuest();
  try {
    const programs = option('--programs')?.split(',') ?? guest.manifest.programs;
    for (const p of programs) if (!guest.manifest.programs.includes(p)) throw new Error(`unknown program ${p} (have: ${guest.manifest.programs.join(', ')})`);
    console.log(`QEMU: ${requireQemu()}`);
    console.log(`Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (figures from a loaded machine are noisy); wasm compile ${COMPILE.mode}`);
    console.log(`programs: ${programs.join(', ')} at scale ${scale} (Debian sources: ${Object.entries(guest.manifest.debianSources).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    console.log(`engines: ${engines.join(', ')}; ${runs} run(s), QEMU and each engine in turn, medians reported`);
    const script = fileURLToPath(import.meta.url);
    const qemu: MachineRun[] = [];
    const ours = new Map<EngineName, MachineRun[]>(engines.map((e) => [e, []]));
    for (let r = 0; r < runs; r++) {
      process.stderr.write(`run ${r + 1}/${runs}\n`);
      qemu.push(await qemuRun(guest, scale, programs));
      for (const e of engines) {
        ours.get(e)!.push(runChild<MachineRun>(script, ['--child', e, '--initrd', guest.initrd, '--scale', String(scale), '--programs', programs.join(','), ...HOT.args, ...COMPILE.args]));
      }
    }
    // reference instruction counts: the first engine's (QEMU is not counted; the guest runs the same code)
    const ref = ours.get(engines[0])![0];
    console.log('');
    console.log('| program | machine | wall | guest instructions | MIPS | × QEMU | translation | peak RSS |');
    console.log('|---|---|---|---|---|---|---|---|');
    const totals = new Map<string, number>();
    for (const name of [...programs, 'all']) {
      const wallOf = (rs: MachineRun[]): number => median(rs.map((x) => name === 'all' ? programs.reduce((a, p) => a + x.programs[p].wallMs, 0) : x.programs[name].wallMs));
      const instrOf = (x: MachineRun): number => name === 'all' ? programs.reduce((a, p) => a + (x.programs[p].instructions ?? 0), 0) : x.programs[name].instructions ?? 0;
      const qMs = wallOf(qemu);
      const refInstr = instrOf(ref);
      console.log(`| ${name} | QEMU TCG | ${fmtS(qMs)} | ≈${(refInstr / 1e6).toFixed(0)} M | ≈${(refInstr / qMs / 1000).toFixed(0)} | 1.00 | – | ${median(qemu.map((x) => x.rssMiB ?? 0)).toFixed(0)} MiB |`);
      for (const e of engines) {
        const rs = ours.get(e)!;
        const ms = wallOf(rs);
        const instr = instrOf(rs[0]);
        const trs = rs.map((x) => name === 'all' ? programs.reduce<number | undefined>((a, p) => a === undefined || x.programs[p].translationMs === undefined ? undefined : a + x.programs[p].translationMs!, 0) : x.programs[name].translationMs);
        const none = rs[0].translations === 0;
        const tr = none ? '–' : trs.some((t) => t === undefined) ? 'n/a' : `${median(trs as number[]).toFixed(0)} ms`;
        console.log(`| ${name} | Retrovisor ${e} | ${fmtS(ms)} | ${(instr / 1e6).toFixed(0)} M | ${(instr / ms / 1000).toFixed(0)} | ${(ms / qMs).toFixed(2)} | ${tr} | ${median(rs.map((x) => x.rssMiB ?? 0)).toFixed(0)} MiB |`);
        if (name === 'all') totals.set(e, ms / qMs);
      }
    }
    console.log('');
    console.log('boot to the ready marker: ' + [`QEMU ${fmtS(median(qemu.map((x) => x.bootMs)))}`, ...engines.map((e) => `${e} ${fmtS(median(ours.get(e)!.map((x) => x.bootMs)))}`)].join(', '));
    console.log('translation, whole run (boot included): ' + engines.map((e) => {
      const x = ours.get(e)![0];
      return `${e} ${x.translationMs === undefined ? 'n/a' : `${x.translationMs.toFixed(0)} ms`} for ${x.translations} blocks`;
    }).join(', ') + ' (the translator\'s own time; V8 compiling generated code is not included)');
    // byte-identical guest output and instruction counts
    const problems: string[] = [];
    for (const name of programs) {
      const want = ref.programs[name].output;
      if (want === '') problems.push(`${name}: no output captured`);
      if (ref.programs[name].status !== 0) problems.push(`${name}: exit status ${ref.programs[name].status}`);
      const all: Array<[string, MachineRun]> = [...qemu.map((x, i): [string, MachineRun] => [`qemu run ${i + 1}`, x]), ...engines.flatMap((e) => ours.get(e)!.map((x, i): [string, MachineRun] => [`${e} run ${i + 1}`, x]))];
      for (const [label, x] of all) {
        if (x.programs[name].output !== want) problems.push(`${name}: output of ${label} differs from ${engines[0]} run 1 ${firstDifference(x.programs[name].output, want)}`);
      }
    }
    const counts = engines.flatMap((e) => ours.get(e)!.map((x) => x.totalInstructions));
    const sameCounts = counts.every((c) => c === counts[0]);
    console.log(`guest output byte-identical (every program, engine, run and QEMU): ${problems.length === 0 ? 'yes' : 'NO'}`);
    for (const p of problems) console.log(`  ${p}`);
    console.log(`instructions to poweroff identical in every engine and run: ${sameCounts ? 'yes' : 'NO'} (${counts.join(', ')})`);
    console.log(`all programs, ratio to QEMU: ${engines.map((e) => `${e} ${totals.get(e)!.toFixed(2)}×`).join(', ')}`);
    if (problems.length > 0 || !sameCounts) process.exitCode = 1;
  } finally {
    guest.cleanup();
  }
}

await main();
