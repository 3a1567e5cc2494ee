// Breakpoints and watchpoints never change what the guest computes: a run
// stopped at every hit ends in the same state as one without a debugger, and
// a recording made while debugged replays.
import { describe, expect, it } from 'vitest';
import { DebugPoints } from '../../src/debug/debug-points.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { codecList } from '../../src/replay/frame-compressor.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { fingerprint } from '../replay/session.js';
import { debuggeeMachine } from '../support/gdb.js';

const RECORD = 0x80000068n;
const COUNTER = 0x80004090n;

describe('debugging is deterministic', () => {
  it('same final state with and without breakpoints and watchpoints that stop the hart', () => {
    const plain = debuggeeMachine();
    expect(plain.run(10_000_000)).toMatchObject({ kind: 'poweroff' });
    const want = fingerprint(plain);

    const m = debuggeeMachine();
    const points = new DebugPoints(m.hart);
    points.addBreakpoint(RECORD);
    points.addWatch(COUNTER, 8, 'write');
    points.addWatch(0x80004000n, 128, 'access');
    let hits = 0;
    let skipAt = -1;
    points.onHit = () => {
      if (m.instret === skipAt) return false; // resuming executes the instruction it stopped before
      hits++;
      return true;
    };
    for (;;) {
      const stop = m.run(10_000_000);
      if (stop.kind !== 'debug') { expect(stop).toMatchObject({ kind: 'poweroff' }); break; }
      skipAt = m.instret;
    }
    expect(hits).toBeGreaterThan(3 * 3000);
    expect(fingerprint(m)).toEqual(want);
  });

  it('a recording made while a debugger stops the guest replays to the same end', () => {
    const sink = new MemorySink();
    const meta = { format: 'retrovisor-replay' as const, start: { kind: 'boot' as const }, clockMode: 'virtual' as const, hashInterval: 5_000, ramHashInterval: 20_000, machine: {} };
    const rec = new Recorder(new LogWriter(sink, new ZstdCodec(3), meta), { hashInterval: 5_000, ramHashInterval: 20_000 });
    const m = debuggeeMachine(rec.source(new SeededInputSource()));
    rec.attach(m);
    const points = new DebugPoints(m.hart);
    points.addBreakpoint(RECORD);
    let skipAt = -1;
    points.onHit = () => m.instret !== skipAt;
    for (;;) {
      const stop = m.run(10_000_000);
      if (stop.kind !== 'debug') break;
      skipAt = m.instret;
    }
    const final = fingerprint(m);
    rec.finish('poweroff');
    const reader = new LogReader(sink.bytes(), 'debugged.rvr', codecList(new ZstdCodec()));
    const replayer = new Replayer(reader);
    const r = debuggeeMachine(replayer.source);
    replayer.attach(r);
    const res = replayer.run();
    expect(res.divergence).toBeNull();
    expect(res.stop).toBe('end');
    expect(fingerprint(r)).toEqual(final);
  });
});
