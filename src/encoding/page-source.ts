import { PAGE_SIZE } from '../machine/memory.js';

/**
 * What the machine offers a checkpoint: guest RAM as bytes and a dirty log.
 * GuestMemory satisfies it directly (`pages`→`pageCount` via an adapter).
 */
export interface PageSource {
  readonly pageCount: number;
  /** RAM bytes; page p is ram[p*PAGE_SIZE, (p+1)*PAGE_SIZE). */
  readonly ram: Uint8Array;
  /** One byte per page, non-zero = written since the log was last cleared. */
  readonly dirty: Uint8Array;
}

/** Wraps anything shaped like GuestMemory without copying. */
export function pageSourceOf(mem: { readonly u8: Uint8Array; readonly dirty: Uint8Array; readonly pages: number }): PageSource {
  return { pageCount: mem.pages, ram: mem.u8, dirty: mem.dirty };
}

export function checkPageSource(src: PageSource): void {
  if (src.ram.length !== src.pageCount * PAGE_SIZE) {
    throw new Error(`PageSource: ram is ${src.ram.length} bytes, expected ${src.pageCount} pages of ${PAGE_SIZE}`);
  }
  if (src.dirty.length < src.pageCount) throw new Error('PageSource: dirty log shorter than pageCount');
}
