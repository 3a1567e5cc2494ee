// A plain `run` loads the checkpoint session only at the first Ctrl-A s; until then its hooks act as
// the session's would with nothing captured, and afterwards they are the session's.
import { describe, expect, it } from 'vitest';
import { checkpointHooksFor, deferredCheckpointHooks } from '../../src/cli/deferred-checkpoint-hooks.js';
import type { RunHooks } from '../../src/cli/run-command.js';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';

const vm = {} as VirtMachine;

describe('deferred checkpoint hooks', () => {
  it('load the session at the first checkpoint request and delegate to it from then on', async () => {
    const calls: string[] = [];
    let loads = 0;
    const real: RunHooks = {
      started: () => { calls.push('started'); },
      checkpoint: () => { calls.push('checkpoint'); },
      sliceLimit: (_vm, max) => Math.min(max, 7),
      idleWork: () => true,
      finished: () => { calls.push('finished'); },
    };
    const hooks = deferredCheckpointHooks(async () => { loads++; return real; });
    expect(hooks.sliceLimit!(vm, 100)).toBe(100);
    expect(hooks.idleWork!(vm, 1)).toBe(false);
    expect(hooks.skipLimit).toBeUndefined();
    expect(loads).toBe(0);
    await hooks.checkpoint!(vm);
    await hooks.checkpoint!(vm);
    expect(loads).toBe(1);
    expect(hooks.sliceLimit!(vm, 100)).toBe(7);
    expect(hooks.idleWork!(vm, 1)).toBe(true);
    hooks.finished!(vm, { kind: 'limit' }, false);
    expect(calls).toEqual(['started', 'checkpoint', 'checkpoint', 'finished']);
  });

  it('a run with any checkpoint option gets the session at once (and its checks of the options)', async () => {
    expect((await checkpointHooksFor({})).skipLimit).toBeUndefined();
    const periodic = await checkpointHooksFor({ checkpointEvery: '50M' });
    expect(periodic.skipLimit).toBeDefined();
    await expect(checkpointHooksFor({ checkpointMode: 'sometimes' })).rejects.toThrow(/unknown checkpoint mode/);
    await expect(checkpointHooksFor({ freePageExclusion: false, checkpointPressure: 'never' })).rejects.toThrow(/--checkpoint-pressure/);
  });
});
