// The Timeline without GDB: the same instruction count reached from any
// direction is the same state, reverse-continue is interruptible, and the
// recording is never changed.
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCH_WORDS, captureArch, hashArch } from '../../src/replay/arch-state.js';
import { hashRam } from '../../src/replay/ram-hash.js';
import type { Timeline } from '../../src/debug/timeline.js';
import { debuggeeTimeline, recordDebuggee } from '../support/gdb.js';

let log: Uint8Array;
beforeAll(() => {
  log = recordDebuggee();
});

function state(t: Timeline): { instret: number; arch: number; ram: number } {
  const w = new Int32Array(ARCH_WORDS);
  captureArch(t.machine, w);
  return { instret: t.instret, arch: hashArch(w), ram: hashRam(t.machine.ram).hash };
}

describe('Timeline', () => {
  it('reaches the same state at an instruction count from before, from after, and by stepping back', async () => {
    const copy = log.slice();
    const a = debuggeeTimeline(log, { checkpointEvery: 7_000 });
    await a.goto(31_234);
    const want = state(a);
    await a.goto(60_000);
    await a.goto(31_234);
    expect(state(a)).toEqual(want);
    await a.goto(31_240);
    for (let i = 0; i < 6; i++) await a.execute('reverse-step');
    expect(state(a)).toEqual(want);
    const b = debuggeeTimeline(log, { checkpointEvery: 1_000_000 });
    await b.goto(31_234);
    expect(state(b)).toEqual(want);
    expect(log).toEqual(copy); // the recording is only read
  });

  it('checkpoints share unchanged pages', async () => {
    const t = debuggeeTimeline(log, { checkpointEvery: 10_000 });
    await t.goto(60_000);
    const cps = t.checkpointList;
    expect(cps.length).toBeGreaterThanOrEqual(6);
    // each periodic checkpoint copies only the few pages the program wrote in between
    for (const c of cps.slice(1)) expect(c.bytes).toBeLessThanOrEqual(4 * 4096);
  });

  it('an interrupted reverse-continue stops with SIGINT where it started', async () => {
    const t = debuggeeTimeline(log, { checkpointEvery: 1_000_000, chunk: 500 });
    await t.goto(60_000);
    const here = state(t);
    t.points.addBreakpoint(0x1000n); // never hit: the scan would go back to the start
    const pending = t.execute('reverse-continue');
    t.interrupt();
    expect(await pending).toEqual({ kind: 'signal', signal: 2 });
    expect(state(t)).toEqual(here);
    // without the interrupt it reaches the start of history
    expect(await t.execute('reverse-continue')).toEqual({ kind: 'history', edge: 'begin' });
    expect(t.instret).toBe(0);
  });
});
