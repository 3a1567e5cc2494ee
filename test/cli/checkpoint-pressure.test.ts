// --checkpoint-pressure: 'wait' keeps the grid on the virtual clock; on the realtime clock (not replayable from a
// grid) the default is 'coalesce', so a capture that falls behind never stops a guest that owes work by host time.
import { expect, test } from 'vitest';
import { checkpointPressure } from '../../src/cli/checkpoint-session.js';

test('back-pressure defaults by clock; an explicit choice wins; a bad value is refused', () => {
  expect(checkpointPressure(undefined)).toBe('wait');
  expect(checkpointPressure(undefined, 'virtual')).toBe('wait');
  expect(checkpointPressure(undefined, 'realtime')).toBe('coalesce');
  expect(checkpointPressure('wait', 'realtime')).toBe('wait');
  expect(checkpointPressure('coalesce', 'virtual')).toBe('coalesce');
  expect(() => checkpointPressure('drop', 'realtime')).toThrow(/wait or coalesce/);
});
