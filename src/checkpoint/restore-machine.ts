/** Restore of a repository checkpoint into a machine built with the same configuration. */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { PAGE_SIZE } from '../machine/memory.js';
import type { StateRecord } from '../machine/state.js';
import { decodeState } from '../encoding/state-codec.js';
import type { CheckpointMeta } from '../store/checkpoint-meta.js';
import type { Repository } from '../store/repository.js';
import { WRAPPER, diskLayout, fromRuns, savableInput } from './checkpoint-layout.js';

/** Restores checkpoint `id` into `vm` (built with the same RAM size and disks); clears the dirty logs. */
export function restoreMachine(vm: VirtMachine, repo: Repository, id: number): CheckpointMeta {
  const data = repo.readCheckpoint(id);
  const { disks, pageCount } = diskLayout(vm);
  const ram = vm.ram.u8;
  const ramPages = vm.ram.pages;
  if (data.meta.pageCount < ramPages) throw new Error(`checkpoint ${id} holds ${data.meta.pageCount} pages, the machine has ${ramPages} pages of RAM`);
  const rec = decodeState(data.deviceState);
  const wrapped = rec.kind === WRAPPER;
  const machineState = wrapped ? (rec.machine as unknown as StateRecord) : rec;
  const diskRuns = wrapped ? (rec.disks as unknown as unknown[]) : [];
  if (diskRuns.length !== disks.length || (wrapped && data.meta.pageCount !== pageCount) || (!wrapped && data.meta.pageCount !== ramPages)) {
    throw new Error(`checkpoint ${id} is for a machine with ${diskRuns.length} disk(s) and ${data.meta.pageCount} pages; this one has ${disks.length} disk(s) and ${pageCount} pages`);
  }
  // Validate everything that can fail before touching the machine.
  const held = disks.map((d, i) => fromRuns(diskRuns[i], d.blocks));
  repo.readPagesInto(data.map, 0, ramPages, ram, id);
  disks.forEach((d, i) => {
    const blocks = held[i].map((index) => {
      const data8 = new Uint8Array(PAGE_SIZE);
      const c = data.map[d.firstPage + index];
      if (c !== 0) repo.readChunkInto(c, data8, id);
      return { index, data: data8 };
    });
    d.overlay.discard();
    d.overlay.importBlocks(blocks);
  });
  vm.loadState(machineState);
  const input = savableInput(vm);
  if (wrapped && rec.input && input) input.loadState(rec.input as unknown as StateRecord);
  vm.ram.clearDirty();
  for (const d of disks) d.overlay.clearDirty();
  return data.meta;
}

