/**
 * `retrovisor cut LOG --every N --repo DIR -o OUT`: replays a recording once,
 * checkpointing into the repository every N instructions, and writes a copy
 * of the log that marks the new checkpoints, so `analyze` can split it into
 * more intervals.
 */
import { resolve } from 'node:path';
import { MachineCheckpointer } from '../checkpoint/machine-checkpointer.js';
import { restoreMachine } from '../checkpoint/restore-machine.js';
import { SeededInputSource } from '../machine/input.js';
import { boundaries } from '../analysis/plan.js';
import { replayAndCut, writeCutLog } from '../analysis/recut.js';
import { formatDivergence } from '../replay/divergence.js';
import { LogWriter } from '../replay/log-writer.js';
import { Replayer } from '../replay/replayer.js';
import { FileLogSink, openReplayLog, replayLogCompressor } from '../node/replay-log-file.js';
import { parseCount } from './qemu-style-args.js';
import { openRepository } from './repo-location.js';
import { buildMachineFromOptions, type RunOptions } from './run-command.js';

export interface CutOptions { every: string; repo?: string; output: string; codec?: string }

export function cutCommand(path: string, opts: CutOptions): number {
  const every = parseCount(opts.every);
  const reader = openReplayLog(path);
  if (reader.meta.clockMode === 'realtime') throw new Error('cut needs a virtual-clock recording (a realtime replay must slice exactly as recorded)');
  if (resolve(opts.output) === resolve(path)) throw new Error('cut writes a new log: give an -o other than the input');
  const { points } = boundaries(reader);
  const existing = new Set(points.map((p) => p.instret));
  const start = reader.meta.start;
  const replayer = new Replayer(reader);
  const { repo, codecs, dir } = openRepository(opts.repo, 'create');
  const fromCheckpoint = start.kind === 'checkpoint';
  const { machine, cleanup } = buildMachineFromOptions(reader.meta.machine as RunOptions, () => {}, fromCheckpoint ? new SeededInputSource() : replayer.source);
  const t0 = performance.now();
  try {
    if (start.kind === 'checkpoint') restoreMachine(machine, repo, start.id);
    replayer.attach(machine);
    const checkpointer = new MachineCheckpointer(machine, repo, codecs, { codec: opts.codec, config: JSON.stringify(reader.meta.machine) });
    const { cuts, result } = replayAndCut(machine, replayer, checkpointer, every, existing);
    if (result.divergence) throw new Error(`${path}: ${formatDivergence(result.divergence)}`);
    const sink = new FileLogSink(opts.output);
    try {
      writeCutLog(reader, new LogWriter(sink, replayLogCompressor(), { ...reader.meta, created: new Date().toISOString() }), cuts);
    } finally {
      sink.close();
    }
    const secs = (performance.now() - t0) / 1000;
    const pause = cuts.map((c) => c.pauseMs).sort((a, b) => a - b);
    process.stderr.write(`retrovisor: replayed ${result.instret.toLocaleString('en-US')} instructions in ${secs.toFixed(2)} s, took ${cuts.length} checkpoints into ${dir}${cuts.length ? ` (${cuts[0].id}..${cuts[cuts.length - 1].id}, pause median ${pause[pause.length >> 1].toFixed(0)} ms)` : ''}; ${opts.output} marks ${points.length - 1 + cuts.length} checkpoints\n`);
  } finally {
    cleanup();
    repo.close();
  }
  return 0;
}
