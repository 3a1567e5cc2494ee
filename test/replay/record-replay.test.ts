// Record an interactive session (input at random instruction counts), replay it.
import { beforeAll, describe, expect, it } from 'vitest';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import type { LogEvent } from '../../src/replay/log-event.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { codecs, meta, recordSession, replayLog, type RecordedSession } from './session.js';

const seed = Number(process.env.REPLAY_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe(`record and replay (REPLAY_SEED=${seed})`, () => {
  let rec: RecordedSession;
  beforeAll(() => {
    rec = recordSession(seed);
  });

  it('the recorded session worked', () => {
    expect(rec.output).toContain('42\r\n');
    expect(rec.output).toContain('slept');
    const reader = new LogReader(rec.log, 'session.rvr', codecs);
    expect(reader.truncated).toBe(false);
    expect(reader.indexed).toBe(true);
  });

  it('replays to identical console output and final state', () => {
    const r = replayLog(rec.log);
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('end');
    expect(r.result.archChecks).toBeGreaterThan(10);
    expect(r.output).toBe(rec.output);
    expect(r.final).toEqual(rec.final);
  });

  it('replays from the middle snapshot to the same output from that point', () => {
    const r = replayLog(rec.log, {}, rec.snapshot);
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('end');
    expect(r.output).toBe(rec.output.slice(rec.outputAtSnapshot));
    expect(r.final).toEqual(rec.final);
  });

  it('an input moved by one instruction is reported as a divergence at that input', () => {
    const reader = new LogReader(rec.log, 'session.rvr', codecs);
    const events = [...reader.all()];
    const consoles = events.map((e, i) => [e, i] as const).filter(([e]) => e.kind === 'console');
    const [victim, at] = consoles[Math.floor(consoles.length / 2)];
    const sink = new MemorySink();
    const w = new LogWriter(sink, new ZstdCodec(3), meta(reader.meta.hashInterval));
    events.forEach((e, i) => {
      if (i !== at) { w.add(e); return; }
      // keep the log ordered: the moved event goes after others at its old instret
      w.add({ ...(e as Extract<LogEvent, { kind: 'console' }>), instret: e.instret + 1 });
    });
    w.close();
    const r = replayLog(sink.bytes(), { until: victim.instret + 20_000_000 });
    const d = r.result.divergence;
    expect(d).not.toBeNull();
    expect(d!.lastMatch).toBeLessThanOrEqual(victim.instret);
    expect(d!.firstMismatch).toBeGreaterThanOrEqual(victim.instret + 1);
    expect(d!.firstMismatch).toBeLessThanOrEqual(victim.instret + reader.meta.hashInterval + 1);
    // everything printed before the moved input is reproduced
    expect(rec.output.startsWith(r.output.slice(0, -200))).toBe(true);
  });
});
