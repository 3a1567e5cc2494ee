/**
 * The analysis plugin API. A plugin factory makes one plugin instance per
 * interval (per-interval state lives in the instance), the instance hands
 * the machine the hooks it wants (cpu/instrumentation.ts) and at the end of
 * the interval produces a plain, JSON-serializable result; the factory
 * merges the results of two adjacent intervals (earlier, later) so that
 * merging all intervals in order equals what one run over the whole
 * recording would have produced.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import type { Instrumentation } from '../machine/cpu/instrumentation.js';

/** Plugin options as given on the command line (`cachesim:l1d=32k/8/64`) or in a job. */
export type PluginOptions = Readonly<Record<string, string>>;

/** What a plugin instance may look at. */
export interface PluginContext {
  /** The machine being replayed: read registers or memory in a hook, never change them. */
  readonly machine: VirtMachine;
  /** The interval this instance analyses. */
  readonly interval: { readonly index: number; readonly from: number; readonly until: number };
}

export interface PluginInstance<R> {
  /** The events this plugin wants; an event no plugin asks for costs nothing. */
  readonly hooks: Instrumentation;
  /** The interval is over: the result (plain data: it crosses threads, processes, machines). */
  finish(): R;
}

export interface PluginFactory<R = unknown> {
  readonly name: string;
  readonly description: string;
  create(ctx: PluginContext, options: PluginOptions): PluginInstance<R>;
  /** Combines the results of two adjacent intervals, `earlier` directly before `later`. */
  merge(earlier: R, later: R): R;
  /** The merged result as written to the JSON output (default: as is). */
  report?(result: R, options: PluginOptions): unknown;
  /** A few lines for the terminal. */
  summary(result: R, options: PluginOptions): string[];
}

/** A plugin asked for by name with options, as a job carries it. */
export interface PluginSpec {
  readonly name: string;
  readonly options: PluginOptions;
}

export class PluginRegistry {
  private readonly byName = new Map<string, PluginFactory>();
  constructor(factories: Iterable<PluginFactory> = []) {
    for (const f of factories) this.add(f);
  }
  add(f: PluginFactory): void {
    this.byName.set(f.name, f);
  }
  get(name: string): PluginFactory {
    const f = this.byName.get(name);
    if (!f) throw new Error(`unknown analysis plugin "${name}" (known: ${this.names().join(', ')})`);
    return f;
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/**
 * Parses `name` or `name:key=value:key=value` (the CLI's --plugin items).
 * Values may not contain ':' or ','.
 */
export function parsePluginSpec(text: string): PluginSpec {
  const [name, ...rest] = text.trim().split(':');
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad plugin name "${name}"`);
  const options: Record<string, string> = {};
  for (const kv of rest) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`plugin ${name}: option "${kv}" is not key=value`);
    options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { name, options };
}

/** A numeric option with a default; accepts k/m suffixes (1024-based). */
export function sizeOption(options: PluginOptions, key: string, fallback: number): number {
  const v = options[key];
  if (v === undefined) return fallback;
  const m = /^(\d+)([kKmM]?)$/.exec(v);
  if (!m) throw new Error(`option ${key}=${v}: expected a number (k/m suffixes allowed)`);
  return Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024);
}
