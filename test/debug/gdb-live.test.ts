// The real debugger against `retrovisor run -S -gdb tcp::PORT` (the CLI as
// users run it): breakpoints, watchpoints, registers, Ctrl-C during a long
// continue, and `record` under a debugger still replays.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, freePort } from '../support/cli-vm.js';
import { DEBUGGEE } from '../support/gdb.js';
import { liveGdbSession, type LiveGdbRun } from '../support/live-gdb.js';

const dir = mkdtempSync(join(tmpdir(), 'retrovisor-gdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the CLI on the debuggee with a GDB server waiting (-S), runs gdb-multiarch with `commands`, returns both outputs. */
const session = (cliArgs: string[], commands: string[]): Promise<LiveGdbRun> =>
  liveGdbSession([...cliArgs, '-m', '16M', '-bios', 'none', '-kernel', DEBUGGEE, '--no-pace'], commands, DEBUGGEE);

describe('gdb-multiarch against a live machine', () => {
  it('-S waits at the first instruction; breakpoints, watchpoints, registers, stepping; the guest finishes normally', async () => {
    const { gdb, vm } = await session(['run'], [
      'info registers pc', 'break record', 'continue', 'bt', 'p v', 'watch counter', 'continue', 'delete',
      'p $priv', 'p/x $mstatus', 'p $fcsr', 'stepi', 'info registers pc', 'continue',
    ]);
    expect(gdb).toMatch(/^pc\s+0x80000000\s+0x80000000 <_start>/m);
    expect(gdb).toMatch(/Breakpoint 1, record \(v=v@entry=4\) at debuggee\.c:25/);
    expect(gdb).toMatch(/#1 {2}0x[0-9a-f]+ in main \(\) at debuggee\.c:\d+/);
    expect(gdb).toMatch(/Hardware watchpoint 2: counter\s+Old value = 0\s+New value = 4/);
    expect(gdb).toMatch(/\$\d+ = 3\n/); // priv: M-mode
    expect(gdb).toMatch(/\[Inferior 1 \(Remote target\) exited normally\]/);
    expect(vm).toContain('debuggee done');
  });

  it('Ctrl-C interrupts a long continue', async () => {
    const { gdb } = await session(['run'], [
      'break main', 'continue', 'delete', 'set var forever = 1',
      'python import threading; threading.Timer(1.0, lambda: gdb.post_event(lambda: gdb.execute("interrupt"))).start()',
      'continue', 'p counter > 1000', 'set var forever = 0', 'continue',
    ]);
    expect(gdb).toMatch(/Program received signal SIGINT, Interrupt\.\n0x[0-9a-f]+ in main \(\) at debuggee\.c:36/);
    expect(gdb).toMatch(/\$1 = 1\n/);
    expect(gdb).toMatch(/exited normally/);
  });

  it('record under a debugger that stops at breakpoints: the log replays to the same end', async () => {
    const log = join(dir, 'debugged.rvr');
    const { gdb, vmCode } = await session(['record', '-o', log], ['break step', 'continue', 'continue', 'continue', 'delete', 'continue']);
    expect(gdb).toMatch(/exited normally/);
    expect(vmCode).toBe(0);
    const r = spawnSync(process.execPath, [CLI, 'replay', log], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('debuggee done');
  });
});

describe('retrovisor debug with a repository', () => {
  it('going forward restores the repository checkpoints the log marks instead of replaying up to them', async () => {
    const repo = join(dir, 'repo');
    const log = join(dir, 'ckpt.rvr');
    const rec = spawnSync(process.execPath, [CLI, 'record', '-m', '16M', '-bios', 'none', '-kernel', DEBUGGEE, '--no-pace', '--repo', repo, '--checkpoint-every', '20000', '-o', log], { encoding: 'utf8', timeout: 120_000 });
    expect(rec.status, rec.stderr).toBe(0);
    expect(rec.stderr).toMatch(/the log marks [1-9]\d* checkpoints/);
    const port = await freePort();
    const dbg = spawn(process.execPath, [CLI, 'debug', log, '--repo', repo, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    await new Promise<void>((res) => dbg.stderr.on('data', (b: Buffer) => { err += b.toString(); if (err.includes('serving')) res(); }));
    const g = spawnSync('gdb-multiarch', ['-batch', '-nx', '-ex', `file ${DEBUGGEE}`, '-ex', `target remote 127.0.0.1:${port}`,
      '-ex', 'monitor goto 50000', '-ex', 'monitor checkpoints', '-ex', 'break record', '-ex', 'reverse-continue', '-ex', 'p v', '-ex', 'monitor when'], { encoding: 'utf8', timeout: 60_000 });
    const code = await new Promise<number | null>((res) => dbg.on('close', (c) => res(c)));
    expect(code).toBe(0);
    const out = g.stdout + g.stderr;
    expect(out).toMatch(/instret 50000, pc 0x/);
    expect(out).toMatch(/instret 40000\s+repository/);
    expect(out).toMatch(/Breakpoint 1, record \(v=v@entry=\d+\)/);
  });
});
