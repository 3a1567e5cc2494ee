// The real debugger (gdb-multiarch, batch mode) against `retrovisor debug`'s
// Timeline over a recording of the bare-metal debuggee: reverse-stepi,
// reverse-continue, reverse watchpoints, the start and end of history.
import { beforeAll, describe, expect, it } from 'vitest';
import { debuggeeTimeline, pcs, recordDebuggee, runGdb } from '../support/gdb.js';

let log: Uint8Array;
beforeAll(() => {
  log = recordDebuggee();
});

describe('gdb-multiarch against a recording', () => {
  it('ten stepi then ten reverse-stepi visit the same pcs in reverse', async () => {
    const t = debuggeeTimeline(log, { checkpointEvery: 5_000 });
    const fwd: string[] = [];
    const cmds = ['break record', 'continue', 'delete', 'info registers pc'];
    for (let i = 0; i < 10; i++) cmds.push('stepi', 'info registers pc');
    for (let i = 0; i < 10; i++) cmds.push('reverse-stepi', 'info registers pc');
    const { out } = await runGdb(t, cmds);
    const seen = pcs(out);
    expect(seen.length, out).toBe(21);
    fwd.push(...seen.slice(0, 11));
    const back = seen.slice(10);
    expect(back).toEqual([...fwd].reverse());
    // the stepping went somewhere (a loop of calls and returns, not one pc)
    expect(new Set(fwd).size).toBeGreaterThan(5);
  });

  it('reverse-continue stops at the last hit of a breakpoint; registers and memory equal those seen going forward', async () => {
    const t = debuggeeTimeline(log, { checkpointEvery: 20_000 });
    const { out } = await runGdb(t, [
      'break record', 'continue', 'continue', 'continue',
      'echo =A=\\n', 'p v', 'p counter', 'info registers', 'x/16gx history',
      'continue', 'continue',
      'reverse-continue', 'reverse-continue',
      'echo =B=\\n', 'p v', 'p counter', 'info registers', 'x/16gx history',
      'echo =END=\\n',
    ]);
    const a = out.slice(out.indexOf('=A='), out.indexOf('Breakpoint 1, record', out.indexOf('=A=')));
    const b = out.slice(out.indexOf('=B='), out.indexOf('=END='));
    expect(a.length).toBeGreaterThan(200);
    const strip = (s: string): string => s.trim().replace(/=[AB]=/, '').replace(/\$\d+ = /g, '$ = ');
    expect(strip(b), out).toBe(strip(a));
    expect(out).toMatch(/Breakpoint 1, record \(v=v@entry=39\)/);
  });

  it('a reverse watchpoint finds the instruction that last wrote a variable', async () => {
    const t = debuggeeTimeline(log);
    const { out } = await runGdb(t, [
      'break main', 'continue', 'break debuggee.c:35', 'continue', 'delete',
      'echo =FWD=\\n', 'p counter', 'watch counter', 'reverse-continue', 'info registers pc', 'p counter', 'p v', 'x/i $pc',
    ]);
    const tail = out.slice(out.indexOf('=FWD='));
    // the last write is record()'s `counter = v` (an sd) at the last loop iteration
    expect(tail, out).toMatch(/Hardware watchpoint \d+: counter[\s\S]*Old value = \d+[\s\S]*New value = \d+/);
    expect(tail).toMatch(/in record \(v=/);
    expect(tail).toMatch(/=> 0x[0-9a-f]+ <record\+\d+>:\s+sd\s/);
    // memory before the write: the previous iteration's value
    const vals = [...tail.matchAll(/^\$\d+ = (\d+)/gm)].map((m) => BigInt(m[1]));
    expect(vals.length).toBe(3);
    expect(vals[1]).not.toBe(vals[0]); // counter before the write differs from the final value
    expect(vals[2]).toBe(vals[0]); // v (the value being stored) is the final value
  });

  it('reverse beyond the start reports the start of history; the end of the recording is a stop', async () => {
    const t = debuggeeTimeline(log);
    const { out } = await runGdb(t, [
      'stepi', 'stepi', 'reverse-stepi', 'reverse-stepi', 'reverse-stepi', 'info registers pc',
      'continue', 'info registers pc', 'reverse-stepi', 'info registers pc', 'monitor when',
    ]);
    expect(out).toMatch(/No more reverse-execution history\.\n_start \(\) at start\.S/);
    const p = pcs(out);
    expect(p[0]).toBe('0x80000000');
    // forward to the end: a stop (GDB says so), and we can step back from there
    expect(out.match(/No more reverse-execution history/g)?.length, out).toBe(2);
    expect(p[2]).not.toBe(p[1]);
    expect(out).toMatch(/instret \d+, pc 0x/);
  });

  it('reverse-finish, reverse-next and reverse-step work through GDB\'s own use of bs/bc', async () => {
    const t = debuggeeTimeline(log, { checkpointEvery: 20_000 });
    const { out } = await runGdb(t, [
      'break record', 'continue', 'continue', 'delete',
      'reverse-finish', 'echo =F=\n', 'info registers pc', 'reverse-next', 'echo =N=\n', 'info registers pc', 'reverse-step', 'echo =S=\n', 'bt 1',
    ]);
    // back out of record(12) to its call in main, over the line before, and into step(), called just before
    expect(out).toMatch(/=F=\npc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>/);
    expect(out).toMatch(/=N=\npc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>/);
    expect(out).toMatch(/=S=\n#0 {2}0x[0-9a-f]+ in step \(x=x@entry=4\)/);
  });

  it('monitor commands: help, when, goto, checkpoint, checkpoints, info', async () => {
    const t = debuggeeTimeline(log);
    const { out } = await runGdb(t, [
      'monitor help', 'monitor goto 30000', 'maintenance flush register-cache', 'monitor when', 'monitor checkpoint', 'monitor checkpoints', 'monitor info', 'monitor bogus',
    ]);
    expect(out).toContain('goto N');
    expect(out).toMatch(/instret 30000, pc 0x/);
    expect(out).toMatch(/checkpoint \d+ at instret 30000/);
    expect(out).toMatch(/instret 30000\s+user/);
    expect(out).toMatch(/recording debuggee\.rvr: starts at boot/);
    expect(out).toContain('unknown monitor command "bogus"');
  });
});
