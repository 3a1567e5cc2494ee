/** Interval jobs on this host: recordings and repositories are local paths, machines come from the machine builder. */
import type { JobEnvironment } from '../analysis/run-interval.js';
import { builtinPlugins } from '../analysis/builtin-plugins.js';
import { Repository } from '../store/repository.js';
import { nodeCodecRegistry } from './codecs/node-codecs.js';
import { NodeStoreFs } from './fs-store.js';
import { buildMachine, type MachineSpec } from './machine-builder.js';
import { openReplayLog } from './replay-log-file.js';

export function nodeJobEnvironment(progress?: JobEnvironment['progress']): JobEnvironment {
  return {
    openLog: (ref) => openReplayLog(ref),
    openRepository: (ref) => Repository.open(new NodeStoreFs(), ref, { codecs: nodeCodecRegistry(), readOnly: true }),
    buildMachine: (spec, input) => buildMachine(spec as MachineSpec, { console: () => {}, input }),
    plugins: builtinPlugins(),
    progress,
  };
}
