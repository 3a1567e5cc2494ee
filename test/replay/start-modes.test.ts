// Recordings that start at a snapshot, and recordings in realtime-clock mode.
import { describe, expect, it } from 'vitest';
import { SeededInputSource, type InputSource } from '../../src/machine/input.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { MemoryCheckpointStore, memoryCheckpointRef, takeMemoryCheckpoint } from '../../src/replay/memory-checkpoint.js';
import { codecs, recordScript, replayLog } from './session.js';

describe('recording start modes', () => {
  it('a recording that starts at a snapshot references it and replays from it', () => {
    const snapshots = new MemoryCheckpointStore();
    const rec = recordScript({
      input: new SeededInputSource(5),
      hashInterval: 1_000_000,
      booted: { memoryBytes: 256 << 20, seed: 5 }, // the run's shared boot: this test is about what follows it
      attachAtPrompt: (g) => {
        const snap = takeMemoryCheckpoint(g.machine, 'at-prompt');
        snapshots.add(snap);
        return { format: 'retrovisor-replay', start: { kind: 'memory-checkpoint', ...memoryCheckpointRef(snap) }, clockMode: 'virtual', hashInterval: 1_000_000, ramHashInterval: 0, machine: {} };
      },
    }, (g) => {
      g.type('head -c 4 /dev/urandom | od -An -tx1; echo done\n');
      g.runUntil('done\r\n', 200_000_000, 300_000);
      g.runUntil('# ', 100_000_000, 300_000);
    });
    const start = new LogReader(rec.log, 'snap.rvr', codecs).meta.start;
    expect(start.kind).toBe('memory-checkpoint');
    if (start.kind !== 'memory-checkpoint') return;
    const r = replayLog(rec.log, { start: snapshots.get(start) }, 'snap.rvr');
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('end');
    expect(r.output).toBe(rec.output);
    expect(r.final).toEqual(rec.final);
  });

  it('realtime clock: every clock reading is recorded and replayed', () => {
    // a deterministic host clock that advances with every reading (a real one would be HostInputSource)
    const seeded = new SeededInputSource(9);
    let ns = 1_767_225_600_000_000_000;
    const clock: InputSource = { entropy: (d) => seeded.entropy(d), hostTimeNs: () => (ns += 50_000) };
    const rec = recordScript({
      input: clock,
      guest: { clock: 'realtime' },
      meta: { format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'realtime', hashInterval: 4_000_000, ramHashInterval: 0, machine: {} },
    }, (g) => {
      g.type('cat /proc/uptime\n');
      g.runUntil('# ', 100_000_000, 500_000);
    });
    const clocks = [...new LogReader(rec.log, 'rt.rvr', codecs).all()].filter((e) => e.kind === 'clock').length;
    expect(clocks).toBeGreaterThan(100);
    const r = replayLog(rec.log, { guest: { clock: 'realtime' } }, 'rt.rvr');
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('end');
    expect(r.output).toBe(rec.output);
    expect(r.final).toEqual(rec.final);
    console.log(`realtime recording: ${clocks} clock readings, ${rec.log.length} bytes`);
  });
});
