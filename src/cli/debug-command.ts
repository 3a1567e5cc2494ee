/** `retrovisor debug LOG`: serve a recording to GDB, forwards and backwards. */
import { writeSync } from 'node:fs';
import { Replayer } from '../replay/replayer.js';
import { openReplayLog } from '../node/replay-log-file.js';
import { serveGdb } from '../node/gdb-server.js';
import { restoreMachine } from '../checkpoint/restore-machine.js';
import { SeededInputSource } from '../machine/input.js';
import { Timeline, logCheckpoints } from '../debug/timeline.js';
import { openRepository } from './repo-location.js';
import { parseCount } from './qemu-style-args.js';
import { buildMachineFromOptions, type RunOptions } from './run-command.js';

export interface DebugCommandOptions {
  repo?: string;
  /** Port (default 1234) or QEMU's tcp::PORT. */
  port?: string;
  /** Instructions between automatic in-memory checkpoints (default 10M). */
  checkpointEvery?: string;
  /** Show the guest's console output as the replay produces it (repeats when you go back). */
  console?: boolean;
  verbose?: boolean;
}

export async function debugCommand(path: string, opts: DebugCommandOptions): Promise<number> {
  const reader = openReplayLog(path);
  const start = reader.meta.start;
  if (start.kind === 'memory-checkpoint') throw new Error(`${path} starts at an in-memory checkpoint of another process; it cannot be debugged from the command line`);
  const replayer = new Replayer(reader);
  const restoreId = start.kind === 'checkpoint' ? start.id : null;
  const marked = logCheckpoints(reader);
  // the repository is needed for a recording that starts at a checkpoint, and lets going forward jump to the checkpoints the log marks
  const opened = restoreId !== null || (marked.length > 0 && opts.repo !== undefined) ? openRepository(opts.repo, 'read') : null;
  const out = opts.console ? (b: number): void => { writeSync(2, Uint8Array.of(b)); } : (): void => {};
  const { machine, cleanup } = buildMachineFromOptions(reader.meta.machine as RunOptions, out, opened ? new SeededInputSource() : replayer.source);
  try {
    if (opened && restoreId !== null) restoreMachine(machine, opened.repo, restoreId);
    replayer.attach(machine);
    const repo = opened?.repo;
    const timeline = new Timeline(machine, reader, replayer, {
      checkpointEvery: opts.checkpointEvery ? parseCount(opts.checkpointEvery) : undefined,
      repository: repo && marked.length > 0 ? { checkpoints: marked, restore: (m, id) => restoreMachine(m, repo, Number(id)) } : undefined,
    });
    const port = opts.port ? Number(/(\d+)$/.exec(opts.port)?.[1] ?? NaN) : 1234;
    if (!(port >= 0 && port < 65536)) throw new Error(`--port: expected a port number, got ${opts.port}`);
    const server = await serveGdb(timeline, port, opts.verbose ? (l) => process.stderr.write(l + '\n') : undefined);
    process.stderr.write(`retrovisor: serving ${path} (instret ${timeline.startInstret} onwards) to gdb on 127.0.0.1:${server.port}: gdb-multiarch -ex 'target remote :${server.port}'\n`);
    await server.sessionEnded;
    await server.close();
  } finally {
    cleanup();
    opened?.repo.close();
  }
  return 0;
}
