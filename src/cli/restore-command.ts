/** `retrovisor restore CHECKPOINT`: rebuild the machine a checkpoint was taken on, load it, and run on. */
import { checkpointConfig } from '../checkpoint/machine-checkpointer.js';
import { checkpointHooks } from './checkpoint-session.js';
import { openRepository } from './repo-location.js';
import { runCommand, type RunOptions } from './run-command.js';

export interface RestoreOptions { repo?: string; checkpointEvery?: string; maxInstructions?: string; pace?: boolean; codec?: string; net?: string; gdb?: string; s?: boolean; S?: boolean; subpageDelta?: boolean | string; similarity?: boolean; freePageExclusion?: boolean; pageCacheExclusion?: boolean; kernelFreePages?: boolean; checkpointMode?: string; checkpointWorkers?: string; checkpointPressure?: string; eager?: boolean }

export async function restoreCommand(idText: string, opts: RestoreOptions): Promise<number> {
  if (opts.net !== undefined && opts.net !== 'attach' && opts.net !== 'detach') throw new Error(`--net must be attach or detach (got ${opts.net})`);
  // read the machine description first; the session reopens the repository writable
  const { repo } = openRepository(opts.repo, 'read');
  let id: number;
  let config: string;
  try {
    id = idText === 'latest' || idText === 'last' ? repo.latest()?.id ?? NaN : Number(idText);
    if (!Number.isSafeInteger(id) || !repo.has(id)) throw new Error(`no checkpoint ${idText}`);
    config = checkpointConfig(repo.readCheckpoint(id).deviceState);
  } finally {
    repo.close();
  }
  if (!config) throw new Error(`checkpoint ${id} does not say how its machine was built (not taken by retrovisor run)`);
  const run: RunOptions = { ...(JSON.parse(config) as RunOptions), repo: opts.repo, checkpointEvery: opts.checkpointEvery, maxInstructions: opts.maxInstructions, pace: opts.pace, codec: opts.codec, netDetach: opts.net === 'detach', gdb: opts.gdb, s: opts.s, S: opts.S, subpageDelta: opts.subpageDelta, similarity: opts.similarity, freePageExclusion: opts.freePageExclusion, pageCacheExclusion: opts.pageCacheExclusion, kernelFreePages: opts.kernelFreePages, checkpointMode: opts.checkpointMode, checkpointWorkers: opts.checkpointWorkers, checkpointPressure: opts.checkpointPressure };
  return runCommand(run, checkpointHooks(run, { restore: id, lazy: opts.eager !== true }));
}
