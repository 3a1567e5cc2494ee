/**
 * Does a machine hold exactly the state of a repository checkpoint? The
 * machine's fingerprint (registers, RAM per region, each device) is taken,
 * the checkpoint is restored into the same machine, and the fingerprints
 * are compared; the answer names the first registers, RAM region or device
 * that differ. (Restoring is what the next interval does anyway, and it
 * needs no second machine.)
 *
 * With `since` (the page map of the checkpoint the machine was restored from,
 * its dirty log cleared then and never since: what runIntervalJob does) RAM is
 * compared page by page instead, and only where it can differ: a page the
 * interval never wrote whose chunk is the same in both checkpoints holds the
 * same bytes, without reading either. Every other page is read from the end
 * checkpoint and compared byte for byte. With a lazy start restore, pages
 * the interval never touched are then never read at all.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { PAGE_SIZE } from '../machine/memory.js';
import { restoreMachine, restoreMachineLazily } from '../checkpoint/restore-machine.js';
import type { Repository } from '../store/repository.js';
import { ARCH_WORDS, captureArch, diffArch, hashArch } from '../replay/arch-state.js';
import { componentNames, hashDevices } from '../replay/device-hash.js';
import { DEFAULT_REGION_SHIFT, firstDifferingRegion, hashRam, type RamHash } from '../replay/ram-hash.js';

interface Fingerprint { arch: Int32Array; ram: RamHash | null; devices: Uint32Array }

function fingerprint(m: VirtMachine, ram: boolean): Fingerprint {
  const arch = new Int32Array(ARCH_WORDS);
  captureArch(m, arch);
  return { arch, ram: ram ? hashRam(m.ram) : null, devices: hashDevices(m) };
}

/** What the page-by-page comparison of `compareWithCheckpoint(…, since)` did. */
export interface MatchStats { pagesCompared: number; pagesSkipped: number }

/**
 * null when the machine is in checkpoint `id`'s state, else what differs. The
 * machine holds the checkpoint afterwards (restored lazily when `since` is given).
 */
export function compareWithCheckpoint(m: VirtMachine, repo: Repository, id: number, since?: Uint32Array, stats?: MatchStats): string | null {
  const problems: string[] = [];
  let replayed: Fingerprint;
  let stored: Fingerprint;
  if (since) {
    const page = firstDifferingPage(m, repo, id, since, stats);
    if (page >= 0) {
      const region = m.ram.base + Math.floor((page * PAGE_SIZE) / (1 << DEFAULT_REGION_SHIFT)) * (1 << DEFAULT_REGION_SHIFT);
      problems.push(`RAM differs, first in the 1 MiB region at 0x${region.toString(16)} (page 0x${(m.ram.base + page * PAGE_SIZE).toString(16)})`);
    }
    replayed = fingerprint(m, false);
    restoreMachineLazily(m, repo, id);
    stored = fingerprint(m, false);
  } else {
    replayed = fingerprint(m, true);
    restoreMachine(m, repo, id);
    stored = fingerprint(m, true);
    if (replayed.ram!.hash !== stored.ram!.hash) {
      const region = firstDifferingRegion(stored.ram!, replayed.ram!, m.ram.base);
      problems.push(`RAM differs, first in the 1 MiB region at 0x${region.toString(16)}`);
    }
  }
  if (hashArch(replayed.arch) !== hashArch(stored.arch)) {
    problems.unshift(`registers differ: ${diffArch(stored.arch, replayed.arch).join('; ').replaceAll('recorded', 'checkpoint').replaceAll('replayed', 'replay')}`);
  }
  const names = componentNames(m);
  for (let i = 0; i < Math.max(replayed.devices.length, stored.devices.length); i++) {
    if (replayed.devices[i] !== stored.devices[i]) { problems.push(`${names[i] ?? `component ${i}`} state differs`); break; }
  }
  return problems.length ? problems.join('; ') : null;
}

/** First RAM page whose bytes differ from checkpoint `id`'s, or -1 (see the file comment for `since`). */
function firstDifferingPage(m: VirtMachine, repo: Repository, id: number, since: Uint32Array, stats?: MatchStats): number {
  const ram = m.ram;
  const end = repo.consistentRead(() => repo.readCheckpoint(id)).map;
  if (end.length < ram.pages || since.length < ram.pages) return 0;
  const want = new Uint8Array(PAGE_SIZE);
  const wantWords = new Int32Array(want.buffer);
  const words = new Int32Array(ram.buffer);
  const dirty = ram.dirty;
  let compared = 0;
  let found = -1;
  for (let p = 0; p < ram.pages; p++) {
    if (dirty[p] === 0 && since[p] === end[p]) continue;
    compared++;
    const off = p * PAGE_SIZE;
    ram.ensure(ram.base + off, PAGE_SIZE); // a lazily restored page the interval never touched: its start contents
    if (end[p] === 0) want.fill(0);
    else repo.readChunkInto(end[p], want, id);
    if (!sameWords(words, off >>> 2, wantWords)) { found = p; break; }
  }
  if (stats) { stats.pagesCompared += compared; stats.pagesSkipped += ram.pages - compared; }
  return found;
}

function sameWords(words: Int32Array, first: number, page: Int32Array): boolean {
  for (let i = 0; i < page.length; i++) if (words[first + i] !== page[i]) return false;
  return true;
}
