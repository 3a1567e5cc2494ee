/** `retrovisor record`: `run` with every input recorded to a replay log. */
import { resolve } from 'node:path';
import type { LogMeta } from '../replay/log-format.js';
import { LogWriter } from '../replay/log-writer.js';
import { Recorder, DEFAULT_HASH_INTERVAL, DEFAULT_RAM_HASH_INTERVAL } from '../replay/recorder.js';
import { FileLogSink, replayLogCompressor } from '../node/replay-log-file.js';
import { checkpointConfig } from '../checkpoint/machine-checkpointer.js';
import { checkpointHooks } from './checkpoint-session.js';
import { openRepository } from './repo-location.js';
import { parseCount } from './qemu-style-args.js';
import { machineSpec, runCommand, type RunOptions } from './run-command.js';
import { imageDigests, writeBundle } from '../node/image-digests.js';

export interface RecordOptions extends RunOptions {
  output: string;
  /** Start the recording at this repository checkpoint instead of at boot. */
  from?: string;
  hashInterval?: string;
  ramHashInterval?: string;
  /** Copy every image next to the log (LOG.images/) so the recording replays where they are not. */
  bundle?: boolean;
}

/** Seconds of host time between forced frame cuts, bounding what a crash can lose. */
const FLUSH_SECONDS = 1;

/** The run options a replay needs to rebuild the same machine (paths made absolute). */
export function machineOptions(opts: RunOptions): Record<string, unknown> {
  const abs = (p?: string): string | undefined => (p && p !== 'none' ? resolve(p) : p);
  return {
    m: opts.m, kernel: abs(opts.kernel), initrd: abs(opts.initrd), append: opts.append, bios: abs(opts.bios),
    drive: opts.drive?.map((d) => d.replace(/(^|,)file=([^,]+)/, (_s, pre: string, p: string) => `${pre}file=${resolve(p)}`)),
    disk: opts.disk, clock: opts.clock, workload: opts.workload, args: opts.args,
    // the NICs (a replay rebuilds them with no network: their frames come from the log)
    nic: opts.nic, netdev: opts.netdev, device: opts.device, balloon: opts.balloon,
  };
}

/** The run options a checkpoint was taken with (its machine is rebuilt from them). */
function checkpointMachine(repoOption: string | undefined, idText: string): { id: number; options: RunOptions } {
  const { repo } = openRepository(repoOption, 'read');
  try {
    const id = idText === 'latest' ? repo.latest()?.id ?? NaN : Number(idText);
    if (!Number.isSafeInteger(id) || !repo.has(id)) throw new Error(`no checkpoint ${idText}`);
    const config = checkpointConfig(repo.readCheckpoint(id).deviceState);
    if (!config) throw new Error(`checkpoint ${id} does not say how its machine was built (not taken by retrovisor run or record)`);
    return { id, options: JSON.parse(config) as RunOptions };
  } finally {
    repo.close();
  }
}

export async function recordCommand(given: RecordOptions): Promise<number> {
  // from a checkpoint, the machine is the checkpoint's: its options replace the ones given
  const from = given.from !== undefined ? checkpointMachine(given.repo, given.from) : null;
  const opts: RecordOptions = from ? { ...given, ...from.options, output: given.output, repo: given.repo, checkpointEvery: given.checkpointEvery, codec: given.codec, subpageDelta: given.subpageDelta, similarity: given.similarity, freePageExclusion: given.freePageExclusion, pageCacheExclusion: given.pageCacheExclusion, kernelFreePages: given.kernelFreePages, pace: given.pace, maxInstructions: given.maxInstructions } : given;
  const hashInterval = opts.hashInterval ? parseCount(opts.hashInterval) : DEFAULT_HASH_INTERVAL;
  const ramHashInterval = opts.ramHashInterval ? parseCount(opts.ramHashInterval) : DEFAULT_RAM_HASH_INTERVAL;
  const images = imageDigests(machineSpec(opts));
  if (opts.bundle) process.stderr.write(`retrovisor: images bundled with the recording in ${writeBundle(opts.output, images)}\n`);
  const meta: LogMeta = {
    format: 'retrovisor-replay',
    start: from ? { kind: 'checkpoint', id: from.id } : { kind: 'boot' },
    clockMode: opts.clock === 'realtime' ? 'realtime' : 'virtual',
    hashInterval,
    ramHashInterval,
    // the images' content hashes: a replay on moved or changed files fails clearly instead of diverging
    machine: { ...machineOptions(opts), images },
    created: new Date().toISOString(),
  };
  const sink = new FileLogSink(opts.output);
  const writer = new LogWriter(sink, replayLogCompressor(), meta);
  const recorder = new Recorder(writer, { hashInterval, ramHashInterval });
  let lastFlush = performance.now();
  // checkpoints go to the repository like `run --repo --checkpoint-every`; the log marks each one
  let checkpoints = 0;
  const ckpt = checkpointHooks(opts, {
    restore: from?.id,
    eager: opts.repo !== undefined,
    // the log marks each checkpoint's id at its capture instant: only stop-and-copy knows the id then
    mode: 'stop',
    onCapture: (r) => { recorder.checkpoint(String(r.meta.id)); checkpoints++; },
  });
  let code: number;
  try {
    code = await runCommand(opts, {
      input: (host) => recorder.source(host),
      // the checkpoint (if any) is restored first, so the recording starts from it
      started: (m) => { ckpt.started?.(m); recorder.attach(m); },
      sliceLimit: ckpt.sliceLimit,
      skipLimit: ckpt.skipLimit,
      checkpoint: ckpt.checkpoint,
      // a recorder killed outright (SIGKILL) loses at most the last second, and never typed input
      slice: () => {
        const now = performance.now();
        if (now - lastFlush > FLUSH_SECONDS * 1000) { writer.flush(); lastFlush = now; }
      },
      consoleInput: () => { writer.flush(); lastFlush = performance.now(); },
      finished: (m, stop, quit) => {
        recorder.finish(quit ? 'quit' : stop.kind, 'code' in stop ? stop.code : 0);
        ckpt.finished?.(m, stop, quit);
      },
    });
  } finally {
    writer.flush();
    sink.close();
  }
  const s = writer.stats;
  process.stderr.write(`retrovisor: recorded ${s.events.toLocaleString('en-US')} events in ${s.frames} frames (with the index), ${s.fileBytes.toLocaleString('en-US')} bytes, to ${opts.output}\n`);
  if (checkpoints > 0) process.stderr.write(`retrovisor: the log marks ${checkpoints} checkpoints (replay from one with: retrovisor replay ${opts.output} --from ID${opts.repo ? ` --repo ${opts.repo}` : ''})\n`);
  return code;
}
