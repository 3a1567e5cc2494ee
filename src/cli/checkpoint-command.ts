/** `retrovisor checkpoint ls|show|diff|rm|prune`. */
import { PAGE_SIZE } from '../machine/memory.js';
import type { StateRecord } from '../machine/state.js';
import { decodeState } from '../encoding/state-codec.js';
import type { CheckpointMeta } from '../store/checkpoint-meta.js';
import { checkpointConfig } from '../checkpoint/machine-checkpointer.js';
import type { Repository } from '../store/repository.js';
import { selectForRemoval } from '../store/retention.js';
import { describeMetrics, formatBytes, guestSeconds, parseSpan, table } from './checkpoint-format.js';
import { openRepository } from './repo-location.js';

export interface RepoOption { repo?: string; json?: boolean }

const out = (s: string) => process.stdout.write(s);
const json = (v: unknown) => out(JSON.stringify(v, null, 2) + '\n');

function parseId(repo: Repository, text: string): number {
  if (text === 'latest' || text === 'last') {
    const l = repo.latest();
    if (!l) throw new Error('the repository has no checkpoints');
    return l.id;
  }
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`not a checkpoint id: ${text}`);
  if (!repo.has(id)) throw new Error(`no checkpoint ${id}`);
  return id;
}

function withRepo<T>(opts: RepoOption, mode: 'read' | 'write', f: (repo: Repository, dir: string) => T): T {
  const { repo, dir } = openRepository(opts.repo, mode);
  try {
    return f(repo, dir);
  } finally {
    repo.close();
  }
}

const metric = (c: CheckpointMeta, k: string): number => {
  const v = (c.metrics as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' ? v : NaN;
};

export function checkpointLs(opts: RepoOption): number {
  return withRepo(opts, 'read', (repo, dir) => {
    const list = repo.list().sort((a, b) => a.id - b.id);
    if (opts.json) { json(list); return 0; }
    if (list.length === 0) { out(`no checkpoints in ${dir}\n`); return 0; }
    const rows = [['id', 'parent', 'instructions', 'guest time', 'pages', 'stored', 'downtime', 'created', 'label']];
    for (const c of list) {
      const dt = metric(c, 'downtimeMs');
      rows.push([String(c.id), c.parent === null ? 'full' : String(c.parent), c.instructions.toLocaleString('en-US'), guestSeconds(c.guestTime),
        String(c.metrics?.pagesDirty ?? '-'), formatBytes(c.bytesWritten), Number.isNaN(dt) ? '-' : `${dt.toFixed(1)} ms`,
        new Date(c.hostTime).toISOString().replace('T', ' ').slice(0, 19), c.label ?? '']);
    }
    out(table(rows));
    return 0;
  });
}

export function checkpointShow(idText: string, opts: RepoOption): number {
  return withRepo(opts, 'read', (repo) => {
    const id = parseId(repo, idText);
    const data = repo.readCheckpoint(id);
    let zero = 0;
    const chunks = new Set<number>();
    for (const c of data.map) { if (c === 0) zero++; else chunks.add(c); }
    const config = checkpointConfig(data.deviceState);
    if (opts.json) {
      json({ ...data.meta, pages: data.map.length, zeroPages: zero, distinctChunks: chunks.size, deviceStateBytes: data.deviceState.length, machine: config ? JSON.parse(config) as unknown : null });
      return 0;
    }
    const m = data.meta;
    out(`checkpoint ${m.id}${m.label ? ` (${m.label})` : ''}\n`
      + `parent           ${m.parent ?? 'none (full checkpoint)'}\n`
      + `instructions     ${m.instructions.toLocaleString('en-US')}\n`
      + `guest time       ${guestSeconds(m.guestTime)} (${m.guestTime} ticks)\n`
      + `created          ${new Date(m.hostTime).toISOString()}\n`
      + `page map         ${data.map.length} pages (${formatBytes(data.map.length * PAGE_SIZE)}), ${zero} zero, ${chunks.size} distinct chunks\n`
      + `stored           ${formatBytes(m.bytesWritten)} of new chunk payload\n`
      + (config ? `machine          ${config}\n` : '')
      + describeMetrics(m));
    return 0;
  });
}

/** Top-level components of the machine state whose encoded values differ. */
function stateDiff(a: StateRecord, b: StateRecord): string[] {
  const ma = (a.kind === 'retrovisor-checkpoint' ? a.machine : a) as StateRecord;
  const mb = (b.kind === 'retrovisor-checkpoint' ? b.machine : b) as StateRecord;
  const keys = new Set([...Object.keys(ma), ...Object.keys(mb)]);
  const diff: string[] = [];
  const ser = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Array.from(x) : x));
  for (const k of keys) {
    if (k === 'slots' && Array.isArray(ma[k]) && Array.isArray(mb[k])) {
      (ma[k] as unknown[]).forEach((s, i) => { if (ser(s) !== ser((mb[k] as unknown[])[i])) diff.push(`slots[${i}]`); });
    } else if (ser(ma[k]) !== ser(mb[k])) diff.push(k);
  }
  return diff;
}

export function checkpointDiff(aText: string, bText: string, opts: RepoOption): number {
  return withRepo(opts, 'read', (repo) => {
    const a = repo.readCheckpoint(parseId(repo, aText));
    const b = repo.readCheckpoint(parseId(repo, bText));
    const n = Math.max(a.map.length, b.map.length);
    let changed = 0, toZero = 0, fromZero = 0;
    const ranges: Array<[number, number]> = [];
    for (let p = 0; p < n; p++) {
      const x = a.map[p] ?? 0, y = b.map[p] ?? 0;
      if (x === y) continue;
      changed++;
      if (y === 0) toZero++;
      if (x === 0) fromZero++;
      const last = ranges[ranges.length - 1];
      if (last && last[1] === p) last[1] = p + 1; else ranges.push([p, p + 1]);
    }
    const components = stateDiff(decodeState(a.deviceState), decodeState(b.deviceState));
    const result = {
      from: a.meta.id, to: b.meta.id,
      instructions: b.meta.instructions - a.meta.instructions,
      guestTicks: b.meta.guestTime - a.meta.guestTime,
      pagesChanged: changed, pagesBecameZero: toZero, pagesWereZero: fromZero, ranges: ranges.length,
      stateComponentsChanged: components,
    };
    if (opts.json) { json({ ...result, firstRanges: ranges.slice(0, 50) }); return 0; }
    out(`checkpoint ${a.meta.id} → ${b.meta.id}: ${result.instructions.toLocaleString('en-US')} instructions, ${guestSeconds(result.guestTicks)} guest time\n`
      + `pages changed    ${changed} (${formatBytes(changed * PAGE_SIZE)}) in ${ranges.length} ranges; ${fromZero} were zero, ${toZero} became zero\n`
      + `state changed    ${components.length ? components.join(', ') : 'nothing'}\n`);
    for (const [s, e] of ranges.slice(0, 10)) out(`  pages ${s}${e - s > 1 ? `..${e - 1}` : ''}\n`);
    if (ranges.length > 10) out(`  … ${ranges.length - 10} more ranges\n`);
    return 0;
  });
}

export function checkpointRm(ids: string[], opts: RepoOption & { gc?: boolean }): number {
  return withRepo(opts, 'write', (repo) => {
    const removed = ids.map((t) => parseId(repo, t));
    repo.removeMany(removed);
    const gc = opts.gc === false ? null : repo.gc();
    if (opts.json) json({ removed, gc });
    else out(`removed ${removed.join(', ')}${gc ? `; garbage collection: ${gc.removedChunks} chunks, packs ${formatBytes(gc.bytesBefore)} → ${formatBytes(gc.bytesAfter)}` : ''}\n`);
    return 0;
  });
}

export interface PruneOptions extends RepoOption { keepLast?: string; keepEvery?: string; dryRun?: boolean; gc?: boolean }

export function checkpointPrune(opts: PruneOptions): number {
  if (opts.keepLast === undefined && opts.keepEvery === undefined) throw new Error('prune needs --keep-last N and/or --keep-every T');
  const keepLast = opts.keepLast === undefined ? undefined : Number(opts.keepLast);
  if (keepLast !== undefined && !(Number.isSafeInteger(keepLast) && keepLast >= 0)) throw new Error(`--keep-last ${opts.keepLast}: expected a count`);
  const span = opts.keepEvery === undefined ? undefined : parseSpan(opts.keepEvery);
  return withRepo(opts, opts.dryRun ? 'read' : 'write', (repo) => {
    const policy = { keepLast, keepEvery: span?.value, timeField: span?.field };
    const before = repo.list().length;
    if (opts.dryRun) {
      const ids = selectForRemoval(repo.list(), policy);
      if (opts.json) json({ wouldRemove: ids, kept: before - ids.length });
      else out(`would remove ${ids.length} of ${before} checkpoints${ids.length ? `: ${ids.join(', ')}` : ''}\n`);
      return 0;
    }
    progress(`pruning ${before} checkpoints…`);
    const removed = repo.prune(policy);
    const gc = opts.gc === false || removed.length === 0 ? null : (progress('collecting garbage…'), repo.gc());
    progress(null);
    if (opts.json) json({ removed, kept: before - removed.length, gc });
    else out(`removed ${removed.length} of ${before} checkpoints${removed.length ? ` (${removed.join(', ')})` : ''}${gc ? `; packs ${formatBytes(gc.bytesBefore)} → ${formatBytes(gc.bytesAfter)}` : ''}\n`);
    return 0;
  });
}

/** A one-line status on a terminal's stderr for operations that may take a while; null clears it. */
export function progress(text: string | null): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(text === null ? '\r\x1b[K' : `\r\x1b[K${text}`);
}
