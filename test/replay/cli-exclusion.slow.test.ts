// record with a balloon and every data-reduction technique on, checkpoints into a repository, then
// replay the log whole and from a checkpoint: the guest's free page reports (pages zeroed at its
// notify) replay exactly, and checkpoints stored with references, sub-page and similarity deltas restore.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'retrovisor-excl-'));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
// report free blocks from 128 KiB (not 4 MiB), fill 6 MiB of tmpfs, free it, and idle long enough for the kernel's free page report (~2 s)
const SCRIPT = 'echo 5 > /sys/module/page_reporting/parameters/page_reporting_order; dd if=/dev/urandom of=/dev/shm/x bs=1M count=6 2>/dev/null; rm /dev/shm/x; sleep 4; i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done; echo EXCL-DONE; poweroff -f\n';

describe('record and replay with a balloon and every technique (CLI)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'free.rvr');
  const repo = join(dir, 'repo');

  it('records, shows the per-technique metrics, and replays whole and from a checkpoint', () => {
    const rec = spawnSync(process.execPath, [CLI, 'record', '-device', 'virtio-balloon-device', '--disk', '--no-pace', '--repo', repo,
      '--checkpoint-every', '60M', '--subpage-delta', '--similarity', '--page-cache-exclusion', '-o', log], { encoding: 'latin1', input: SCRIPT, timeout: 300_000 });
    expect(rec.status, rec.stderr).toBe(0);
    expect(rec.stdout).toContain('EXCL-DONE');

    const ls = cli('checkpoint', 'ls', '--repo', repo, '--json');
    expect(ls.status, ls.stderr).toBe(0);
    const ids = (JSON.parse(ls.stdout) as Array<{ id: number }>).map((c) => c.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const shows = ids.map((id) => cli('checkpoint', 'show', String(id), '--repo', repo).stdout);
    expect(shows.join('\n')).toMatch(/free \(reported\) [1-9]/);
    expect(shows[0]).toContain('sub-page delta');
    expect(shows[0]).toContain('disk reference');
    const verify = cli('repo', 'verify', '--repo', repo);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);

    const whole = cli('replay', log);
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stdout).toBe(rec.stdout);

    const mid = ids[ids.length - 2];
    const tail = cli('replay', log, '--from', String(mid), '--repo', repo);
    expect(tail.status, tail.stderr).toBe(0);
    expect(tail.stdout.length).toBeGreaterThan(0);
    expect(rec.stdout.endsWith(tail.stdout)).toBe(true);
  });
});
