/** `retrovisor repo verify|stats`. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_SIZE } from '../machine/memory.js';
import { formatBytes, table } from './checkpoint-format.js';
import { progress, type RepoOption } from './checkpoint-command.js';
import { openRepository } from './repo-location.js';

const out = (s: string) => process.stdout.write(s);

export function repoVerify(opts: RepoOption): number {
  const { repo, dir } = openRepository(opts.repo, 'read');
  try {
    progress(`verifying ${dir}…`);
    const t0 = performance.now();
    const problems = repo.verify();
    progress(null);
    const errors = problems.filter((p) => p.severity === 'error').length;
    if (opts.json) out(JSON.stringify({ ok: errors === 0, checkpoints: repo.list().length, errors, warnings: problems.length - errors, problems }, null, 2) + '\n');
    else {
      for (const p of problems) out(`${p.severity}: ${p.file}${p.checkpoint !== undefined ? ` checkpoint ${p.checkpoint}` : ''}${p.chunk !== undefined ? ` chunk ${p.chunk}` : ''}: ${p.message}\n`);
      out(`${errors === 0 ? 'ok' : 'DAMAGED'}: ${repo.list().length} checkpoints, ${errors} errors, ${problems.length - errors} warnings (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
    }
    return errors === 0 ? 0 : 1;
  } finally {
    repo.close();
  }
}

function dirBytes(path: string): { files: number; bytes: number } {
  let files = 0, bytes = 0;
  try {
    for (const f of readdirSync(path)) { files++; bytes += statSync(join(path, f)).size; }
  } catch { /* missing directory: empty */ }
  return { files, bytes };
}

export function repoStats(opts: RepoOption): number {
  const { repo, dir } = openRepository(opts.repo, 'read');
  try {
    const list = repo.list().sort((a, b) => a.id - b.id);
    const chunks = new Set<number>();
    let logical = 0, zero = 0;
    list.forEach((c, i) => {
      progress(`reading page maps ${i + 1}/${list.length}…`);
      const { map } = repo.readCheckpoint(c.id);
      logical += map.length * PAGE_SIZE;
      for (const id of map) { if (id === 0) zero++; else chunks.add(id); }
    });
    progress(null);
    const packs = dirBytes(join(dir, 'packs'));
    const ckpts = dirBytes(join(dir, 'checkpoints'));
    const index = statSync(join(dir, 'index.log')).size;
    const onDisk = packs.bytes + ckpts.bytes + index;
    const m = (k: string) => list.map((c) => (c.metrics as Record<string, unknown> | undefined)?.[k]).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
    const down = m('downtimeMs');
    const stats = {
      dir, checkpoints: list.length, full: list.filter((c) => c.parent === null).length,
      logicalBytes: logical, zeroPages: zero, liveChunks: chunks.size,
      packFiles: packs.files, packBytes: packs.bytes, checkpointFileBytes: ckpts.bytes, indexBytes: index, onDiskBytes: onDisk,
      payloadWritten: list.reduce((s, c) => s + c.bytesWritten, 0),
      downtimeMs: down.length ? { median: down[down.length >> 1], max: down[down.length - 1] } : null,
    };
    if (opts.json) { out(JSON.stringify(stats, null, 2) + '\n'); return 0; }
    out(table([
      ['repository', dir],
      ['checkpoints', `${list.length} (${stats.full} full)`],
      ['logical size', `${formatBytes(logical)} (sum of every checkpoint's RAM + disk pages)`],
      ['live chunks', `${chunks.size} (${zero} zero page entries need none)`],
      ['on disk', `${formatBytes(onDisk)}: packs ${formatBytes(packs.bytes)} in ${packs.files} files, checkpoint files ${formatBytes(ckpts.bytes)}, index ${formatBytes(index)}`],
      ['ratio', onDisk ? `${(logical / onDisk).toFixed(1)}× logical / on disk` : '-'],
      ['downtime', stats.downtimeMs ? `median ${stats.downtimeMs.median.toFixed(1)} ms, max ${stats.downtimeMs.max.toFixed(1)} ms` : '-'],
    ]));
    return 0;
  } finally {
    repo.close();
  }
}
