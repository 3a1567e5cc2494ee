/**
 * Where a page's bytes can be found outside the repository (page-cache
 * exclusion: a block of the machine's disk image). `find` returns the
 * reference to store, only after comparing the page with the referenced bytes
 * byte for byte (a hash only finds candidates), or null.
 */
export interface PageReferences {
  /** `hash` is the page's content hash (page-hash.ts); the returned bytes stay valid until the next call. */
  find(hash: Uint32Array, page: Uint8Array, off: number): Uint8Array | null;
}
