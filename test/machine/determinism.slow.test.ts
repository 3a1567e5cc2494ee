// The determinism contract with the translators off: the interpreter alone ends in the same state
// as the default engine (wasm where it can run; determinism.test.ts compares the JS and wasm tiers; replays with the interpreter
// from mid-session are in test/replay/record-replay.test.ts).
import { describe, expect, it } from 'vitest';
import { expectSameGuest, scriptedRun } from './determinism-run.js';

describe('determinism (interpreter)', () => {
  it('translators are invisible to the guest: the interpreter alone reaches the marker at the same instruction and ends in the same state', () => {
    const a = scriptedRun();
    const c = scriptedRun(false);
    expect(a.blocks).toBeGreaterThan(0);
    expect(c.blocks).toBe(0);
    expect(a.output).toContain('56088');
    expectSameGuest(c, a);
  });
});
