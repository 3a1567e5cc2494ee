/**
 * Checkpoint benchmark: the standard guest running memtouch (a 64 MiB buffer
 * in 256 MiB of RAM, and a 256 MiB buffer in 512 MiB of RAM, dirtied at
 * 100 MiB/s) and compute, checkpointed every 25 ms, 100 ms and 1 s of guest
 * time in three capture modes (stop-and-copy, copy-on-write, copy-on-write
 * with dirty-page prediction) over the same window of guest time (the
 * machine is restored to the same start point before each run, so every run
 * executes exactly the same instructions), against the same window without
 * checkpoints; then lazy vs eager restore of the large guest; then QEMU
 * checkpointing the same guest and workload by migration (xbzrle + multifd
 * zstd, and plain) through QemuCheckpointer.
 *
 * With `--clock realtime` (or `both`, the default) the same workloads also run
 * on the realtime clock (bench/checkpoint-realtime.ts): guest time = host
 * time, checkpoints every interval of host time, slowdown as the guest's lost
 * progress and the guest thread's extra time per instruction.
 *
 * A mode is `stop`, `cow` or `cow+predict`, optionally `/coalesce` (back-pressure) and `@N`
 * (N page worker threads; without it the pipeline runs on the guest's thread). Then the page
 * pipeline's throughput with no pool and 1, 2 and N worker threads (a full copy-on-write
 * capture of the largest guest drained blocking).
 *
 *   npm run bench:checkpoint [-- --window 2000 --intervals 25ms,100ms,1s --workloads memtouch,memtouch256,compute
 *                                 --modes stop,cow,cow+predict,cow+predict@2 --qemu-checkpoints 4 --no-qemu --quick
 *                                 --clock virtual|realtime|both --rt-window 3000 --rt-settle 1000 --rt-modes ...]
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TIMEBASE_HZ } from '../src/machine/clock.js';
import { SeededInputSource } from '../src/machine/input.js';
import type { VirtMachine } from '../src/machine/board/virt-machine.js';
import { nodeCodecRegistry } from '../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../src/node/fs-store.js';
import { GuestSession } from '../test/support/guest-session.js';
import { QemuCheckpointer, type QemuCheckpointStats } from '../test/support/qemu-checkpoint.js';
import { requireQemu } from '../test/support/qemu.js';
import { CheckpointSchedule } from '../src/checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer, type Capture, type CaptureResult } from '../src/checkpoint/machine-checkpointer.js';
import { checkpointModeOptions } from '../src/cli/checkpoint-session.js';
import { parseCheckpointInterval } from '../src/cli/checkpoint-interval.js';
import { restoreMachine, restoreMachineLazily } from '../src/checkpoint/restore-machine.js';
import { Repository } from '../src/store/repository.js';
import { defaultPageWorkers, NodePageWorkerPool } from '../src/node/page-worker-pool.js';
import { median, p95, printRealtime, realtimeWorkload, type RealtimeRow } from './checkpoint-realtime.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const quick = argv.includes('--quick');
const WINDOW_MS = Number(arg('window', quick ? '1000' : '2000'));
const INTERVALS = arg('intervals', quick ? '100ms' : '25ms,100ms,1s').split(',');
const WORKLOADS = arg('workloads', quick ? 'memtouch,compute' : 'memtouch,memtouch256,compute').split(',');
const N = defaultPageWorkers();
const MODES = arg('modes', `stop,cow,cow+predict,cow@${N},cow+predict@${N},cow+predict/coalesce@${N}`).split(',');
const THROUGHPUT = !argv.includes('--no-throughput');
const QEMU_CHECKPOINTS = Number(arg('qemu-checkpoints', quick ? '2' : '4'));
const QEMU = !argv.includes('--no-qemu');
const CLOCK = arg('clock', 'both');
if (!['virtual', 'realtime', 'both'].includes(CLOCK)) throw new Error(`--clock must be virtual, realtime or both (got ${CLOCK})`);
const RT_WINDOW_MS = Number(arg('rt-window', quick ? '2000' : '3000'));
const RT_SETTLE_MS = Number(arg('rt-settle', '1000'));
const RT_MODES = arg('rt-modes', `stop,cow,cow+predict,cow+predict@${N}`).split(',');

interface Workload { key: string; name: string; workload: string; args: string[]; started: string; warmupMs: number; memoryMiB: number }
const ALL: Workload[] = [
  { key: 'memtouch', name: 'memtouch 64 MiB @ 100 MiB/s', workload: 'memtouch', args: ['64', '100', '0'], started: 'memtouch: 64 MiB', warmupMs: 1000, memoryMiB: 256 },
  { key: 'memtouch256', name: 'memtouch 256 MiB @ 100 MiB/s (512 MiB RAM)', workload: 'memtouch', args: ['256', '100', '0'], started: 'memtouch: 256 MiB', warmupMs: 3000, memoryMiB: 512 },
  { key: 'compute', name: 'compute', workload: 'compute', args: ['100000', '64'], started: 'RV-WORKLOAD-START compute', warmupMs: 100, memoryMiB: 256 },
];

const codecs = nodeCodecRegistry();
const fs = new NodeStoreFs();
const tmp = mkdtempSync(join(tmpdir(), 'rv-bench-ckpt-'));
let repoSeq = 0;
const freshRepo = () => Repository.open(fs, join(tmp, `repo-${repoSeq++}`), { codecs, create: true });
/** Bytes of every file under a repository (packs, checkpoint files, index). */
function diskBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? diskBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

const kb = (n: number) => (n / 1024).toFixed(1);
const mb = (n: number) => (n / 1024 / 1024).toFixed(2);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const turn = () => new Promise<void>((r) => setImmediate(r));

/** Lets `ms` of guest time pass; idle stretches skip only up to the target (what a schedule does too). */
function runGuest(vm: VirtMachine, ms: number): void {
  const target = vm.now() + Math.round((ms / 1000) * TIMEBASE_HZ);
  while (vm.now() < target) {
    const left = (target - vm.now()) * 10;
    const r = vm.run(Math.max(1, Math.min(4_000_000, left)), 'return');
    if (r.kind === 'idle') { if (r.deadline === Infinity) throw new Error('guest idle forever'); vm.skipTo(Math.min(r.deadline, target)); }
    else if (r.kind !== 'limit') throw new Error(`guest stopped: ${r.kind}`);
  }
}

interface OurRow {
  workload: string; mode: string; interval: string; checkpoints: number; failed: number; wallMs: number; plainMs: number;
  full: CaptureResult; incr: CaptureResult[];
  /** Repository growth over the window (chunk records with headers, checkpoint files, index entries). */
  diskBytes: number;
  /** Process peak RSS after the run (MiB; a running maximum over the whole benchmark). */
  peakRssMiB: number;
}

interface RestoreRow { workload: string; kind: string; firstMs: number; fullMs: number; faulted: number; pages: number }

async function ours(w: Workload): Promise<{ rows: OurRow[]; restores: RestoreRow[] }> {
  const s = new GuestSession({ workload: w.workload, args: w.args, input: new SeededInputSource(5), memoryBytes: w.memoryMiB << 20 });
  const vm = s.machine;
  s.runUntil(w.started, 1_500_000_000, 1_000_000);
  runGuest(vm, w.warmupMs);
  const baseRepo = freshRepo();
  const start = new MachineCheckpointer(vm, baseRepo, codecs).capture({ label: 'bench start' }).meta.id;
  const plain = async (): Promise<number> => {
    restoreMachine(vm, baseRepo, start);
    const t0 = performance.now();
    const target = vm.now() + Math.round((WINDOW_MS / 1000) * TIMEBASE_HZ);
    // the same slicing and event-loop turns as the checkpointed runs
    while (vm.now() < target) {
      const left = Math.max(1, (target - vm.now()) * 10);
      const r = vm.run(Math.min(1_000_000, left), 'return');
      if (r.kind === 'idle' && r.deadline !== Infinity) vm.skipTo(Math.min(r.deadline, target));
      await turn();
    }
    return performance.now() - t0;
  };
  const plainRuns = [await plain()];
  const rows: OurRow[] = [];
  for (const mode of MODES) {
    for (const iv of INTERVALS) {
      restoreMachine(vm, baseRepo, start);
      const dir = join(tmp, `repo-${repoSeq}`);
      const repo = freshRepo();
      const [spec, threads] = mode.split('@');
      const [modeName, pressure] = spec.split('/');
      const pool = threads !== undefined ? new NodePageWorkerPool(Number(threads)) : null;
      const ck = new MachineCheckpointer(vm, repo, codecs, { ...checkpointModeOptions(modeName), pool });
      const full = ck.capture({ full: true });
      const before = diskBytes(dir);
      const sched = new CheckpointSchedule(ck, parseCheckpointInterval(iv, TIMEBASE_HZ), pressure === 'coalesce' ? 'coalesce' : 'wait');
      const target = vm.now() + Math.round((WINDOW_MS / 1000) * TIMEBASE_HZ);
      const caps: Capture[] = [];
      const t0 = performance.now();
      while (vm.now() < target) {
        const left = Math.max(1, (target - vm.now()) * 10);
        const { stop, capture } = sched.step(Math.min(4_000_000, left));
        if (capture) caps.push(capture);
        if (stop.kind === 'idle' && vm.now() > target) break;
        await turn(); // asynchronous fsyncs complete here, as in the CLI's run loop
      }
      const wallMs = performance.now() - t0;
      // the last capture may still be in flight: let it become durable without the guest
      while (ck.busy) { ck.pump(5); await turn(); }
      ck.close();
      await pool?.close();
      repo.close();
      const incr = caps.filter((c) => c.result).map((c) => c.result as CaptureResult);
      rows.push({ workload: w.name, mode, interval: iv, checkpoints: incr.length, failed: caps.length - incr.length, wallMs, plainMs: 0, full, incr, diskBytes: diskBytes(dir) - before, peakRssMiB: process.resourceUsage().maxRSS / 1024 });
      process.stderr.write(`  ${w.workload} ${mode} every ${iv}: ${incr.length} checkpoints, ${(wallMs / 1000).toFixed(2)} s\n`);
    }
  }
  plainRuns.push(await plain(), await plain());
  // the machine is shared with other jobs: the fastest plain run is the least disturbed one
  const plainMs = Math.min(...plainRuns);
  for (const r of rows) r.plainMs = plainMs;
  process.stderr.write(`  ${w.workload} without checkpoints: ${plainRuns.map((x) => (x / 1000).toFixed(2)).join(', ')} s\n`);
  const restores = restoreTimes(w, vm, baseRepo, start);
  if (THROUGHPUT && w.key === WORKLOADS[WORKLOADS.length - 1]) throughputs.push(...await throughput(w, vm, baseRepo, start));
  baseRepo.close();
  s.close();
  return { rows, restores };
}

/** Eager and lazy restore of the start checkpoint: time until the first instruction ran, and until every page is loaded. */
function restoreTimes(w: Workload, vm: VirtMachine, repo: Repository, id: number): RestoreRow[] {
  const out: RestoreRow[] = [];
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    restoreMachine(vm, repo, id);
    vm.run(1);
    let t1 = performance.now();
    out.push({ workload: w.name, kind: 'eager', firstMs: t1 - t0, fullMs: t1 - t0, faulted: vm.ram.pages, pages: vm.ram.pages });
    t0 = performance.now();
    const lazy = restoreMachineLazily(vm, repo, id);
    vm.run(1);
    t1 = performance.now();
    const faulted = lazy.faulted.length;
    // then the guest runs on with the prefetcher between 100 k-instruction slices
    while (!lazy.prefetch(512)) vm.run(100_000, 'return');
    out.push({ workload: w.name, kind: 'lazy', firstMs: t1 - t0, fullMs: lazy.loadedAt - t0, faulted, pages: vm.ram.pages });
  }
  return out;
}

interface ThroughputRow { workload: string; threads: string; pages: number; ms: number; thisThreadMs: number; bytesOut: number }
const throughputs: ThroughputRow[] = [];

/** A full copy-on-write capture (every page of RAM) drained blocking: the pipeline's throughput with no pool and 1, 2, N threads. */
async function throughput(w: Workload, vm: VirtMachine, repo: Repository, id: number): Promise<ThroughputRow[]> {
  const out: ThroughputRow[] = [];
  for (const threads of [null, 1, 2, N].filter((t, i, a) => a.indexOf(t) === i)) {
    restoreMachine(vm, repo, id);
    const r = freshRepo();
    const pool = threads === null ? null : new NodePageWorkerPool(threads);
    const ck = new MachineCheckpointer(vm, r, codecs, { mode: 'cow', pool });
    const c = ck.checkpoint({ full: true });
    ck.close(); // reads every page (this thread helps the workers while it waits) and commits
    await pool?.close();
    if (!c.result) throw new Error(`throughput capture failed: ${String(c.error)}`);
    const m = c.result.metrics;
    out.push({ workload: w.name, threads: threads === null ? 'none (guest thread)' : String(threads), pages: m.ramPages, ms: c.result.durableMs, thisThreadMs: m.msTotal, bytesOut: m.bytesOut });
    r.close();
    process.stderr.write(`  pipeline throughput, ${threads ?? 0} threads: ${(m.ramPages * 4096 / 1e6 / (c.result.durableMs / 1000)).toFixed(0)} MB/s\n`);
  }
  return out;
}

interface QemuRow { workload: string; mode: string; stats: QemuCheckpointStats[]; spacingMs: number[] }

async function qemu(w: Workload, mode: 'plain' | 'xbzrle+multifd-zstd'): Promise<QemuRow> {
  const q = await QemuCheckpointer.start({ workload: w.workload, args: w.args });
  try {
    await q.guest.waitFor(w.started, { timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, w.warmupMs));
    await q.configure(mode === 'plain' ? {} : { xbzrle: true, multifdZstd: 2 });
    const stats: QemuCheckpointStats[] = [];
    const starts: number[] = [];
    for (let i = 0; i < QEMU_CHECKPOINTS; i++) {
      starts.push(performance.now());
      stats.push(await q.checkpoint(`c${i}`));
    }
    return { workload: w.name, mode, stats, spacingMs: starts.slice(1).map((t, i) => t - starts[i]) };
  } finally {
    await q.stop();
  }
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}; guest: standard, 256 MiB; window ${WINDOW_MS} ms of guest time per run; intervals ${INTERVALS.join(', ')}; codec zstd-1 + XBZRLE; ${new Date().toISOString()}`);
  const rows: OurRow[] = [];
  const restores: RestoreRow[] = [];
  const qrows: QemuRow[] = [];
  let qemuNote = '';
  if (QEMU) {
    try { qemuNote = requireQemu(); } catch (e) { qemuNote = `QEMU skipped: ${(e as Error).message}`; }
  }
  const workloads = ALL.filter((w) => WORKLOADS.includes(w.key));
  const rtRows: RealtimeRow[] = [];
  for (const w of workloads) {
    if (CLOCK !== 'virtual') {
      process.stderr.write(`${w.name}: Retrovisor, realtime clock\n`);
      rtRows.push(...await realtimeWorkload(w, RT_MODES, INTERVALS, RT_WINDOW_MS, RT_SETTLE_MS, freshRepo, codecs, (t) => process.stderr.write(t + '\n')));
    }
    if (CLOCK !== 'realtime') {
      process.stderr.write(`${w.name}: Retrovisor, virtual clock\n`);
      const r = await ours(w);
      rows.push(...r.rows);
      restores.push(...r.restores);
    }
    if (QEMU && w.memoryMiB === 256 && !qemuNote.startsWith('QEMU skipped')) {
      for (const mode of ['xbzrle+multifd-zstd', 'plain'] as const) {
        process.stderr.write(`${w.name}: QEMU ${mode}\n`);
        try { qrows.push(await qemu(w, mode)); } catch (e) { process.stderr.write(`  QEMU ${mode} failed: ${(e as Error).message}\n`); }
      }
    }
  }

  if (rtRows.length > 0) printRealtime(rtRows, RT_WINDOW_MS);
  if (rows.length > 0) console.log('\n### Retrovisor on the virtual clock (incremental checkpoints after one full one)\n');
  console.log('Numbers from a shared 2-core machine are noisy. The guest time of these runs is virtual: idle stretches are skipped, so memtouch (mostly sleeping between 10 ms bursts) runs its window many times faster than real time, checkpoints come that much faster, and the baseline is tiny. stop = the checkpoint\'s own stop (stop-and-copy: the whole capture incl. fsyncs; copy-on-write: CPU/device state + taking over the dirty set); pause = stop plus any wait for the previous capture (back-pressure \'wait\'; /coalesce postpones instead); durable = stop until data and index are fsynced; slowdown = wall time vs the same window without checkpoints. Modes with @N run the page work on N worker threads (the committing thread, which is the guest thread, still does dedup lookups, chunk ids and pack writes: its ms per checkpoint is a column); pipeline MB/s (in) is per ms of that thread.\n');
  console.log('| workload | mode | interval | checkpoints (failed) | stop median / p95 / max ms | pause incl. back-pressure median / p95 / max ms | durable median / max ms | CoW faults median / max | eager copies median | peak held KiB | dirty pages median | payload per checkpoint median | on disk per guest s | pipeline MB/s (in) | CoW copied KiB median | committing-thread ms per checkpoint median | wall time vs no checkpoints | peak RSS MiB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const inc = r.incr;
    const m = (k: 'bytesIn' | 'msTotal') => sum(inc.map((c) => c.metrics[k]));
    const stops = inc.map((c) => (r.mode === 'stop' ? c.pauseMs : c.metrics.downtimeMs));
    const pauses = inc.map((c) => c.pauseMs);
    const faults = inc.map((c) => c.metrics.cowFaults ?? 0);
    const three = (xs: number[]) => `${median(xs).toFixed(2)} / ${p95(xs).toFixed(2)} / ${Math.max(...xs).toFixed(2)}`;
    console.log(`| ${r.workload} | ${r.mode} | ${r.interval} | ${r.checkpoints} (${r.failed}) | ${three(stops)} | ${three(pauses)} `
      + `| ${median(inc.map((c) => c.durableMs)).toFixed(1)} / ${Math.max(...inc.map((c) => c.durableMs)).toFixed(1)} | ${median(faults)} / ${Math.max(...faults)} | ${median(inc.map((c) => c.metrics.eagerPages ?? 0))} | ${kb(Math.max(...inc.map((c) => c.metrics.peakHeldBytes ?? 0)))} `
      + `| ${median(inc.map((c) => c.metrics.ramPages))} | ${kb(median(inc.map((c) => c.meta.bytesWritten)))} KiB | ${mb(r.diskBytes / (WINDOW_MS / 1000))} MiB `
      + `| ${(m('bytesIn') / 1e6 / (m('msTotal') / 1000)).toFixed(0)} | ${kb(median(inc.map((c) => c.metrics.cowCopiedBytes ?? 0)))} | ${median(inc.map((c) => c.metrics.msTotal)).toFixed(1)} | +${(100 * (r.wallMs / r.plainMs - 1)).toFixed(0)}% (${(r.wallMs / 1000).toFixed(2)} s vs ${(r.plainMs / 1000).toFixed(2)} s) | ${r.peakRssMiB.toFixed(0)} |`);
  }
  console.log('\nFull (first) checkpoint of each run (always stop-and-copy):\n');
  console.log('| workload | mode | interval | pages | zero | stored | pause ms |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.workload} | ${r.mode} | ${r.interval} | ${r.full.metrics.ramPages} | ${r.full.metrics.pagesZero} | ${mb(r.full.meta.bytesWritten)} MiB | ${r.full.pauseMs.toFixed(0)} |`);
  console.log('\n### Restore of the start checkpoint (full; three rounds each; lazy: the guest runs on in 100 k-instruction slices with 512 pages prefetched between them)\n');
  console.log('| workload | restore | time to first instruction ms | time to fully loaded ms | pages loaded before the first instruction / all |');
  console.log('|---|---|---|---|---|');
  for (const r of restores) console.log(`| ${r.workload} | ${r.kind} | ${r.firstMs.toFixed(1)} | ${r.fullMs.toFixed(1)} | ${r.faulted} / ${r.pages} |`);
  if (throughputs.length > 0) {
    console.log('\n### Page pipeline throughput (a full copy-on-write capture of every RAM page, drained blocking; N = cores - 1 = ' + N + ')\n');
    console.log('| workload | worker threads | pages | stop → durable ms | MB/s in | committing-thread ms | stored MiB |');
    console.log('|---|---|---|---|---|---|---|');
    for (const t of throughputs) console.log(`| ${t.workload} | ${t.threads} | ${t.pages} | ${t.ms.toFixed(0)} | ${(t.pages * 4096 / 1e6 / (t.ms / 1000)).toFixed(0)} | ${t.thisThreadMs.toFixed(0)} | ${mb(t.bytesOut)} |`);
  }
  console.log('\nFor context (published, not measured here): Firecracker diff snapshot ~70 ms and resume < 8 ms at 256 MB.');

  if (QEMU) {
    console.log(`\n### QEMU (${qemuNote}); ${QEMU_CHECKPOINTS} back-to-back migration checkpoints per mode (each migration sends all of RAM)\n`);
    if (qrows.length > 0) {
      console.log('| workload | mode | checkpoints | bytes per checkpoint median | downtime median ms | total per checkpoint median ms | achieved interval ms | zero pages median |');
      console.log('|---|---|---|---|---|---|---|---|');
      for (const q of qrows) {
        console.log(`| ${q.workload} | ${q.mode} | ${q.stats.length} | ${mb(median(q.stats.map((s) => s.fileBytes)))} MiB | ${median(q.stats.map((s) => s.downtimeMs)).toFixed(0)} | ${median(q.stats.map((s) => s.totalMs)).toFixed(0)} | ${q.spacingMs.length ? median(q.spacingMs).toFixed(0) : '-'} | ${median(q.stats.map((s) => s.zeroPages))} |`);
      }
      console.log('\n### Ratios (QEMU ÷ Retrovisor, Retrovisor counted on disk; > 1: Retrovisor stores less / pauses less)\n');
      console.log('| workload | Retrovisor mode | Retrovisor interval | QEMU mode | bytes per checkpoint | bytes per second of checkpointing | pause (QEMU downtime ÷ our median pause incl. back-pressure) |');
      console.log('|---|---|---|---|---|---|---|');
      for (const r of rows) {
        for (const q of qrows.filter((x) => x.workload === r.workload)) {
          const ourBytes = r.diskBytes / r.incr.length;
          const qBytes = median(q.stats.map((s) => s.fileBytes));
          const ivMs = parseCheckpointInterval(r.interval, TIMEBASE_HZ).every / TIMEBASE_HZ * 1000;
          const qRate = qBytes / ((q.spacingMs.length ? median(q.spacingMs) : median(q.stats.map((s) => s.totalMs))) / 1000);
          const ourRate = r.diskBytes / (WINDOW_MS / 1000);
          console.log(`| ${r.workload} | ${r.mode} | ${r.interval} (${ivMs} ms) | ${q.mode} | ${(qBytes / ourBytes).toFixed(1)}× | ${(qRate / ourRate).toFixed(1)}× | ${(median(q.stats.map((s) => s.downtimeMs)) / median(r.incr.map((c) => c.pauseMs))).toFixed(1)}× |`);
        }
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((e: unknown) => { console.error(e); rmSync(tmp, { recursive: true, force: true }); process.exitCode = 1; });
