// Regression: checkpoints on a guest-time grid taken while the hart idles in WFI. The recorder bounds
// the idle skip at the checkpoint's time (CheckpointSchedule.skipLimit) and marks the log there; the
// replay reaches the marker's instruction with guest time still before it and must make the same
// partial skip (it used to report "checkpoint at guest time 10000000, the replay is at 0"). Replays
// from boot, from a checkpoint, and an analysis-style interval check must all match.
import { afterAll, describe, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { TIMEBASE_HZ } from '../../src/machine/clock.js';
import { SeededInputSource, type InputSource } from '../../src/machine/input.js';
import { CheckpointSchedule } from '../../src/checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { compareWithCheckpoint } from '../../src/analysis/state-match.js';
import { codecs as storeCodecs, openRepo, tempDir } from '../store/helpers.js';
import { codecs, fingerprint } from './session.js';
import { lui, addi, sd, sw, csrrs } from '../support/rv-encode.js';

// RV64 encodings
const WFI = 0x10500073;

/** Arms the machine timer 3.5 s of guest time ahead, waits for it in one WFI, then powers off. */
function idleProgram(): Uint8Array {
  const ticks = Math.round(3.5 * TIMEBASE_HZ); // 35,000,000 = 0x2160EC0
  const words = [
    lui(5, 0x2004), //                     t0 = CLINT mtimecmp (0x2004000)
    lui(6, (ticks + 0x800) >>> 12), //      t1 = deadline
    addi(6, 6, ticks & 0xfff),
    sd(6, 5, 0),
    addi(7, 0, 0x80), //                    mie.MTIE: WFI wakes on the timer (mstatus.MIE stays 0: no trap)
    csrrs(0, 0x304, 7),
    WFI,
    lui(28, 0x100), //                      sifive test device: pass
    lui(29, 0x5),
    addi(29, 29, 0x555),
    sw(29, 28, 0),
  ];
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return out;
}

const { dir, cleanup } = tempDir('rv-idle-ckpt-');
afterAll(cleanup);
const kernel = idleProgram();
const build = (input: InputSource): VirtMachine => new VirtMachine({ bios: null, kernel, memoryBytes: 16 << 20, input, console: () => {} });

describe('guest-time checkpoints during an idle stretch', () => {
  it('replay makes the same bounded idle skip at each checkpoint marker', () => {
    // record as `record --checkpoint-every 1s` does: slices and idle skips bounded by the schedule
    const repo = openRepo(dir);
    const sink = new MemorySink();
    const recorder = new Recorder(new LogWriter(sink, new ZstdCodec(3), {
      format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'virtual', hashInterval: 4_000_000, ramHashInterval: 0, machine: {},
    }), { hashInterval: 4_000_000, ramHashInterval: 0 });
    const vm = build(recorder.source(new SeededInputSource(3)));
    recorder.attach(vm);
    const schedule = new CheckpointSchedule(new MachineCheckpointer(vm, repo, storeCodecs, { mode: 'stop' }), { unit: 'ticks', every: TIMEBASE_HZ });
    const marks: Array<{ id: number; instret: number; ticks: number }> = [];
    for (let i = 0; i < 100; i++) {
      const { stop, capture } = schedule.step(4_000_000);
      if (capture?.result) {
        recorder.checkpoint(String(capture.result.meta.id));
        marks.push({ id: capture.result.meta.id, instret: vm.instret, ticks: vm.now() });
      }
      if (stop.kind === 'poweroff') break;
    }
    recorder.finish('poweroff');
    const recorded = fingerprint(vm);
    // three checkpoints inside the one WFI, each exactly on the grid
    expect(marks.map((c) => c.ticks)).toEqual([1, 2, 3].map((s) => s * TIMEBASE_HZ));
    expect(new Set(marks.map((c) => c.instret)).size).toBe(1);
    repo.close();

    const log = sink.bytes();
    // from boot
    const whole = new Replayer(new LogReader(log, 'idle.rvr', codecs));
    const a = build(whole.source);
    whole.attach(a);
    const r = whole.run();
    expect(r.divergence).toBeNull();
    expect(r.stop).toBe('end');
    expect(fingerprint(a)).toEqual(recorded);

    const ro = openRepo(dir, false, true);
    try {
      // from the first checkpoint to the end
      const tail = new Replayer(new LogReader(log, 'idle.rvr', codecs));
      const b = build(new SeededInputSource());
      restoreMachine(b, ro, marks[0].id);
      tail.attach(b, { checkpoint: String(marks[0].id) });
      const t = tail.run();
      expect(t.divergence).toBeNull();
      expect(t.stop).toBe('end');
      expect(fingerprint(b)).toEqual(recorded);

      // an analysis interval: boot to the first checkpoint marker ends in that checkpoint's exact state
      const head = new Replayer(new LogReader(log, 'idle.rvr', codecs), { until: marks[0].instret });
      const c = build(head.source);
      head.attach(c);
      const h = head.run();
      expect(h.divergence).toBeNull();
      expect(c.now()).toBe(TIMEBASE_HZ);
      expect(compareWithCheckpoint(c, ro, marks[0].id)).toBeNull();
    } finally {
      ro.close();
    }
  });
});
