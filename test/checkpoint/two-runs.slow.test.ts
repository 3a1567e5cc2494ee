// The scenario through the built CLI: two `run`s checkpoint into one repository at once.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'retrovisor-two-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repo = join(dir, 'repo');

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'run', '--repo', repo, '--no-pace', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString('latin1'); });
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('two runs checkpointing every 20 ms into one repository: verify is clean and checkpoints of both restore', async () => {
  const n = process.env.TWO_RUNS_INSTRUCTIONS ?? '200M';
  const [a, b] = await Promise.all([
    run(['--workload', 'memtouch', '--args', '32,100', '--checkpoint-every', '20ms', '--max-instructions', n]),
    run(['--workload', 'compute', '--args', '4,64', '--checkpoint-every', '20ms', '--max-instructions', n]),
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  expect(a.stderr + b.stderr).not.toContain('checkpoint failed');
  const verify = spawnSync(process.execPath, [CLI, 'repo', 'verify', '--repo', repo, '--json'], { encoding: 'utf8', timeout: 600_000 });
  expect(verify.status, verify.stdout).toBe(0);
  const v = JSON.parse(verify.stdout) as { ok: boolean; checkpoints: number; errors: number };
  expect(v.errors).toBe(0);
  const ls = JSON.parse(spawnSync(process.execPath, [CLI, 'checkpoint', 'ls', '--repo', repo, '--json'], { encoding: 'utf8' }).stdout) as Array<{ id: number; parent: number | null }>;
  const fulls = ls.filter((c) => c.parent === null).map((c) => c.id);
  expect(fulls.length).toBeGreaterThanOrEqual(2); // one chain per VM
  // the newest checkpoint of each chain restores and runs on
  for (const id of [ls[ls.length - 1].id, ...ls.filter((c) => !ls.some((d) => d.parent === c.id)).map((c) => c.id)].slice(0, 2)) {
    const r = spawnSync(process.execPath, [CLI, 'restore', String(id), '--repo', repo, '--no-pace', '--max-instructions', '2M'], { encoding: 'latin1', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`restored checkpoint ${id}`);
  }
  console.log(`two runs: ${v.checkpoints} checkpoints, verify clean`);
});
