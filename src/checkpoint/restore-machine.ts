/** Restore of a repository checkpoint into a machine built with the same configuration: eager (every page now) or lazy (post-copy). */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { PAGE_SIZE } from '../machine/memory.js';
import type { StateRecord } from '../machine/state.js';
import { decodeState } from '../encoding/state-codec.js';
import type { CheckpointMeta } from '../store/checkpoint-meta.js';
import type { Repository } from '../store/repository.js';
import { WRAPPER, diskLayout, fromRuns, savableInput } from './checkpoint-layout.js';
import { attachDiskResolver } from './page-cache-exclusion.js';
import { LazyRestore } from './lazy-restore.js';

/** Restores checkpoint `id` into `vm` (built with the same RAM size and disks); clears the dirty logs. */
export function restoreMachine(vm: VirtMachine, repo: Repository, id: number): CheckpointMeta {
  return restoreWith(vm, repo, id, false).meta;
}

/**
 * Restores checkpoint `id` lazily: CPU/device state, disk overlays and the
 * page map now; RAM pages when first touched or prefetched (see LazyRestore).
 * The machine can run its first instruction as soon as this returns. Unlike
 * the eager restore, a damaged RAM chunk is found only when its page loads.
 */
export function restoreMachineLazily(vm: VirtMachine, repo: Repository, id: number): LazyRestore {
  return restoreWith(vm, repo, id, true).lazy as LazyRestore;
}

function restoreWith(vm: VirtMachine, repo: Repository, id: number, lazy: boolean): { meta: CheckpointMeta; lazy: LazyRestore | null } {
  attachDiskResolver(repo, vm);
  const data = repo.consistentRead(() => repo.readCheckpoint(id));
  const { disks, pageCount } = diskLayout(vm);
  const ram = vm.ram.u8;
  const ramPageCount = vm.ram.pages;
  if (data.meta.pageCount < ramPageCount) throw new Error(`checkpoint ${id} holds ${data.meta.pageCount} pages, the machine has ${ramPageCount} pages of RAM`);
  const rec = decodeState(data.deviceState);
  const wrapped = rec.kind === WRAPPER;
  const machineState = wrapped ? (rec.machine as unknown as StateRecord) : rec;
  const diskRuns = wrapped ? (rec.disks as unknown as unknown[]) : [];
  if (diskRuns.length !== disks.length || (wrapped && data.meta.pageCount !== pageCount) || (!wrapped && data.meta.pageCount !== ramPageCount)) {
    throw new Error(`checkpoint ${id} is for a machine with ${diskRuns.length} disk(s) and ${data.meta.pageCount} pages; this one has ${disks.length} disk(s) and ${pageCount} pages`);
  }
  // All or nothing: everything that can fail (every chunk read, checked and decoded, the
  // disk block lists, the state records) happens before the machine is touched.
  const held = disks.map((d, i) => fromRuns(diskRuns[i], d.blocks));
  const ramPages = lazy ? null : repo.consistentRead(() => repo.stagePages(data.map, 0, ramPageCount, id));
  const diskBlocks = disks.map((d, i) => {
    const staged = repo.stagePages(held[i].map((index) => data.map[d.firstPage + index]), 0, held[i].length, id);
    return held[i].map((index, k) => {
      const block = new Uint8Array(PAGE_SIZE);
      const s = staged.slot[k];
      if (s >= 0) block.set(staged.data.subarray(s * PAGE_SIZE, (s + 1) * PAGE_SIZE));
      return { index, data: block };
    });
  });
  const input = savableInput(vm);
  // Components reject state records of the wrong shape; if one does, put back the state we had.
  const before = vm.saveState({ diskContents: false });
  const inputBefore = input?.saveState();
  try {
    vm.loadState(machineState);
    if (wrapped && rec.input && input) input.loadState(rec.input as unknown as StateRecord);
  } catch (e) {
    vm.loadState(before);
    if (input && inputBefore) input.loadState(inputBefore);
    throw new Error(`checkpoint ${id}: its device state does not load (${(e as Error).message}); the machine was left as it was`);
  }
  let loader: LazyRestore | null = null;
  if (ramPages) {
    repo.applyStaged(ramPages, ram);
    vm.ram.presentAll(); // a lazy restore still loading is superseded
  } else {
    loader = new LazyRestore(vm.ram, repo, id, data.map);
  }
  disks.forEach((d, i) => {
    d.overlay.discard();
    d.overlay.importBlocks(diskBlocks[i]);
  });
  vm.ram.clearDirty();
  for (const d of disks) d.overlay.clearDirty();
  return { meta: data.meta, lazy: loader ? loader.started(data.meta) : null };
}

