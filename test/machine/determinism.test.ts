// The determinism contract: same inputs, same instructions, same state. The interpreter-only
// variant (a third boot, the slowest) is determinism.slow.test.ts.
import { describe, expect, it } from 'vitest';
import { expectSameGuest, scriptedRun } from './determinism-run.js';

describe('determinism', () => {
  it('two runs with the same inputs reach the marker at the same instruction and end in the same state, with the JS tier or the wasm tier', () => {
    const a = scriptedRun(true, 'js'); // named: the default engine is wasm where it can run
    const b = scriptedRun(true, 'wasm'); // a second run, with the other translator: equal to the first
    expect(a.blocks).toBeGreaterThan(0);
    expect(b.blocks).toBeGreaterThan(0);
    expect(a.output).toContain('56088');
    expectSameGuest(b, a);
  });
});
