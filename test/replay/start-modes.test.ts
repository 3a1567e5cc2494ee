// Recordings that start at a snapshot, and recordings in realtime-clock mode.
import { describe, expect, it } from 'vitest';
import { SeededInputSource, type InputSource } from '../../src/machine/input.js';
import { READY_MARKER } from '../../src/node/guest-images.js';
import { ScriptedGuest } from '../../src/node/scripted-guest.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { MemorySnapshotSource, restoreSnapshot, snapshotRef, takeSnapshot } from '../../src/replay/machine-snapshot.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { codecs, fingerprint } from './session.js';

describe('recording start modes', () => {
  it('a recording that starts at a snapshot references it and replays from it', () => {
    const g = new ScriptedGuest({ input: new SeededInputSource(5) });
    let log: Uint8Array;
    let output: string;
    let final: ReturnType<typeof fingerprint>;
    const snapshots = new MemorySnapshotSource();
    try {
      g.runUntil(READY_MARKER, 400_000_000, 2_000_000);
      g.runUntil('# ', 100_000_000, 500_000);
      const snap = takeSnapshot(g.machine, 'at-prompt');
      snapshots.add(snap);
      const sink = new MemorySink();
      const w = new LogWriter(sink, new ZstdCodec(3), {
        format: 'retrovisor-replay', start: { kind: 'snapshot', ...snapshotRef(snap) }, clockMode: 'virtual',
        hashInterval: 1_000_000, ramHashInterval: 0, machine: {},
      });
      const rec = new Recorder(w, { hashInterval: 1_000_000, ramHashInterval: 0 });
      rec.attach(g.machine);
      const before = g.raw.length;
      g.type('head -c 4 /dev/urandom | od -An -tx1; echo done\n');
      g.runUntil('done\r\n', 200_000_000, 300_000);
      g.runUntil('# ', 100_000_000, 300_000);
      final = fingerprint(g.machine);
      rec.finish('end');
      log = sink.bytes();
      output = g.text.slice(before);
    } finally {
      g.close();
    }
    const reader = new LogReader(log, 'snap.rvr', codecs);
    const start = reader.meta.start;
    expect(start.kind).toBe('snapshot');
    if (start.kind !== 'snapshot') return;
    const snap = snapshots.get(start);
    const replayer = new Replayer(reader);
    const h = new ScriptedGuest({ input: new SeededInputSource(1) });
    try {
      restoreSnapshot(h.machine, snap);
      replayer.attach(h.machine);
      const r = replayer.run();
      expect(r.divergence).toBeNull();
      expect(r.stop).toBe('end');
      expect(h.text).toBe(output);
      expect(fingerprint(h.machine)).toEqual(final);
    } finally {
      h.close();
    }
  });

  it('realtime clock: every clock reading is recorded and replayed', () => {
    // a deterministic host clock that advances with every reading (a real one would be HostInputSource)
    const clock = (): InputSource => {
      const seeded = new SeededInputSource(9);
      let ns = 1_767_225_600_000_000_000;
      return { entropy: (d) => seeded.entropy(d), hostTimeNs: () => (ns += 50_000) };
    };
    const sink = new MemorySink();
    const w = new LogWriter(sink, new ZstdCodec(3), {
      format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'realtime', hashInterval: 4_000_000, ramHashInterval: 0, machine: {},
    });
    const rec = new Recorder(w, { ramHashInterval: 0 });
    const g = new ScriptedGuest({ input: rec.source(clock()), clock: 'realtime' });
    let output: string;
    let final: ReturnType<typeof fingerprint>;
    try {
      rec.attach(g.machine);
      g.runUntil(READY_MARKER, 400_000_000, 2_000_000);
      g.runUntil('# ', 100_000_000, 500_000);
      g.type('cat /proc/uptime\n');
      g.runUntil('# ', 100_000_000, 500_000);
      final = fingerprint(g.machine);
      rec.finish('end');
      output = g.text;
    } finally {
      g.close();
    }
    const log = sink.bytes();
    const reader = new LogReader(log, 'rt.rvr', codecs);
    const clocks = [...reader.all()].filter((e) => e.kind === 'clock').length;
    expect(clocks).toBeGreaterThan(100);
    const replayer = new Replayer(reader);
    const h = new ScriptedGuest({ input: replayer.source, clock: 'realtime' });
    try {
      replayer.attach(h.machine);
      const r = replayer.run();
      expect(r.divergence).toBeNull();
      expect(r.stop).toBe('end');
      expect(h.text).toBe(output);
      expect(fingerprint(h.machine)).toEqual(final);
    } finally {
      h.close();
    }
    console.log(`realtime recording: ${clocks} clock readings, ${log.length} bytes`);
  });
});
