// Shared by the replay tests: record an interactive session of the standard
// guest with input typed at random instruction counts, and replay logs.
import { SeededInputSource } from '../../src/machine/input.js';
import { READY_MARKER } from '../../src/node/guest-images.js';
import { mulberry32 } from '../support/prng.js';
import { ScriptedGuest, type ScriptedGuestOptions } from '../support/scripted-guest.js';
import { bootedCheckpoint, type BootedGuestOptions } from '../support/booted-guest.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { ARCH_WORDS, captureArch, hashArch } from '../../src/replay/arch-state.js';
import { codecList } from '../../src/replay/frame-compressor.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { takeMemoryCheckpoint, restoreMemoryCheckpoint, type MemoryCheckpoint } from '../../src/replay/memory-checkpoint.js';
import { hashRam } from '../../src/replay/ram-hash.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer, type ReplayOptions, type ReplayResult } from '../../src/replay/replayer.js';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';
import type { InputSource } from '../../src/machine/input.js';
import type { LogMeta } from '../../src/replay/log-format.js';

export const codecs = codecList(new ZstdCodec(3));

export { mulberry32 };

export function fingerprint(m: VirtMachine): { arch: number; ram: number; instret: number } {
  const w = new Int32Array(ARCH_WORDS);
  captureArch(m, w);
  return { arch: hashArch(w), ram: hashRam(m.ram).hash, instret: m.instret };
}

export const meta = (hashInterval: number): LogMeta => ({
  format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'virtual', hashInterval, ramHashInterval: 200_000_000, machine: { guest: 'standard' },
});

export interface RecordedSession {
  log: Uint8Array;
  output: string;
  final: { arch: number; ram: number; instret: number };
  snapshot: MemoryCheckpoint;
  /** Console bytes printed before the snapshot. */
  outputAtSnapshot: number;
  seed: number;
}

const COMMANDS = ['echo $((6*7))', 'head -c 12 /dev/urandom | od -An -tx1', 'cat /proc/uptime', 'ls /workloads', 'sleep 1; echo slept', 'uname -r'];

/** Boots, then types each command one character at a time at random instruction counts. */
export function recordSession(seed: number, hashInterval = 2_000_000): RecordedSession {
  const rnd = mulberry32(seed);
  const sink = new MemorySink();
  // small frames, so the session spans many (seeking, truncation)
  const writer = new LogWriter(sink, new ZstdCodec(3), meta(hashInterval), 2048);
  const rec = new Recorder(writer, { hashInterval, ramHashInterval: 200_000_000 });
  const g = new ScriptedGuest({ input: rec.source(new SeededInputSource(seed | 1)) });
  try {
    rec.attach(g.machine);
    g.runUntil(READY_MARKER, 400_000_000, 2_000_000);
    g.runUntil('# ', 100_000_000, 500_000);
    let snapshot: MemoryCheckpoint | null = null;
    let outputAtSnapshot = 0;
    COMMANDS.forEach((cmd, i) => {
      for (const ch of cmd + '\n') {
        g.runFor(1 + Math.floor(rnd() * 400_000));
        g.type(ch);
      }
      g.runUntil('# ', 400_000_000, 100_000 + Math.floor(rnd() * 900_000));
      if (i === 2) {
        g.runFor(Math.floor(rnd() * 3_000_000));
        snapshot = takeMemoryCheckpoint(g.machine, 'mid');
        rec.checkpoint('mid');
        outputAtSnapshot = g.raw.length;
      }
    });
    g.runFor(1_000_000 + Math.floor(rnd() * 2_000_000));
    const final = fingerprint(g.machine);
    rec.finish('script-end');
    return { log: sink.bytes(), output: g.text, final, snapshot: snapshot!, outputAtSnapshot, seed };
  } finally {
    g.close();
  }
}

export type Fingerprint = ReturnType<typeof fingerprint>;
export type GuestOptions = Omit<ScriptedGuestOptions, 'input'>;

export interface Recording {
  log: Uint8Array;
  /** Console output from where the recording starts. */
  output: string;
  final: Fingerprint;
}

/**
 * Records the standard guest: boots it to the shell prompt with `input` as the host's inputs
 * (unrecorded when `attachAtPrompt`, so the recording starts there), runs `script`, and returns
 * the log, the console output and the final fingerprint.
 */
export function recordScript(
  opts: {
    input: InputSource; guest?: GuestOptions; meta?: LogMeta; hashInterval?: number; attachAtPrompt?: (g: ScriptedGuest) => LogMeta;
    /** With attachAtPrompt: restore the run's shared boot of this configuration (test/support/booted-guest.ts) instead of booting. */
    booted?: BootedGuestOptions;
  },
  script: (g: ScriptedGuest) => void,
): Recording {
  const sink = new MemorySink();
  const hashInterval = opts.hashInterval ?? 4_000_000;
  let rec: Recorder | null = null;
  const start = (m: LogMeta): Recorder => new Recorder(new LogWriter(sink, new ZstdCodec(3), m), { hashInterval, ramHashInterval: 0 });
  if (!opts.attachAtPrompt) rec = start(opts.meta ?? meta(hashInterval));
  const g = new ScriptedGuest({ ...opts.guest, input: rec ? rec.source(opts.input) : opts.input });
  try {
    if (rec) rec.attach(g.machine);
    if (opts.booted && !rec) {
      const { repo, id } = bootedCheckpoint(opts.booted);
      restoreMachine(g.machine, repo, id);
    } else {
      g.runUntil(READY_MARKER, 400_000_000, 2_000_000);
      g.runUntil('# ', 100_000_000, 500_000);
    }
    const before = rec ? 0 : g.raw.length;
    if (!rec) { rec = start(opts.attachAtPrompt!(g)); rec.attach(g.machine); }
    script(g);
    const final = fingerprint(g.machine);
    rec.finish('end');
    return { log: sink.bytes(), output: g.text.slice(before), final };
  } finally {
    g.close();
  }
}

export interface Replayed {
  result: ReplayResult;
  output: string;
  final: { arch: number; ram: number; instret: number };
}

export interface ReplayLogOptions extends ReplayOptions {
  /** Restore this snapshot and seek to its checkpoint marker in the log. */
  from?: MemoryCheckpoint;
  /** The recording starts at this snapshot: restore it first. */
  start?: MemoryCheckpoint;
  guest?: GuestOptions;
  /** Sees the machine after the replay, before it is closed. */
  inspect?: (g: ScriptedGuest) => void;
}

/** Replays a log on a fresh standard guest: from boot, from a checkpoint marker, or from the snapshot the recording starts at. */
export function replayLog(log: Uint8Array, options: ReplayLogOptions = {}, name = 'session.rvr'): Replayed {
  const reader = new LogReader(log, name, codecs);
  const replayer = new Replayer(reader, options);
  const snap = options.from ?? options.start;
  const g = new ScriptedGuest({ ...options.guest, input: snap ? new SeededInputSource() : replayer.source });
  try {
    if (snap) restoreMemoryCheckpoint(g.machine, snap);
    replayer.attach(g.machine, options.from ? { checkpoint: options.from.id } : {});
    const result = replayer.run();
    options.inspect?.(g);
    return { result, output: g.text, final: fingerprint(g.machine) };
  } finally {
    g.close();
  }
}
