/** `retrovisor replay REC`: re-executes a recording without host input, reproducing its console output. */
import { writeSync } from 'node:fs';
import { INSTRUCTIONS_PER_TICK } from '../machine/board/virt-machine.js';
import { TIMEBASE_HZ } from '../machine/clock.js';
import { formatDivergence } from '../replay/divergence.js';
import { Replayer } from '../replay/replayer.js';
import { openReplayLog } from '../node/replay-log-file.js';
import { restoreMachine } from '../checkpoint/restore-machine.js';
import { openRepository } from './repo-location.js';
import { resolveImages } from '../node/image-digests.js';
import { SeededInputSource } from '../machine/input.js';
import { parseCount } from './qemu-style-args.js';
import { buildMachineFromOptions, type RunOptions } from './run-command.js';

export interface ReplayCommandOptions {
  until?: string;
  stats?: boolean;
  verifyRam?: boolean;
  /** Start at this checkpoint (taken while recording; its id is marked in the log). */
  from?: string;
  repo?: string;
}

/** Console bytes to stdout in chunks, so a long replay streams. */
class ConsoleOut {
  private buf = new Uint8Array(8192);
  private n = 0;
  bytes = 0;
  write = (b: number): void => {
    this.buf[this.n++] = b;
    this.bytes++;
    if (this.n === this.buf.length) this.flush();
  };
  flush(): void {
    let off = 0;
    while (off < this.n) off += writeSync(1, this.buf, off, this.n - off);
    this.n = 0;
  }
}

export function replayCommand(path: string, opts: ReplayCommandOptions): number {
  const reader = openReplayLog(path);
  if (reader.truncated) process.stderr.write(`retrovisor: ${path}: ${reader.truncation}; replaying up to frame ${reader.frames.length - 1}\n`);
  const start = reader.meta.start;
  if (start.kind === 'memory-checkpoint') {
    throw new Error(`${path} starts at memory checkpoint ${start.id}, which lived only in the recording process's memory; replay it through the API (restoreMemoryCheckpoint, then Replayer.attach)`);
  }
  // images where they were recorded if unchanged, else from the recording's bundle, else a clear error
  const machineOpts = resolveImages(reader.meta.machine, path) as RunOptions;
  const until = opts.until ? parseCount(opts.until) : undefined;
  // a progress line on a terminal: instructions, percent, speed and time left
  let progress: ((instret: number) => void) | undefined;
  let total = 0;
  let startAt = 0;
  if (process.stderr.isTTY) {
    let last = 0;
    const t0 = performance.now();
    progress = (instret) => {
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      process.stderr.write(`\r\x1b[K${formatReplayProgress(instret, until !== undefined ? Math.min(until, total) : total, (now - t0) / 1000, startAt)}`);
    };
  }
  const replayer = new Replayer(reader, { until, verifyRam: opts.verifyRam, onProgress: progress });
  if (progress) total = replayer.lastInstret();
  const out = new ConsoleOut();
  const fromId = opts.from !== undefined ? Number(opts.from) : null;
  if (fromId !== null && !(Number.isInteger(fromId) && fromId > 0)) throw new Error(`--from takes a checkpoint id (a positive integer), got "${opts.from}"`);
  // a recording that starts at a repository checkpoint restores it first
  const restoreId = fromId ?? (start.kind === 'checkpoint' ? start.id : null);
  const opened = restoreId !== null ? openRepository(opts.repo, 'read') : null;
  // from a checkpoint, the inputs pulled while building the machine are overwritten by the restore
  const { machine, cleanup } = buildMachineFromOptions(machineOpts, out.write, opened ? new SeededInputSource() : replayer.source);
  const t0 = performance.now();
  let startInstret = 0;
  let startTicks = 0;
  let result;
  try {
    if (opened && restoreId !== null) restoreMachine(machine, opened.repo, restoreId);
    startInstret = machine.instret;
    startTicks = machine.clockMode === 'virtual' ? machine.now() : 0;
    replayer.attach(machine, fromId !== null ? { checkpoint: String(fromId) } : {});
    startAt = machine.instret;
    result = replayer.run();
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
    out.flush();
    cleanup();
    opened?.repo.close();
  }
  const secs = (performance.now() - t0) / 1000;
  const d = result.divergence;
  if (d) {
    let msg = formatDivergence(d);
    if (d.firstMismatch === 0) msg += '\n  (at the very start: the machine was built from different images or options than the recording)';
    process.stderr.write(`\r\nretrovisor: ${path}: ${msg}\n`);
  } else if (result.stop === 'log-end' && reader.truncated) {
    process.stderr.write(`\r\nretrovisor: replayed to the end of the incomplete log (instret ${result.instret})\n`);
  }
  if (opts.stats) {
    const n = result.instret - startInstret;
    const guestSecs = machine.clockMode === 'virtual' ? (machine.now() - startTicks) / TIMEBASE_HZ : NaN;
    const logBytes = reader.size;
    const lines = [
      `stop              ${result.stop}${result.endReason ? ` (recording ended: ${result.endReason})` : ''}`,
      `events            ${result.events.toLocaleString('en-US')} (${result.archChecks} state checks, ${result.ramChecks} RAM checks)`,
      `log bytes         ${logBytes.toLocaleString('en-US')} in ${reader.frames.length} frames`,
      `instructions      ${n.toLocaleString("en-US")}${fromId !== null ? ` (from checkpoint ${fromId} at ${startInstret.toLocaleString("en-US")})` : ""}`,
      `bytes/1000 instr  ${(n > 0 ? (logBytes * 1000) / n : 0).toFixed(4)}`,
      `guest time        ${Number.isNaN(guestSecs) ? 'n/a (realtime clock)' : `${guestSecs.toFixed(2)} s (${(n / INSTRUCTIONS_PER_TICK / TIMEBASE_HZ).toFixed(2)} s busy)`}`,
      `replay wall time  ${secs.toFixed(2)} s, ${(n / secs / 1e6).toFixed(1)} MIPS${Number.isNaN(guestSecs) ? '' : `, ${(guestSecs / secs).toFixed(2)}x guest real time`}`,
      `console bytes     ${out.bytes.toLocaleString('en-US')}`,
    ];
    if (machine.nets.length > 0) {
      let frames = 0;
      let bytes = 0;
      let links = 0;
      for (const e of reader.all()) {
        if (e.kind === 'net-rx') { frames++; bytes += e.frame.length; }
        else if (e.kind === 'net-link') links++;
      }
      lines.push(`net received      ${frames.toLocaleString('en-US')} frames, ${bytes.toLocaleString('en-US')} bytes, ${links} link changes${bytes > 0 ? `; ${Math.round(logBytes / (bytes / 1e6)).toLocaleString('en-US')} log bytes per MB received` : ''}`);
    }
    process.stderr.write(lines.map((l) => `replay: ${l}\n`).join(''));
  }
  return d ? 3 : 0;
}

/** "1,234,000,000 / 10,000,000,000 instructions (12.3%), 45.1 MIPS, ETA 3:14" */
export function formatReplayProgress(instret: number, total: number, seconds: number, startInstret = 0): string {
  const done = instret - startInstret;
  const mips = seconds > 0 ? done / seconds / 1e6 : 0;
  const left = total - instret;
  const pct = total > 0 ? Math.min(100, (instret / total) * 100) : 0;
  let eta = '';
  if (mips > 0 && left > 0) {
    const s = Math.round(left / (mips * 1e6));
    eta = `, ETA ${Math.floor(s / 3600) > 0 ? `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}` : Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }
  return `replay: ${instret.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} instructions (${pct.toFixed(1)}%), ${mips.toFixed(1)} MIPS${eta}`;
}
