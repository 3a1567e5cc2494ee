// Record an interactive session (input at random instruction counts), replay it. That recording
// the same seed twice gives the same log bytes is record-replay.slow.test.ts (a second whole session).
import { beforeAll, describe, expect, it } from 'vitest';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import type { LogEvent } from '../../src/replay/log-event.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { codecs, meta, recordSession, replayLog, type RecordedSession } from './session.js';

const seed = Number(process.env.REPLAY_SEED ?? Math.floor(Math.random() * 2 ** 31));
// a failure is reproduced with REPLAY_SEED=<seed> npx vitest run test/replay/record-replay.test.ts
console.log(`record-replay: REPLAY_SEED=${seed}`);

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
    const r = replayLog(rec.log, { from: rec.snapshot });
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('end');
    expect(r.output).toBe(rec.output.slice(rec.outputAtSnapshot));
    expect(r.final).toEqual(rec.final);
  });

  it('translation decisions are invisible: replays from the middle snapshot with other thresholds and engines end in the same state', () => {
    // heat counters are not part of a checkpoint, so a replay translates at other points than the recording did
    for (const guest of [{ hotThreshold: 0 }, { engine: 'interpreter' }]) {
      const r = replayLog(rec.log, { from: rec.snapshot, guest });
      expect({ guest, divergence: r.result.divergence }).toEqual({ guest, divergence: null });
      expect(r.result.stop).toBe('end');
      expect(r.output).toBe(rec.output.slice(rec.outputAtSnapshot));
      expect(r.final).toEqual(rec.final);
    }
  });

  it('an input moved by one instruction is reported as a divergence at that input', () => {
    const reader = new LogReader(rec.log, 'session.rvr', codecs);
    const events = [...reader.all()];
    // an input typed after the middle snapshot, so the replay starts there instead of replaying the boot
    const mid = events.findIndex((e) => e.kind === 'checkpoint' && e.id === rec.snapshot.id);
    const consoles = events.map((e, i) => [e, i] as const).filter(([e, i]) => e.kind === 'console' && i > mid);
    expect(mid).toBeGreaterThan(0);
    expect(consoles.length).toBeGreaterThan(10);
    const [victim, at] = consoles[Math.floor(consoles.length / 2)];
    const sink = new MemorySink();
    const w = new LogWriter(sink, new ZstdCodec(3), meta(reader.meta.hashInterval));
    events.forEach((e, i) => {
      if (e.kind === 'checkpoint') w.flush(); // as the recorder does: a marker starts a frame, so the replay can seek to it
      if (i !== at) { w.add(e); return; }
      // keep the log ordered: the moved event goes after others at its old instret
      w.add({ ...(e as Extract<LogEvent, { kind: 'console' }>), instret: e.instret + 1 });
    });
    w.close();
    const r = replayLog(sink.bytes(), { from: rec.snapshot, until: victim.instret + 20_000_000 });
    const d = r.result.divergence;
    expect(d).not.toBeNull();
    expect(d!.lastMatch).toBeLessThanOrEqual(victim.instret);
    expect(d!.firstMismatch).toBeGreaterThanOrEqual(victim.instret + 1);
    expect(d!.firstMismatch).toBeLessThanOrEqual(victim.instret + reader.meta.hashInterval + 1);
    // everything printed before the moved input is reproduced
    expect(rec.output.slice(rec.outputAtSnapshot).startsWith(r.output.slice(0, -200))).toBe(true);
  });

  it('changed entropy is detected, naming the differing registers or RAM region', () => {
    const reader = new LogReader(rec.log, 'session.rvr', codecs);
    const events = [...reader.all()];
    const start = events.findIndex((e) => e.kind === 'start');
    const sink = new MemorySink();
    const w = new LogWriter(sink, new ZstdCodec(3), meta(reader.meta.hashInterval));
    let changed = -1;
    events.forEach((e, i) => {
      if (e.kind === 'entropy' && i > start && changed < 0) {
        changed = e.instret;
        w.add({ ...e, data: e.data.map((b) => b ^ 0x5a) });
      } else w.add(e);
    });
    w.close();
    expect(changed).toBeGreaterThan(0);
    const r = replayLog(sink.bytes());
    const d = r.result.divergence;
    expect(d).not.toBeNull();
    // RAM is only hashed now and then: the window starts at the last full (registers + RAM) match
    expect(d!.lastFullMatch).toBeLessThanOrEqual(changed);
    expect(d!.firstMismatch).toBeGreaterThan(changed);
    if (d!.kind === 'arch') expect(d!.fields!.length).toBeGreaterThan(0);
    else expect(d!.kind === 'ram' ? d!.region : 0).toBeGreaterThanOrEqual(0x80000000);
  });

  it('a log cut off mid-recording replays up to its last complete frame', () => {
    const reader = new LogReader(rec.log, 'session.rvr', codecs);
    expect(reader.frames.length).toBeGreaterThan(4);
    // cut halfway between the middle snapshot's marker (where the replay starts) and the end
    const from = reader.frames.findIndex((_, i) => reader.events(i).some((e) => e.kind === 'checkpoint' && e.id === rec.snapshot.id));
    expect(reader.frames.length - from).toBeGreaterThan(4);
    const mid = reader.frames[from + Math.floor((reader.frames.length - from) / 2)];
    const cut = rec.log.subarray(0, mid.end + 7);
    const partial = new LogReader(cut, 'cut.rvr', codecs);
    expect(partial.truncated).toBe(true);
    const last = [...partial.all()].pop()!;
    const r = replayLog(cut, { from: rec.snapshot });
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('log-end');
    expect(r.result.instret).toBeGreaterThanOrEqual(last.instret);
    expect(r.result.instret).toBeLessThanOrEqual(last.instret + 1);
    expect(rec.output.slice(rec.outputAtSnapshot).startsWith(r.output)).toBe(true);
  });

  it('a corrupt frame in the middle stops the replay with an error naming the frame', () => {
    const reader = new LogReader(rec.log, 'session.rvr', codecs);
    const f = reader.frames[Math.floor(reader.frames.length / 2)];
    const bad = rec.log.slice();
    bad[f.payloadOffset + 3] ^= 0x10;
    expect(() => replayLog(bad)).toThrow(new RegExp(`session\\.rvr: frame ${f.frameNo} \\(offset ${f.offset}\\): checksum mismatch`));
  });
});
