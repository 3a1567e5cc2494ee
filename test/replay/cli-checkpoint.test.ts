// record --checkpoint-every into a repository, then replay the whole log and from a checkpoint, through the built CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'retrovisor-rr-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

describe('record and replay with repository checkpoints (CLI)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'compute.rvr');
  const repo = join(dir, 'repo');

  it('records a workload with periodic checkpoints and replays it whole and from a checkpoint', () => {
    const rec = cli('record', '--workload', 'compute', '--args', '2,16', '--no-pace', '--repo', repo, '--checkpoint-every', '20M', '-o', log);
    expect(rec.status, rec.stderr).toBe(0);
    expect(rec.stdout).toContain('RV-WORKLOAD-END compute status=0');
    expect(rec.stderr).toMatch(/the log marks \d+ checkpoints/);

    const ls = cli('checkpoint', 'ls', '--repo', repo, '--json');
    expect(ls.status, ls.stderr).toBe(0);
    const ids = (JSON.parse(ls.stdout) as Array<{ id: number }>).map((c) => c.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);

    const whole = cli('replay', log);
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stdout).toBe(rec.stdout);

    const mid = ids[1];
    const tail = cli('replay', log, '--from', String(mid), '--repo', repo);
    expect(tail.status, tail.stderr).toBe(0);
    expect(tail.stdout.length).toBeGreaterThan(0);
    expect(tail.stdout.length).toBeLessThan(rec.stdout.length);
    expect(rec.stdout.endsWith(tail.stdout)).toBe(true);

    // a new recording that starts at that checkpoint, replayed (the log names the checkpoint)
    const log2 = join(dir, 'from-checkpoint.rvr');
    const rec2 = cli('record', '--from', String(mid), '--repo', repo, '--no-pace', '-o', log2);
    expect(rec2.status, rec2.stderr).toBe(0);
    expect(rec2.stdout).toBe(tail.stdout);
    const again = cli('replay', log2, '--repo', repo);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe(rec2.stdout);
    const missing = cli('replay', log2, '--repo', join(dir, 'nowhere'));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('no checkpoint repository');
  });
});
