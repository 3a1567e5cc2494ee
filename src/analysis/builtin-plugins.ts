/** The plugins that ship with Retrovisor. */
import { PluginRegistry } from './plugin.js';
import { cachesim } from './plugins/cachesim.js';
import { coverage } from './plugins/coverage.js';
import { insnMix } from './plugins/insn-mix.js';
import { memtrace } from './plugins/memtrace.js';
import { syscalls } from './plugins/syscalls.js';

export function builtinPlugins(): PluginRegistry {
  return new PluginRegistry([insnMix, syscalls, memtrace, cachesim, coverage] as never[]);
}
