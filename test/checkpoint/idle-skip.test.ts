// The idle-skip rule recording and replay share (src/checkpoint/idle-skip.ts): an idle hart jumps
// to its deadline, stops at a checkpoint due before it, and never moves time backwards.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idleSkipTarget } from '../../src/checkpoint/idle-skip.js';

describe('idleSkipTarget', () => {
  it('skips to the deadline, bounded by a checkpoint due first, never backwards', () => {
    expect(idleSkipTarget(100, 500, 1000)).toBe(500); // checkpoint after the deadline: a whole skip
    expect(idleSkipTarget(100, 500, 300)).toBe(300); // checkpoint first: stop there
    expect(idleSkipTarget(100, 500, 50)).toBe(100); // checkpoint already past: no skip
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.nat(), (now, ahead, bound) => {
      const deadline = now + ahead;
      const t = idleSkipTarget(now, deadline, bound);
      expect(t).toBeGreaterThanOrEqual(now);
      expect(t).toBeLessThanOrEqual(deadline);
      expect(t).toBe(bound >= now && bound <= deadline ? bound : bound < now ? now : deadline);
    }));
  });
});
