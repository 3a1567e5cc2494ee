/**
 * What the page pipeline needs from wherever chunks go (the repository's
 * checkpoint writer implements it). Chunk ids are positive integers; 0 in a
 * page map means "zero page". `hash` is a 4-word content hash that the sink copies.
 */
export interface ChunkSink {
  /** Id of a stored chunk whose decoded bytes equal page[off..+PAGE_SIZE) — compared byte for byte — or 0. */
  findDuplicate(hash: Uint32Array, page: Uint8Array, off: number): number;
  /** True if `id` exists and is a full (non-delta) chunk, i.e. usable as a delta base. */
  isFullChunk(id: number): boolean;
  /** Stores payload[offset..+length) as a new full chunk; returns its id. */
  putFull(hash: Uint32Array, codecId: number, payload: Uint8Array, offset: number, length: number): number;
  /** Stores a delta (DELTA_FORMAT, default XBZRLE) against full chunk `baseId`; returns its id. */
  putDelta(hash: Uint32Array, baseId: number, payload: Uint8Array, offset: number, length: number, format?: number): number;
  /** Decodes stored chunk `id` into a PAGE_SIZE view (similarity deltas read their base this way; optional). */
  readChunk?(id: number, dst: Uint8Array): void;
  /** Stores a reference to bytes outside the repository (page-cache exclusion; optional); returns its id. */
  putReference?(hash: Uint32Array, payload: Uint8Array, offset: number, length: number): number;
  /** Records the chunk (or 0 = zero page) now holding `page`. */
  setPage(page: number, chunkId: number): void;
}
