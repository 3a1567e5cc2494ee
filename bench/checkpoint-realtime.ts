/**
 * The realtime-paced half of bench:checkpoint. The guest runs on the
 * realtime clock (guest time = host time, idle waits really wait), as QEMU's
 * guest does, so memtouch dirties 100 MiB per second of host time and a
 * checkpoint comes every 100 ms of host time: the issue's scenario. On the
 * virtual clock memtouch's sleeps are skipped and the same guest dirties
 * 350-700 MB per host second with checkpoints every ~20 ms of host time.
 *
 * Slowdown here is what the guest loses, measured over the same host-time
 * window with and without checkpoints:
 * - progress: instructions retired per host second (a rate-limited guest
 *   that keeps up retires the same; a CPU-bound one, compute, retires fewer);
 * - guest-thread cost per instruction: host time the guest thread spent
 *   running the guest (incl. CoW faults) plus checkpoint stops, per
 *   instruction, vs running the guest alone.
 * The page pipeline's time on the guest thread (when there are no workers)
 * is listed apart: it runs in the guest's idle time (the loop below pumps
 * the capture while the guest waits for its timer) and between slices.
 */
import { TIMEBASE_HZ } from '../src/machine/clock.js';
import type { VirtMachine } from '../src/machine/board/virt-machine.js';
import { HostInputSource } from '../src/node/host-input.js';
import { standardMachine } from '../test/support/standard-machine.js';
import { CheckpointSchedule } from '../src/checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer, type Capture, type CaptureResult } from '../src/checkpoint/machine-checkpointer.js';
import { checkpointModeOptions } from '../src/cli/checkpoint-session.js';
import { parseCheckpointInterval } from '../src/cli/checkpoint-interval.js';
import type { CodecRegistry } from '../src/encoding/page-codec.js';
import type { Repository } from '../src/store/repository.js';
import { NodePageWorkerPool } from '../src/node/page-worker-pool.js';

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[s.length >> 1] : NaN; };
export const p95 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] : NaN; };
const sleep = (ms: number) => new Promise<void>((r) => { if (ms >= 1) setTimeout(r, ms); else setImmediate(r); });

/** Guest slice on the realtime clock (~5-10 ms of host time): polls come often enough for 25 ms intervals. */
const SLICE = 500_000;

export interface RealtimeWorkload { key: string; name: string; workload: string; args: string[]; started: string; warmupMs: number; memoryMiB: number }

/** Host time of the guest thread over one window, by what it did. */
interface Window {
  hostMs: number; runMs: number; stopMs: number; pipelineMs: number; idleMs: number; instructions: number;
  /** Idle waits that overran the guest's timer deadline, summed (ms): pipeline work in idle time shows here if it delays wake-ups. */
  lateMs: number;
}

export interface RealtimeRow {
  workload: string; mode: string; interval: string; captures: Capture[]; results: CaptureResult[]; window: Window; base: Window; peakRssMiB: number;
  /** The guest was in its steady state when the window began (memtouch: it had caught up after the full checkpoint). */
  steady: boolean;
  /** Due checkpoints (grid points) folded into a later one (back-pressure 'coalesce'). */
  merged: number;
}

/**
 * Runs the guest for `ms` of host time; with a schedule, checkpoints on it.
 * While the guest idles, a capture in flight is pumped (the pipeline uses
 * the guest's idle time), else the thread sleeps until the guest's deadline
 * or the next checkpoint.
 */
async function runWindow(vm: VirtMachine, ms: number, sched: CheckpointSchedule | null, caps: Capture[]): Promise<Window> {
  const w: Window = { hostMs: 0, runMs: 0, stopMs: 0, pipelineMs: 0, idleMs: 0, instructions: 0, lateMs: 0 };
  const ck = sched?.checkpointer ?? null;
  const t0 = performance.now(), end = t0 + ms, i0 = vm.instret;
  while (performance.now() < end) {
    const a = performance.now();
    const stop = vm.run(sched ? sched.limit(SLICE) : SLICE, 'return');
    const b = performance.now();
    w.runMs += b - a;
    if (sched) {
      const c = sched.poll();
      const d = performance.now();
      if (c) { caps.push(c); w.stopMs += c.pauseMs; w.pipelineMs += d - b - c.pauseMs; } else w.pipelineMs += d - b;
    }
    if (stop.kind === 'idle') {
      if (stop.deadline === Infinity) throw new Error('guest idle forever');
      const msToDeadline = ((stop.deadline - vm.now()) / TIMEBASE_HZ) * 1000;
      // a due checkpoint postponed by 'coalesce' is taken at the first poll after the capture in flight is committed:
      // pump it and let its fsyncs complete (event loop) in short waits, then poll again
      const postponed = sched !== null && sched.dueIn <= 0 && ck !== null && ck.busy;
      const msToCheckpoint = sched ? (postponed ? 1 : (sched.dueIn / TIMEBASE_HZ) * 1000) : Infinity;
      const wake = performance.now() + Math.max(0, Math.min(msToDeadline, msToCheckpoint, end - performance.now()));
      for (;;) {
        const left = wake - performance.now();
        if (left <= 0.05) break;
        if (ck?.busy) {
          const p = performance.now();
          ck.pump(Math.min(left, 2));
          w.pipelineMs += performance.now() - p;
          // workers hold the remaining pages: let them work, and fsync completions arrive
          if (ck.busy) { const s = performance.now(); await sleep(Math.min(left, 0.5)); w.idleMs += performance.now() - s; }
        } else {
          const s = performance.now();
          await sleep(left);
          w.idleMs += performance.now() - s;
        }
      }
      if (msToDeadline <= msToCheckpoint) w.lateMs += Math.max(0, performance.now() - wake);
    } else if (stop.kind !== 'limit') {
      throw new Error(`guest stopped: ${stop.kind}`);
    } else {
      const s = performance.now();
      await sleep(0); // asynchronous fsyncs complete here, as in the CLI's run loop
      w.idleMs += performance.now() - s;
    }
  }
  w.hostMs = performance.now() - t0;
  w.instructions = vm.instret - i0;
  return w;
}

/**
 * Runs 500 ms windows until a rate-limited guest is in its steady state:
 * without a baseline, until the guest thread runs it less than half the time
 * (memtouch owes its pages by host time and runs flat out until it has caught
 * up); with one (instructions per host ms without checkpoints), until a
 * window retires within 30% of it (neither starved nor catching up). False
 * if that did not happen within `maxMs`.
 */
async function settle(vm: VirtMachine, wl: RealtimeWorkload, sched: CheckpointSchedule | null, baseRate: number | null, maxMs: number): Promise<boolean> {
  if (wl.workload !== 'memtouch') return true;
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const w = await runWindow(vm, 500, sched, []);
    const rate = w.instructions / w.hostMs;
    if (baseRate === null ? w.runMs / w.hostMs < 0.5 : Math.abs(rate / baseRate - 1) < 0.3) return true;
  }
  return false;
}

/** Boots the standard guest on the realtime clock and starts the workload (console watched for its marker). */
async function boot(wl: RealtimeWorkload): Promise<{ vm: VirtMachine; cleanup: () => void }> {
  let out = '';
  const { machine: vm, cleanup } = standardMachine({
    input: new HostInputSource(), clock: 'realtime', memoryBytes: wl.memoryMiB << 20,
    workload: wl.workload, args: wl.args,
    console: (b) => { if (out.length < 65536) out += String.fromCharCode(b); },
  });
  const t0 = performance.now();
  while (!out.includes(wl.started)) {
    if (performance.now() - t0 > 300_000) throw new Error(`realtime guest did not print ${wl.started}\n${out.slice(-2000)}`);
    await runWindow(vm, 50, null, []);
  }
  // memtouch owes its pages by host time: the first pass over its buffer (page faults) leaves it behind, and it
  // runs flat out until it has caught up (~15 s for 256 MiB on a loaded host); measure only the steady state
  if (!await settle(vm, wl, null, null, 120_000)) throw new Error(`realtime ${wl.workload} did not catch up with its rate`);
  await runWindow(vm, wl.warmupMs, null, []);
  return { vm, cleanup };
}

/** Every mode × interval for one workload, each with a fresh repository and a full checkpoint first, against windows without checkpoints. */
export async function realtimeWorkload(wl: RealtimeWorkload, modes: string[], intervals: string[], windowMs: number, settleMs: number,
  freshRepo: () => Repository, codecs: CodecRegistry, log: (s: string) => void): Promise<RealtimeRow[]> {
  const { vm, cleanup } = await boot(wl);
  const bases: Window[] = [await runWindow(vm, windowMs, null, [])];
  const rows: RealtimeRow[] = [];
  try {
    for (const mode of modes) {
      for (const iv of intervals) {
        const repo = freshRepo();
        const [spec, threads] = mode.split('@');
        const [modeName, pressure] = spec.split('/');
        const pool = threads !== undefined ? new NodePageWorkerPool(Number(threads)) : null;
        const ck = new MachineCheckpointer(vm, repo, codecs, { ...checkpointModeOptions(modeName), pool });
        ck.capture({ full: true });
        // the guest catches up after the full checkpoint's long stop (memtouch owes its pages), checkpointed
        // meanwhile with coalescing so that it can: not measured
        const catchUp = new CheckpointSchedule(ck, parseCheckpointInterval(iv, TIMEBASE_HZ), 'coalesce');
        await runWindow(vm, settleMs, catchUp, []);
        const steady = await settle(vm, wl, catchUp, bases[0].instructions / bases[0].hostMs, 20_000);
        const caps: Capture[] = [];
        // the measured schedule starts with the window (its grid begins now; a capture of the catch-up may be in flight)
        const sched = new CheckpointSchedule(ck, parseCheckpointInterval(iv, TIMEBASE_HZ), pressure === 'coalesce' ? 'coalesce' : 'wait');
        const window = await runWindow(vm, windowMs, sched, caps);
        while (ck.busy) { ck.pump(5); await sleep(0); }
        ck.close();
        await pool?.close();
        repo.close();
        const results = caps.filter((c) => c.result).map((c) => c.result as CaptureResult);
        rows.push({ workload: wl.name, mode, interval: iv, captures: caps, results, window, base: bases[0], peakRssMiB: process.resourceUsage().maxRSS / 1024, steady, merged: sched.merged });
        log(`  realtime ${wl.workload} ${mode} every ${iv}: ${results.length} checkpoints, ${(window.instructions / window.hostMs / 1000).toFixed(1)} M instr/s`);
      }
      bases.push(await runWindow(vm, windowMs, null, []));
    }
  } finally {
    cleanup();
  }
  // the machine is shared with other jobs: the baseline is the least disturbed window without checkpoints (lowest host time per instruction)
  const best = bases.reduce((a, b) => (b.runMs / b.instructions < a.runMs / a.instructions ? b : a));
  for (const r of rows) r.base = best;
  log(`  realtime ${wl.workload} without checkpoints: ${bases.map((b) => `${(b.instructions / b.hostMs / 1000).toFixed(1)} M instr/s, guest thread busy ${(100 * b.runMs / b.hostMs).toFixed(0)}%`).join('; ')}`);
  return rows;
}

export function printRealtime(rows: RealtimeRow[], windowMs: number): void {
  console.log(`\n### Retrovisor on the realtime clock (guest time = host time, as QEMU; ${windowMs} ms host-time windows)\n`);
  console.log('Checkpoints every interval of host time; the guest runs exactly as it would live. progress = instructions retired per host second vs the same guest without checkpoints (a rate-limited guest that keeps up stays at ~100%); guest cost = host ms the guest thread spent executing the guest (incl. CoW faults) plus checkpoint stops, per instruction, vs without checkpoints (the guest\'s slowdown); pipeline = page work done on the guest thread (none of it with workers except consuming results and pack writes), taken from the guest\'s idle time where there is some; late = idle wake-ups overrun (ms per host s). coalesced = due checkpoints folded into a later one (back-pressure \'coalesce\'; \'wait\' gives each its own). Thread columns: ms per host second.\n');
  console.log('| workload | mode | interval | checkpoints (failed) | coalesced | stop median / p95 / max ms | pause incl. back-pressure median / max ms | CoW faults median / max | durable median ms | dirty pages median | guest thread run / stop / pipeline / idle ms per s | late ms per s | steady at start | progress vs none | guest slowdown (run + stop per instruction) | peak RSS MiB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const inc = r.results, w = r.window, b = r.base;
    const stops = inc.map((c) => (r.mode.startsWith('stop') ? c.pauseMs : c.metrics.downtimeMs));
    const pauses = inc.map((c) => c.pauseMs);
    const faults = inc.map((c) => c.metrics.cowFaults ?? 0);
    const perS = (x: number) => (1000 * x / w.hostMs).toFixed(0);
    const progress = (w.instructions / w.hostMs) / (b.instructions / b.hostMs);
    const cost = ((w.runMs + w.stopMs) / w.instructions) / (b.runMs / b.instructions);
    const three = (xs: number[]) => `${median(xs).toFixed(2)} / ${p95(xs).toFixed(2)} / ${Math.max(...xs).toFixed(2)}`;
    console.log(`| ${r.workload} | ${r.mode} | ${r.interval} | ${inc.length} (${r.captures.length - inc.length}) | ${r.merged} | ${three(stops)} | ${median(pauses).toFixed(2)} / ${Math.max(...pauses).toFixed(2)} `
      + `| ${median(faults)} / ${Math.max(...faults)} | ${median(inc.map((c) => c.durableMs)).toFixed(1)} | ${median(inc.map((c) => c.metrics.ramPages))} `
      + `| ${perS(w.runMs)} / ${perS(w.stopMs)} / ${perS(w.pipelineMs)} / ${perS(w.idleMs)} | ${perS(w.lateMs)} | ${r.steady ? 'yes' : 'no (never caught up within 20 s)'} | ${(100 * progress).toFixed(1)}% | ${cost >= 1 ? '+' : ''}${(100 * (cost - 1)).toFixed(1)}% | ${r.peakRssMiB.toFixed(0)} |`);
  }
  const bases = [...new Set(rows.map((r) => r.base))];
  console.log('\nWithout checkpoints (baseline windows, least disturbed):\n');
  console.log('| workload | M instructions per host s | guest thread run / idle ms per s |');
  console.log('|---|---|---|');
  for (const b of bases) {
    const r = rows.find((x) => x.base === b) as RealtimeRow;
    console.log(`| ${r.workload} | ${(b.instructions / b.hostMs / 1000).toFixed(1)} | ${(1000 * b.runMs / b.hostMs).toFixed(0)} / ${(1000 * b.idleMs / b.hostMs).toFixed(0)} |`);
  }
}
