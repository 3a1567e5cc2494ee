/**
 * Record/replay benchmark on the standard guest, for three workloads: an idle
 * guest (idle 5: sleeps, printing once a second), an interactive session
 * (commands typed character by character, 50-250 ms of guest time apart) and
 * the compute workload. For each: the same workload plain and recorded in one
 * run (alternating, medians), the log size, and a replay of the log.
 *   npm run bench:replay [-- --runs N]
 */
import { SeededInputSource } from '../src/machine/input.js';
import { TIMEBASE_HZ } from '../src/machine/clock.js';
import { READY_MARKER } from '../src/node/guest-images.js';
import { ScriptedGuest } from '../test/support/scripted-guest.js';
import { ZstdCodec } from '../src/node/codecs/zstd-codec.js';
import { codecList } from '../src/replay/frame-compressor.js';
import { LogReader } from '../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../src/replay/log-writer.js';
import type { LogMeta } from '../src/replay/log-format.js';
import { Recorder, DEFAULT_HASH_INTERVAL, DEFAULT_RAM_HASH_INTERVAL } from '../src/replay/recorder.js';
import { Replayer } from '../src/replay/replayer.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

interface Workload {
  name: string;
  workload?: string;
  args?: string[];
  /** Drives the guest to its end (poweroff). */
  drive(g: ScriptedGuest): void;
}

function toPoweroff(g: ScriptedGuest): void {
  for (;;) {
    const r = g.runFor(20_000_000);
    if (r.kind === 'poweroff' || r.kind === 'fail' || r.kind === 'reboot') return;
    if (r.kind === 'idle') throw new Error('guest idle with nothing to wake it');
  }
}

/** Lets `ms` of guest time pass the way a paced run would: idle stretches skip only up to the target. */
function waitGuest(g: ScriptedGuest, ms: number): void {
  const m = g.machine;
  const target = m.now() + Math.round((ms / 1000) * TIMEBASE_HZ);
  while (m.now() < target) {
    g.runFor(0);
    const r = m.run(2_000_000, 'return');
    if (r.kind === 'idle') m.skipTo(Math.min(r.deadline, target));
    else if (r.kind !== 'limit') return;
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
}

const INTERACTIVE = ['echo $((6*7))', 'head -c 16 /dev/urandom | od -An -tx1', 'ls /workloads', 'sleep 1; cat /proc/uptime', 'dmesg | tail -2', 'poweroff -f'];

const workloads: Workload[] = [
  { name: 'idle guest (idle 5)', workload: 'idle', args: ['5'], drive: toPoweroff },
  {
    name: 'interactive session',
    drive(g) {
      const r = rng(12345);
      g.runUntil(READY_MARKER, 400_000_000, 2_000_000);
      g.runUntil('# ', 100_000_000, 1_000_000, 'return');
      for (const cmd of INTERACTIVE) {
        // a typist: 50-250 ms of guest time between keys
        for (const ch of cmd + '\n') { waitGuest(g, 50 + r() * 200); g.type(ch); }
        if (cmd.startsWith('poweroff')) break;
        g.runUntil('# ', 400_000_000, 1_000_000, 'return');
      }
      toPoweroff(g);
    },
  },
  { name: 'compute (48 x 64 KiB)', workload: 'compute', args: ['48'], drive: toPoweroff },
];

const codec = new ZstdCodec(3);
const codecs = codecList(codec);

interface Sample { hashMs: number; wallMs: number; cpuMs: number; instret: number; ticks: number; logBytes: number; events: number; output: string; log: Uint8Array }

function run(w: Workload, record: boolean): Sample {
  const sink = new MemorySink();
  const meta: LogMeta = {
    format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'virtual', hashInterval: DEFAULT_HASH_INTERVAL,
    ramHashInterval: DEFAULT_RAM_HASH_INTERVAL, machine: { workload: w.workload, args: w.args },
  };
  const writer = record ? new LogWriter(sink, codec, meta) : null;
  const rec = writer ? new Recorder(writer) : null;
  const input = new SeededInputSource(99);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const g = new ScriptedGuest({ input: rec ? rec.source(input) : input, workload: w.workload, args: w.args });
  try {
    rec?.attach(g.machine);
    w.drive(g);
    rec?.finish('poweroff');
    const wallMs = performance.now() - t0;
    const cpuMs = cpuSince(c0);
    return { hashMs: rec?.stats.hashMs ?? 0, wallMs, cpuMs, instret: g.machine.instret, ticks: g.machine.now(), logBytes: sink.length, events: writer?.stats.events ?? 0, output: g.text, log: sink.bytes() };
  } finally {
    g.close();
  }
}

/** CPU time (user + system) of this process since `c0`: steadier than wall time on a shared machine. */
function cpuSince(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

function replay(w: Workload, log: Uint8Array): { wallMs: number; cpuMs: number; output: string; ok: boolean; instret: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const reader = new LogReader(log, w.name, codecs);
  const replayer = new Replayer(reader);
  const g = new ScriptedGuest({ input: replayer.source, workload: w.workload, args: w.args });
  try {
    replayer.attach(g.machine);
    const r = replayer.run();
    if (r.divergence) console.log(`  DIVERGED: ${r.divergence.message}`);
    return { wallMs: performance.now() - t0, cpuMs: cpuSince(c0), output: g.text, ok: r.stop === 'end' && !r.divergence, instret: g.machine.instret };
  } finally {
    g.close();
  }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function main(): void {
  console.log(`Node ${process.version}; ${RUNS} runs per workload (plain and recorded alternating), medians; zstd level 3 frames, arch hash every ${DEFAULT_HASH_INTERVAL / 1e6} M instructions`);
  const rows: string[] = [];
  for (const w of workloads) {
    const plain: Sample[] = [];
    const recd: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) { plain.push(run(w, false)); recd.push(run(w, true)); }
      else { recd.push(run(w, true)); plain.push(run(w, false)); }
      console.log(`${w.name} run ${i + 1}: plain ${plain[i].wallMs.toFixed(0)} ms (cpu ${plain[i].cpuMs.toFixed(0)}), recorded ${recd[i].wallMs.toFixed(0)} ms (cpu ${recd[i].cpuMs.toFixed(0)})`);
    }
    const same = recd.every((s) => s.instret === plain[0].instret && s.output === plain[0].output) && plain.every((s) => s.instret === plain[0].instret);
    const reps = [];
    for (let i = 0; i < RUNS; i++) reps.push(replay(w, recd[0].log));
    const rep = reps[0];
    const plainMs = median(plain.map((s) => s.wallMs));
    const recMs = median(recd.map((s) => s.wallMs));
    const repMs = median(reps.map((s) => s.wallMs));
    const plainCpu = median(plain.map((s) => s.cpuMs));
    const recCpu = median(recd.map((s) => s.cpuMs));
    const repCpu = median(reps.map((s) => s.cpuMs));
    const s = recd[0];
    const hashMs = median(recd.map((x) => x.hashMs));
    const guestSecs = s.ticks / TIMEBASE_HZ;
    console.log(`  ${s.instret.toLocaleString('en-US')} instructions, guest time ${guestSecs.toFixed(2)} s, ${s.events} events, log ${s.logBytes} bytes; plain/recorded identical: ${same ? 'yes' : 'NO'}; replay identical: ${rep.ok && rep.output === s.output && rep.instret === s.instret ? 'yes' : 'NO'}`);
    rows.push(`| ${w.name} | ${(s.instret / 1e6).toFixed(0)} M | ${guestSecs.toFixed(2)} s | ${(plainMs / 1000).toFixed(2)} s | ${(recMs / 1000).toFixed(2)} s | ${(recMs / plainMs).toFixed(3)}× | ${(recCpu / plainCpu).toFixed(3)}× | ${hashMs.toFixed(0)} ms | ${s.logBytes.toLocaleString('en-US')} | ${(s.logBytes / guestSecs).toFixed(0)} | ${((s.logBytes * 1000) / s.instret).toFixed(4)} | ${(repMs / 1000).toFixed(2)} s | ${(recMs / repMs).toFixed(2)}× (cpu ${(recCpu / repCpu).toFixed(2)}×) | ${(guestSecs / (repMs / 1000)).toFixed(2)}× |`);
  }
  console.log('');
  console.log('| workload | instructions | guest time | plain run | recorded run | probe effect (wall) | probe effect (cpu) | of which fingerprints | log bytes | bytes / guest s | bytes / 1000 instr | replay | replay speed vs recorded run | replay speed vs guest real time |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log('');
  console.log('Times include building the machine (image loading, ~0.3 s); cpu = user + system time of this process, steadier than wall time');
  console.log('on a shared machine (it includes the zstd and GC threads). The recorded run skips idle time like the plain run;');
  console.log('an interactive recording paced to the host clock would take about the guest time, so "vs guest real time" is the speed-up over it.');
}

main();
