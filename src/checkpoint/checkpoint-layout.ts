/**
 * How a checkpoint lays out one machine: the device-state wrapper, and the
 * page space (RAM pages first, then one page per 4 KiB block of each disk
 * overlay). Shared by capture and restore.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import type { CowOverlay } from '../machine/block/cow-overlay.js';
import { PAGE_SIZE } from '../machine/memory.js';
import type { StateRecord } from '../machine/state.js';

/** Tag of the device-state wrapper (plain `VirtMachine.saveState()` records are accepted on restore too). */
export const WRAPPER = 'retrovisor-checkpoint';

export interface DiskLayout { overlay: CowOverlay; firstPage: number; blocks: number }

export function diskLayout(vm: VirtMachine): { disks: DiskLayout[]; pageCount: number } {
  let page = vm.ram.pages;
  const disks: DiskLayout[] = [];
  for (const overlay of vm.overlays) {
    if (overlay.blockSize !== PAGE_SIZE) throw new Error(`checkpoint: disk overlay block size ${overlay.blockSize} is not ${PAGE_SIZE}`);
    const blocks = Math.ceil(overlay.size / PAGE_SIZE);
    disks.push({ overlay, firstPage: page, blocks });
    page += blocks;
  }
  return { disks, pageCount: page };
}

/** Ascending indices as [start, length, start, length, ...]. */
export function toRuns(indices: number[]): number[] {
  const out: number[] = [];
  for (const i of indices) {
    const n = out.length;
    if (n > 0 && out[n - 2] + out[n - 1] === i) out[n - 1]++;
    else out.push(i, 1);
  }
  return out;
}

export function fromRuns(runs: unknown, limit: number): number[] {
  if (!Array.isArray(runs) || runs.length % 2 !== 0) throw new Error('checkpoint: bad disk block list in state');
  const out: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    const s = runs[k] as number, n = runs[k + 1] as number;
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(n) || s < 0 || n <= 0 || s + n > limit) throw new Error('checkpoint: bad disk block run in state');
    for (let i = 0; i < n; i++) out.push(s + i);
  }
  return out;
}

export interface SavableInput { saveState(): StateRecord; loadState(r: StateRecord): void }
export function savableInput(vm: VirtMachine): SavableInput | null {
  const s = vm.input.current as unknown as Partial<SavableInput>;
  return typeof s.saveState === 'function' && typeof s.loadState === 'function' ? (s as SavableInput) : null;
}

