// SIGTERM/SIGINT/SIGHUP end `record` cleanly (complete log); SIGKILL loses at most about the last second.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openReplayLog } from '../../src/node/replay-log-file.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'retrovisor-sig-'));

/**
 * Starts `record` of a long computation and sends `signal` once the log has
 * grown `growths` times (frames reached the file: the recording runs), so
 * nothing depends on how fast this machine is.
 */
function recordUntil(log: string, signal: NodeJS.Signals, growths: number): Promise<{ code: number | null; sig: string | null; stdout: string; stderr: string; gaps: number[] }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'record', '-o', log, '--workload', 'compute', '--args', '400,64', '--no-pace', '--hash-interval', '1M'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString('latin1'); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString('latin1'); });
    let last = -1, seen = 0, lastChange = 0, sent = false;
    const gaps: number[] = [];
    const poll = setInterval(() => {
      let size: number;
      try { size = statSync(log).size; } catch { return; }
      // the header is written before the machine runs: count frames only
      if (size === last || size < 256) return;
      const now = Date.now();
      if (last >= 0) { seen++; gaps.push(now - lastChange); }
      last = size;
      lastChange = now;
      if (seen >= growths && !sent) { sent = true; p.kill(signal); }
    }, 20);
    p.on('exit', (code, sig) => { clearInterval(poll); resolve({ code, sig, stdout, stderr, gaps }); });
  });
}

describe('signals', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    it(`${signal} ends record cleanly: the log is complete and replays to its end`, async () => {
      const log = join(dir, `${signal}.rvr`);
      const r = await recordUntil(log, signal, 1);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toContain(`stopped by ${signal}`);
      expect(r.stderr).toMatch(/recorded \d+ events/);
      const reader = openReplayLog(log);
      expect(reader.truncated, reader.truncation).toBe(false);
      const rep = spawnSync(process.execPath, [CLI, 'replay', log], { encoding: 'latin1', timeout: 120_000 });
      expect(rep.status, rep.stderr).toBe(0);
      expect(rep.stdout).toBe(r.stdout);
    });
  }

  it('SIGKILL loses at most about the last second: frames reach the file at least once a second', async () => {
    const log = join(dir, 'killed.rvr');
    // a log written only when its frame buffer fills would not grow at all here
    const r = await recordUntil(log, 'SIGKILL', 3);
    expect(r.sig).toBe('SIGKILL');
    const reader = openReplayLog(log);
    // no trailer, but every frame written is whole and readable
    expect(reader.truncated).toBe(true);
    expect(reader.frames.length).toBeGreaterThanOrEqual(3);
    let events = 0;
    for (let i = 0; i < reader.frames.length; i++) for (const _e of reader.events(i)) events++;
    expect(events).toBeGreaterThan(0);
    console.log(`SIGKILL: ${reader.frames.length} frames on disk; the log grew every ${r.gaps.slice(1).join(', ')} ms (flush period 1 s plus a run slice)`);
  });
});
