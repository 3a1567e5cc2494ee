/**
 * A guest image that writes itself into guest RAM: the board hands it the
 * RAM bytes where the image goes and the source fills them, e.g. read from a
 * file straight into place. Placing a plain byte array instead costs an
 * intermediate buffer and touches every page twice (the buffer's fresh pages,
 * then RAM's), and a first touch of a page is a page fault (about 12 µs each
 * on the 2-core VMs we measure on: 7.7 MB of images are ~1 900 pages).
 */
export interface ImageSource {
  /** Bytes the image occupies. */
  readonly length: number;
  /** Writes exactly `length` bytes into `dst` (a view of guest RAM), or throws. */
  readInto(dst: Uint8Array): void;
}

/** An image for the board: bytes, or a source that writes itself into RAM (always placed raw, never parsed as ELF). */
export type GuestImage = Uint8Array | ImageSource;
