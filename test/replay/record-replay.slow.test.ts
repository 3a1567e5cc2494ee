// The seed reproduces a recorded session: recording it twice gives the same log bytes, output and
// final state (two whole sessions from boot; the replays of one are record-replay.test.ts).
import { describe, expect, it } from 'vitest';
import { recordSession } from './session.js';

const seed = Number(process.env.REPLAY_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`record-replay (slow): REPLAY_SEED=${seed}`);

describe(`recording is reproducible (REPLAY_SEED=${seed})`, () => {
  it('the seed reproduces the session: recording it again gives the same log bytes and output', () => {
    const rec = recordSession(seed);
    const again = recordSession(seed);
    expect(again.output).toBe(rec.output);
    expect(Buffer.compare(Buffer.from(again.log), Buffer.from(rec.log))).toBe(0);
    expect(again.final).toEqual(rec.final);
  });
});
