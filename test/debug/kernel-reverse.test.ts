// The kernel case: a recording of the standard guest's boot, debugged with
// the committed kernel symbols (guest/images/vmlinux-symbols.gz, written by
// guest/build.sh from the same build as Image.gz): break on a kernel
// function, continue, reverse-continue to the previous call, bt.
import { afterAll, describe, expect, it } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { READY_MARKER } from '../../src/node/guest-images.js';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { codecList } from '../../src/replay/frame-compressor.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { Recorder } from '../../src/replay/recorder.js';
import { Replayer } from '../../src/replay/replayer.js';
import { Timeline } from '../../src/debug/timeline.js';
import { ScriptedGuest } from '../support/scripted-guest.js';
import { runGdb } from '../support/gdb.js';
import { hasKernelSymbols, unpackKernelSymbols } from '../support/live-gdb.js';
import { tempDir } from '../store/helpers.js';

const { dir, cleanup } = tempDir('retrovisor-kernel-gdb-');
afterAll(cleanup);

describe.skipIf(!hasKernelSymbols)('gdb-multiarch and the Linux kernel of a recorded boot', () => {
  it('breaks in a kernel function, reverse-continues to its previous call, shows the backtrace', async () => {
    const symbols = unpackKernelSymbols(dir);
    // record the boot up to the guest's ready marker
    const sink = new MemorySink();
    const meta = { format: 'retrovisor-replay' as const, start: { kind: 'boot' as const }, clockMode: 'virtual' as const, hashInterval: 4_000_000, ramHashInterval: 512_000_000, machine: {} };
    const rec = new Recorder(new LogWriter(sink, new ZstdCodec(3), meta));
    const g = new ScriptedGuest({ input: rec.source(new SeededInputSource(5)) });
    try {
      rec.attach(g.machine);
      g.runUntil(READY_MARKER, 400_000_000, 2_000_000);
      rec.finish('ready');
    } finally {
      g.close();
    }
    const reader = new LogReader(sink.bytes(), 'boot.rvr', codecList(new ZstdCodec()));
    const replayer = new Replayer(reader);
    const r = new ScriptedGuest({ input: replayer.source });
    try {
      replayer.attach(r.machine);
      const t = new Timeline(r.machine, reader, replayer);
      const { out } = await runGdb(t, [
        'break do_sys_openat2', 'continue', 'monitor when', 'continue', 'monitor when', 'continue', 'monitor when',
        'reverse-continue', 'echo =BACK=\\n', 'monitor when', 'bt', 'p $priv', 'p/x $satp',
      ], symbols, 180_000);
      const whens = [...out.matchAll(/^instret (\d+), pc (0x[0-9a-f]+), S-mode/gm)];
      expect(whens.length, out).toBe(4);
      const n = whens.map((w) => Number(w[1]));
      expect(n[1]).toBeGreaterThan(n[0]);
      expect(n[2]).toBeGreaterThan(n[1]);
      // back to the previous call: the second stop, exactly
      expect(n[3]).toBe(n[1]);
      expect(whens[3][2]).toBe(whens[1][2]);
      const back = out.slice(out.indexOf('=BACK='));
      expect(back).toMatch(/#0 {2}(0x[0-9a-f]+ in )?do_sys_openat2 /);
      expect(back).toMatch(/#1 {2}0x[0-9a-f]+ in \w+/); // the caller, named by the symbol table
      expect(back).toMatch(/\$\d+ = 1\n/); // S-mode
    } finally {
      r.close();
    }
  }, 600_000);
});
