import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { tempDir } from '../store/helpers.js';
import { transpileTree } from '../store/transpile.js';

/**
 * Writes a synthetic replay log of `mib` MiB spanning 2·10^10 instructions, then
 * streams every event back in a child process whose peak RSS must stay under
 * `ceilingMiB` — far below the log's size.
 */
export function longLogSuite(mib: number, ceilingMiB: number): void {
  const root = resolve(import.meta.dirname, '../..');
  const build = join(root, 'node_modules', '.cache', `rv-longlog-${process.pid}`);
  let dir = '';
  let cleanup = () => {};
  beforeAll(() => {
    transpileTree(root, ['src/machine/memory.ts', 'src/encoding', 'src/replay', 'src/node/replay-log-file.ts', 'src/node/codecs', 'test/replay/long-log-child.ts'], build);
    ({ dir, cleanup } = tempDir('rv-longlog-'));
  });
  afterAll(() => {
    cleanup();
    rmSync(build, { recursive: true, force: true });
  });

  test(`a ${mib} MiB log of 2·10^10 instructions streams with peak RSS under ${ceilingMiB} MiB`, () => {
    const log = join(dir, 'long.rvr');
    const child = join(build, 'test/replay/long-log-child.js');
    const w = spawnSync(process.execPath, [child, 'write', log, String(mib)], { encoding: 'utf8', timeout: 1_200_000 });
    expect(w.status, w.stderr).toBe(0);
    const size = statSync(log).size;
    expect(size).toBeGreaterThan(mib * 2 ** 20 * 0.95);
    const r = spawnSync(process.execPath, [child, 'read', log], { encoding: 'utf8', timeout: 1_200_000 });
    expect(r.status, r.stderr).toBe(0);
    const [events, last, rss] = r.stdout.trim().split(' ').map(Number);
    expect(events).toBe(Math.ceil((mib * 2 ** 20) / 4110));
    expect(last).toBeGreaterThan(1e10);
    console.log(`long log: ${(size / 2 ** 20).toFixed(0)} MiB, ${events} events up to instret ${last.toExponential(2)}, reader peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
    expect(rss).toBeLessThan(ceilingMiB * 2 ** 20);
  });
}
