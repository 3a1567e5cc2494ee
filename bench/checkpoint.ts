/**
 * Checkpoint benchmark: the standard 256 MiB guest running memtouch (64 MiB
 * buffer dirtied at 100 MiB/s) and compute, checkpointed every 25 ms, 100 ms
 * and 1 s of guest time over the same window of guest time (the machine is
 * restored to the same start point before each run, so every run executes
 * exactly the same instructions), against the same window without
 * checkpoints; then QEMU checkpointing the same guest and workload by
 * migration (xbzrle + multifd zstd, and plain) through QemuCheckpointer.
 *
 *   npm run bench:checkpoint [-- --window 2000 --intervals 25ms,100ms,1s --workloads memtouch,compute
 *                                 --qemu-checkpoints 4 --no-qemu --quick]
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
import { MachineCheckpointer, type CaptureResult } from '../src/checkpoint/machine-checkpointer.js';
import { parseCheckpointInterval } from '../src/cli/checkpoint-interval.js';
import { restoreMachine } from '../src/checkpoint/restore-machine.js';
import { Repository } from '../src/store/repository.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const quick = argv.includes('--quick');
const WINDOW_MS = Number(arg('window', quick ? '1000' : '2000'));
const INTERVALS = arg('intervals', quick ? '100ms,1s' : '25ms,100ms,1s').split(',');
const WORKLOADS = arg('workloads', 'memtouch,compute').split(',');
const QEMU_CHECKPOINTS = Number(arg('qemu-checkpoints', quick ? '2' : '4'));
const QEMU = !argv.includes('--no-qemu');

interface Workload { name: string; workload: string; args: string[]; started: string; warmupMs: number }
const ALL: Workload[] = [
  { name: 'memtouch 64 MiB @ 100 MiB/s', workload: 'memtouch', args: ['64', '100', '0'], started: 'memtouch: 64 MiB', warmupMs: 1000 },
  { name: 'compute', workload: 'compute', args: ['100000', '64'], started: 'RV-WORKLOAD-START compute', warmupMs: 100 },
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

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[s.length >> 1] : NaN; };
const p95 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] : NaN; };
const kb = (n: number) => (n / 1024).toFixed(1);
const mb = (n: number) => (n / 1024 / 1024).toFixed(2);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

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
  workload: string; interval: string; checkpoints: number; wallMs: number; plainMs: number;
  full: CaptureResult; incr: CaptureResult[];
  /** Repository growth over the window (chunk records with headers, checkpoint files, index entries). */
  diskBytes: number;
}

function ours(w: Workload): OurRow[] {
  const s = new GuestSession({ workload: w.workload, args: w.args, input: new SeededInputSource(5) });
  const vm = s.machine;
  s.runUntil(w.started, 800_000_000, 1_000_000);
  runGuest(vm, w.warmupMs);
  const baseRepo = freshRepo();
  const start = new MachineCheckpointer(vm, baseRepo, codecs).capture({ label: 'bench start' }).meta.id;
  const plain = (): number => {
    restoreMachine(vm, baseRepo, start);
    const t0 = performance.now();
    runGuest(vm, WINDOW_MS);
    return performance.now() - t0;
  };
  const plainRuns = [plain()];
  const rows: OurRow[] = [];
  for (const iv of INTERVALS) {
    restoreMachine(vm, baseRepo, start);
    const dir = join(tmp, `repo-${repoSeq}`);
    const repo = freshRepo();
    const ck = new MachineCheckpointer(vm, repo, codecs);
    const full = ck.capture({ full: true });
    const before = diskBytes(dir);
    const sched = new CheckpointSchedule(ck, parseCheckpointInterval(iv, TIMEBASE_HZ));
    const target = vm.now() + Math.round((WINDOW_MS / 1000) * TIMEBASE_HZ);
    const incr: CaptureResult[] = [];
    const t0 = performance.now();
    while (vm.now() < target) {
      const left = Math.max(1, (target - vm.now()) * 10);
      const { stop, capture } = sched.step(Math.min(4_000_000, left));
      if (capture) incr.push(capture);
      if (stop.kind === 'idle' && vm.now() > target) break;
    }
    const wallMs = performance.now() - t0;
    repo.close();
    rows.push({ workload: w.name, interval: iv, checkpoints: incr.length, wallMs, plainMs: 0, full, incr, diskBytes: diskBytes(dir) - before });
    process.stderr.write(`  ${w.workload} every ${iv}: ${incr.length} checkpoints, ${(wallMs / 1000).toFixed(2)} s\n`);
  }
  plainRuns.push(plain(), plain());
  // the machine is shared with other jobs: the fastest plain run is the least disturbed one
  const plainMs = Math.min(...plainRuns);
  for (const r of rows) r.plainMs = plainMs;
  process.stderr.write(`  ${w.workload} without checkpoints: ${plainRuns.map((x) => (x / 1000).toFixed(2)).join(', ')} s\n`);
  baseRepo.close();
  s.close();
  return rows;
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
  const qrows: QemuRow[] = [];
  let qemuNote = '';
  if (QEMU) {
    try { qemuNote = requireQemu(); } catch (e) { qemuNote = `QEMU skipped: ${(e as Error).message}`; }
  }
  const workloads = ALL.filter((w) => WORKLOADS.includes(w.workload));
  for (const w of workloads) {
    process.stderr.write(`${w.name}: Retrovisor\n`);
    rows.push(...ours(w));
    if (QEMU && !qemuNote.startsWith('QEMU skipped')) {
      for (const mode of ['xbzrle+multifd-zstd', 'plain'] as const) {
        process.stderr.write(`${w.name}: QEMU ${mode}\n`);
        try { qrows.push(await qemu(w, mode)); } catch (e) { process.stderr.write(`  QEMU ${mode} failed: ${(e as Error).message}\n`); }
      }
    }
  }

  console.log('\n### Retrovisor (incremental checkpoints after one full one; pause = whole stop incl. fsync; downtime = stop until commit)\n');
  console.log('| workload | interval | checkpoints | pause median / p95 / max ms | downtime median ms | host ms paused per guest s | dirty pages median | payload per checkpoint median | on disk per checkpoint (mean) | on disk per guest s | pipeline MB/s (in) | zero / dedup / delta / compressed / raw pages | bytes in → payload | wall time vs no checkpoints |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const inc = r.incr;
    const m = (k: 'pagesZero' | 'pagesDeduplicated' | 'pagesDelta' | 'pagesCompressed' | 'pagesRaw' | 'bytesIn' | 'bytesOut' | 'msTotal') => sum(inc.map((c) => c.metrics[k]));
    const stored = inc.map((c) => c.meta.bytesWritten);
    console.log(`| ${r.workload} | ${r.interval} | ${r.checkpoints} | ${median(inc.map((c) => c.pauseMs)).toFixed(1)} / ${p95(inc.map((c) => c.pauseMs)).toFixed(1)} / ${Math.max(...inc.map((c) => c.pauseMs)).toFixed(1)} `
      + `| ${median(inc.map((c) => c.metrics.downtimeMs)).toFixed(1)} | ${(sum(inc.map((c) => c.pauseMs)) / (WINDOW_MS / 1000)).toFixed(0)} | ${median(inc.map((c) => c.metrics.ramPages))} | ${kb(median(stored))} KiB | ${kb(r.diskBytes / inc.length)} KiB | ${mb(r.diskBytes / (WINDOW_MS / 1000))} MiB `
      + `| ${(m('bytesIn') / 1e6 / (m('msTotal') / 1000)).toFixed(0)} | ${m('pagesZero')} / ${m('pagesDeduplicated')} / ${m('pagesDelta')} / ${m('pagesCompressed')} / ${m('pagesRaw')} `
      + `| ${mb(m('bytesIn'))} → ${mb(m('bytesOut'))} MiB | +${(100 * (r.wallMs / r.plainMs - 1)).toFixed(0)}% (${(r.wallMs / 1000).toFixed(2)} s vs ${(r.plainMs / 1000).toFixed(2)} s) |`);
  }
  console.log('\nFull (first) checkpoint of each run:\n');
  console.log('| workload | interval | pages | zero | stored | pause ms |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.workload} | ${r.interval} | ${r.full.metrics.ramPages} | ${r.full.metrics.pagesZero} | ${mb(r.full.meta.bytesWritten)} MiB | ${r.full.pauseMs.toFixed(0)} |`);

  if (QEMU) {
    console.log(`\n### QEMU (${qemuNote}); ${QEMU_CHECKPOINTS} back-to-back migration checkpoints per mode (each migration sends all of RAM)\n`);
    if (qrows.length > 0) {
      console.log('| workload | mode | checkpoints | bytes per checkpoint median | downtime median ms | total per checkpoint median ms | achieved interval ms | zero pages median |');
      console.log('|---|---|---|---|---|---|---|---|');
      for (const q of qrows) {
        console.log(`| ${q.workload} | ${q.mode} | ${q.stats.length} | ${mb(median(q.stats.map((s) => s.fileBytes)))} MiB | ${median(q.stats.map((s) => s.downtimeMs)).toFixed(0)} | ${median(q.stats.map((s) => s.totalMs)).toFixed(0)} | ${q.spacingMs.length ? median(q.spacingMs).toFixed(0) : '-'} | ${median(q.stats.map((s) => s.zeroPages))} |`);
      }
      console.log('\n### Ratios (QEMU ÷ Retrovisor, Retrovisor counted on disk; > 1: Retrovisor stores less / pauses less)\n');
      console.log('| workload | Retrovisor interval | QEMU mode | bytes per checkpoint | bytes per second of checkpointing | pause (QEMU downtime ÷ our median pause) |');
      console.log('|---|---|---|---|---|---|');
      for (const r of rows) {
        for (const q of qrows.filter((x) => x.workload === r.workload)) {
          const ourBytes = r.diskBytes / r.incr.length;
          const qBytes = median(q.stats.map((s) => s.fileBytes));
          const ivMs = parseCheckpointInterval(r.interval, TIMEBASE_HZ).every / TIMEBASE_HZ * 1000;
          const qRate = qBytes / ((q.spacingMs.length ? median(q.spacingMs) : median(q.stats.map((s) => s.totalMs))) / 1000);
          const ourRate = r.diskBytes / (WINDOW_MS / 1000);
          console.log(`| ${r.workload} | ${r.interval} (${ivMs} ms) | ${q.mode} | ${(qBytes / ourBytes).toFixed(1)}× | ${(qRate / ourRate).toFixed(1)}× | ${(median(q.stats.map((s) => s.downtimeMs)) / median(r.incr.map((c) => c.pauseMs))).toFixed(1)}× |`);
        }
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((e: unknown) => { console.error(e); rmSync(tmp, { recursive: true, force: true }); process.exitCode = 1; });
