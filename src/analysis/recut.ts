/**
 * More intervals for a recording that has too few checkpoints: replay it
 * once, capture a checkpoint every `every` instructions into the repository,
 * then write a copy of the log with a marker (and fingerprints, as the
 * recorder writes them) at each new checkpoint. Events keep their order;
 * a marker goes before every event at or after its instret, which is where
 * the replay passed it (between slices, before inputs due there).
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import type { MachineCheckpointer } from '../checkpoint/machine-checkpointer.js';
import { ARCH_WORDS, captureArch, guestTicks, hashArch } from '../replay/arch-state.js';
import { hashDevices } from '../replay/device-hash.js';
import type { LogEvent } from '../replay/log-event.js';
import type { LogReader } from '../replay/log-reader.js';
import type { LogWriter } from '../replay/log-writer.js';
import type { Replayer, ReplayResult } from '../replay/replayer.js';
import { hashRam } from '../replay/ram-hash.js';

export interface CutPoint {
  readonly events: LogEvent[];
  readonly instret: number;
  readonly id: number;
  readonly pauseMs: number;
}

/** Replays (the replayer attached to `m`) and checkpoints every `every` instructions, skipping instrets that already have a marker. */
export function replayAndCut(m: VirtMachine, replayer: Replayer, checkpointer: MachineCheckpointer, every: number, existing: ReadonlySet<number>): { cuts: CutPoint[]; result: ReplayResult } {
  if (!(every > 0)) throw new Error('the cut interval must be positive');
  const cuts: CutPoint[] = [];
  let next = (Math.floor(m.instret / every) + 1) * every;
  const detach = m.observe({
    sliceLimit: (vm, max) => Math.min(max, next - vm.instret),
    afterSlice: (vm) => {
      if (vm.instret < next) return;
      next += every;
      if (existing.has(vm.instret) || vm.finished) return;
      const r = checkpointer.capture({ label: 'cut' });
      const at = vm.landmark();
      const words = new Int32Array(ARCH_WORDS);
      captureArch(vm, words);
      const ram = hashRam(vm.ram);
      cuts.push({
        instret: at.instret, id: r.meta.id, pauseMs: r.pauseMs,
        events: [
          { kind: 'checkpoint', ...at, ticks: guestTicks(vm), id: String(r.meta.id) },
          { kind: 'arch', ...at, hash: hashArch(words), words },
          { kind: 'ram', ...at, regionShift: ram.regionShift, regions: ram.regions, hash: ram.hash, devices: hashDevices(vm) },
        ],
      });
    },
  });
  try {
    return { cuts, result: replayer.run() };
  } finally {
    detach();
  }
}

/** Copies `reader`'s events to `writer` with the cut markers inserted; closes the writer. */
export function writeCutLog(reader: LogReader, writer: LogWriter, cuts: readonly CutPoint[]): void {
  let k = 0;
  for (const e of reader.all()) {
    while (k < cuts.length && e.instret >= cuts[k].instret) {
      writer.flush(); // a marker starts a frame: replay seeks straight to it
      for (const c of cuts[k].events) writer.add(c);
      k++;
    }
    if (e.kind === 'checkpoint') writer.flush(); // the recording's own markers start frames too
    writer.add(e);
  }
  while (k < cuts.length) { writer.flush(); for (const c of cuts[k++].events) writer.add(c); }
  writer.close();
}

