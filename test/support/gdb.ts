// Drives the real gdb-multiarch in batch mode against our stub (tests and the benchmark).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource, type InputSource } from '../../src/machine/input.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { codecList } from '../../src/replay/frame-compressor.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { Timeline, type TimelineOptions } from '../../src/debug/timeline.js';
import { serveGdb } from '../../src/node/gdb-server.js';
import type { DebugTarget } from '../../src/debug/debug-target.js';
import type { LogMeta } from '../../src/replay/log-format.js';

export const DEBUGGEE = fileURLToPath(new URL('../debug/program/debuggee.elf', import.meta.url));

export function debuggeeMachine(input: InputSource = new SeededInputSource(), console: (b: number) => void = () => {}): VirtMachine {
  // 16 MiB (the smallest board): the program needs a few pages, and state hashes scan all of RAM
  return new VirtMachine({ memoryBytes: 16 << 20, bios: null, kernel: new Uint8Array(readFileSync(DEBUGGEE)), input, console });
}

const META: LogMeta = { format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'virtual', hashInterval: 10_000, ramHashInterval: 0, machine: { program: 'debuggee' } };

/** Records the debuggee from reset to power-off (in memory). */
export function recordDebuggee(): Uint8Array {
  const sink = new MemorySink();
  const writer = new LogWriter(sink, new ZstdCodec(3), META);
  const rec = new Recorder(writer, { hashInterval: 10_000, ramHashInterval: 0 });
  const m = debuggeeMachine(rec.source(new SeededInputSource()));
  rec.attach(m);
  const stop = m.run(10_000_000);
  rec.finish(stop.kind, 'code' in stop ? stop.code : 0);
  return sink.bytes();
}

/** A Timeline over a recording of the debuggee. */
export function debuggeeTimeline(log: Uint8Array, options: TimelineOptions = {}): Timeline {
  const reader = new LogReader(log, 'debuggee.rvr', codecList(new ZstdCodec()));
  const replayer = new Replayer(reader);
  const m = debuggeeMachine(replayer.source);
  replayer.attach(m);
  return new Timeline(m, reader, replayer, options);
}

export interface GdbRun {
  out: string;
  code: number | null;
}

/**
 * Serves `target` on a free loopback port and runs gdb-multiarch in batch
 * mode with `commands` (after loading `elf` and connecting). Resolves with
 * gdb's output once it exits.
 */
export async function runGdb(target: DebugTarget, commands: string[], elf = DEBUGGEE, timeoutMs = 60_000): Promise<GdbRun> {
  const server = await serveGdb(target, 0);
  try {
    const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `file ${elf}`, '-ex', `target remote 127.0.0.1:${server.port}`];
    for (const c of commands) args.push('-ex', c);
    const child = spawn('gdb-multiarch', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    clearTimeout(timer);
    return { out, code };
  } finally {
    await server.close();
  }
}

/** The values `info registers pc` printed, in order. */
export function pcs(out: string): string[] {
  return [...out.matchAll(/^pc\s+(0x[0-9a-f]+)/gm)].map((m) => m[1]);
}
