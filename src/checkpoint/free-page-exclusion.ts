/**
 * Free-page exclusion with the guest's help: pages the guest reported free
 * through virtio-balloon were zeroed by the device at the report (see
 * src/machine/virtio/virtio-balloon.ts), so a checkpoint stores them as zero
 * pages without running them through the pipeline, and counts them apart
 * ("free (reported)"). A reported page the guest wrote to again is not zero
 * any more and goes through the pipeline like any other: every page is
 * tested, nothing is assumed.
 */
import type { VirtioBalloon } from '../machine/virtio/virtio-balloon.js';
import { PAGE_SIZE } from '../machine/memory.js';
import type { ChunkSink } from '../encoding/chunk-sink.js';
import type { PageSource } from '../encoding/page-source.js';
import { isZeroBytes, isZeroWords } from '../encoding/zero-page.js';

/**
 * Stores the selected pages that the balloon discarded and that are still
 * zero as zero pages; returns the selection left for the pipeline (a copy
 * when anything was taken out) and how many pages were taken.
 */
export function excludeReportedFree(balloon: VirtioBalloon, src: PageSource, selection: Uint8Array, sink: ChunkSink): { selection: Uint8Array; pages: number } {
  return excludeDiscarded(balloon.discardLog, src, selection, sink);
}

/**
 * The same for any discard log (one byte per page, nonzero = discarded): the
 * balloon's, or the pages a checkpoint found free in the guest kernel's
 * allocator and discarded (kernel-free-pages.ts).
 */
export function excludeDiscarded(log: Uint8Array, src: PageSource, selection: Uint8Array, sink: ChunkSink): { selection: Uint8Array; pages: number } {
  const ram = src.ram;
  const words = ram.byteOffset % 4 === 0 ? new Int32Array(ram.buffer, ram.byteOffset, ram.length >>> 2) : null;
  let out = selection;
  let pages = 0;
  const n = Math.min(src.pageCount, log.length);
  for (let p = 0; p < n; p++) {
    if (selection[p] === 0 || log[p] === 0) continue;
    const zero = words ? isZeroWords(words, p * (PAGE_SIZE >>> 2), PAGE_SIZE >>> 2) : isZeroBytes(ram, p * PAGE_SIZE, PAGE_SIZE);
    if (!zero) continue;
    if (out === selection) out = selection.slice();
    out[p] = 0;
    sink.setPage(p, 0);
    pages++;
  }
  return { selection: out, pages };
}
