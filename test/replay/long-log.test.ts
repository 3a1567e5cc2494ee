import { expect, test } from 'vitest';
import { longLogSuite } from './long-log.js';

// A log several times the reader's memory ceiling; long-log.slow.test.ts goes past 2 GiB.
longLogSuite(400, 200);

test('replay progress line: instructions, percent, speed, time left', async () => {
  const { formatReplayProgress } = await import('../../src/cli/replay-command.js');
  expect(formatReplayProgress(2_500_000_000, 10_000_000_000, 50, 0)).toBe('replay: 2,500,000,000 / 10,000,000,000 instructions (25.0%), 50.0 MIPS, ETA 2:30');
  expect(formatReplayProgress(10_000_000_000, 10_000_000_000, 100, 0)).toBe('replay: 10,000,000,000 / 10,000,000,000 instructions (100.0%), 100.0 MIPS');
  expect(formatReplayProgress(1_000_000_000, 1e12, 10, 0)).toMatch(/ETA 2:46:30$/);
});
