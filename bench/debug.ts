/**
 * Time-travel debugging benchmark: records the standard guest running the
 * compute workload for N instructions (default 1 G), then measures on that
 * recording, through the same Timeline `retrovisor debug` serves to GDB:
 * - plain replay speed (the reference),
 * - the first pass to the end (it leaves a checkpoint every `--checkpoint-every`),
 * - reverse-stepi latency at random points: the first one after jumping
 *   there (`monitor goto`) and the next nine, median and p95,
 * - reverse-continue speed (instructions scanned per second with a
 *   breakpoint that is never hit) relative to plain replay.
 *   npm run bench:debug [-- --instructions 1G --checkpoint-every 10M --points 20]
 */
import { SeededInputSource } from '../src/machine/input.js';
import { ScriptedGuest } from '../test/support/scripted-guest.js';
import { ZstdCodec } from '../src/node/codecs/zstd-codec.js';
import { codecList } from '../src/replay/frame-compressor.js';
import { LogReader } from '../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../src/replay/log-writer.js';
import type { LogMeta } from '../src/replay/log-format.js';
import { Recorder } from '../src/replay/recorder.js';
import { Replayer } from '../src/replay/replayer.js';
import { Timeline } from '../src/debug/timeline.js';
import { mulberry32 } from '../test/support/prng.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
}
function count(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])?$/i.exec(text);
  if (!m) throw new Error(`bad count ${text}`);
  return Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1));
}

const N = count(arg('--instructions', '1G'));
const EVERY = count(arg('--checkpoint-every', '10M'));
const POINTS = Number(arg('--points', '20'));
const WORKLOAD = { workload: 'compute', args: ['1000000'] };
const codecs = codecList(new ZstdCodec());

function record(): Uint8Array {
  const sink = new MemorySink();
  const meta: LogMeta = { format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'virtual', hashInterval: 4_000_000, ramHashInterval: 512_000_000, machine: WORKLOAD };
  const writer = new LogWriter(sink, new ZstdCodec(3), meta);
  const rec = new Recorder(writer);
  const g = new ScriptedGuest({ input: rec.source(new SeededInputSource(7)), ...WORKLOAD });
  try {
    rec.attach(g.machine);
    while (g.machine.instret < N) {
      const r = g.machine.run(Math.min(50_000_000, N - g.machine.instret));
      if (r.kind !== 'limit' && r.kind !== 'idle') break;
    }
    rec.finish('limit');
    return sink.bytes();
  } finally {
    g.close();
  }
}

function open(log: Uint8Array): { g: ScriptedGuest; reader: LogReader; replayer: Replayer } {
  const reader = new LogReader(log, 'bench.rvr', codecs);
  const replayer = new Replayer(reader);
  const g = new ScriptedGuest({ input: replayer.source, ...WORKLOAD });
  replayer.attach(g.machine);
  return { g, reader, replayer };
}

/** Replays the whole log with no debugger: the reference speed (MIPS). */
function plainReplay(log: Uint8Array): number {
  const { g, replayer } = open(log);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = replayer.run();
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSince(c0);
  g.close();
  if (r.stop !== 'end') throw new Error(`replay ended with ${r.stop}`);
  console.log(`plain replay: ${secs.toFixed(1)} s wall, ${(r.instret / secs / 1e6).toFixed(1)} MIPS; ${cpu.toFixed(1)} s cpu, ${(r.instret / cpu / 1e6).toFixed(1)} MIPS per cpu second`);
  return r.instret / cpu / 1e6;
}

/** CPU seconds (user + system) of this process since c0: steadier than wall time on a shared machine. */
function cpuSince(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  console.log(`Node ${process.version}; standard guest, compute workload, ${(N / 1e6).toFixed(0)} M instructions; checkpoint every ${(EVERY / 1e6).toFixed(1)} M instructions; ${POINTS} random points`);
  let t0 = performance.now();
  const log = record();
  console.log(`record: ${((performance.now() - t0) / 1000).toFixed(1)} s, log ${log.length.toLocaleString('en-US')} bytes`);

  const plainMips = plainReplay(log);
  const { g, reader, replayer } = open(log);
  const t = new Timeline(g.machine, reader, replayer, { checkpointEvery: EVERY, yieldNow: async () => {} });
  t0 = performance.now();
  await t.goto(Infinity);
  const firstPass = (performance.now() - t0) / 1000;
  const end = t.instret;
  const mib = (): number => t.checkpointList.reduce((s, c) => s + c.bytes, 0) / 1048576;
  console.log(`first pass to the end (instret ${end.toLocaleString('en-US')}): ${firstPass.toFixed(1)} s (${(end / firstPass / 1e6).toFixed(1)} MIPS), ${t.checkpointList.length} checkpoints, ${mib().toFixed(0)} MiB of pages`);

  const rnd = mulberry32(42);
  const gotoMs: number[] = [];
  const firstBack: number[] = [];
  const nextBack: number[] = [];
  for (let i = 0; i < POINTS; i++) {
    const p = t.startInstret + 1000 + Math.floor(rnd() * (end - t.startInstret - 2000));
    let s = performance.now();
    await t.goto(p);
    gotoMs.push(performance.now() - s);
    s = performance.now();
    await t.execute('reverse-step');
    firstBack.push(performance.now() - s);
    if (t.instret !== p - 1) throw new Error(`reverse-step from ${p} went to ${t.instret}`);
    for (let k = 0; k < 9; k++) {
      s = performance.now();
      await t.execute('reverse-step');
      nextBack.push(performance.now() - s);
    }
  }
  console.log(`goto a random point:                median ${ms(pct(gotoMs, 0.5))}, p95 ${ms(pct(gotoMs, 0.95))}`);
  console.log(`first reverse-stepi after the jump: median ${ms(pct(firstBack, 0.5))}, p95 ${ms(pct(firstBack, 0.95))}`);
  console.log(`next nine reverse-stepi:            median ${ms(pct(nextBack, 0.5))}, p95 ${ms(pct(nextBack, 0.95))}`);
  console.log(`checkpoints now: ${t.checkpointList.length}, ${mib().toFixed(0)} MiB of pages`);

  // reverse-continue over a window with a breakpoint never hit: every interval is replayed with the hooks on
  const window = Math.min(end - t.startInstret, 200_000_000);
  await t.goto(t.startInstret + window);
  t.points.addBreakpoint(0x1000n);
  const before = t.replayed;
  t0 = performance.now();
  const c0 = process.cpuUsage();
  const stop = await t.execute('reverse-continue');
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSince(c0);
  const scanned = t.replayed - before;
  t.points.removeBreakpoint(0x1000n);
  const mips = scanned / cpu / 1e6;
  console.log(`reverse-continue over ${(window / 1e6).toFixed(0)} M instructions (no hit, ${stop.kind}): ${secs.toFixed(1)} s wall, ${cpu.toFixed(1)} s cpu, ${(scanned / 1e6).toFixed(0)} M replayed (restores included), ${mips.toFixed(1)} MIPS per cpu second = ${(mips / plainMips).toFixed(2)}x plain replay`);
  g.close();
  console.log('Wall times from a shared 2-core machine are noisy; speeds per cpu second are steadier. With breakpoints set the hart');
  console.log('interprets (no block translation) and fetches from pages holding breakpoints take the slow path.');
}

void main();
