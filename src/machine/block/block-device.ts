/**
 * Synchronous block storage behind virtio-blk. Synchronous on purpose: a
 * request completes inside the guest's QueueNotify write, so disk I/O never
 * introduces timing nondeterminism.
 *
 * Offsets and lengths are in bytes; callers keep [offset, offset+len) inside
 * `size`. Implementations throw on an I/O error (the device reports IOERR)
 * and must not keep references to the buffers they are given.
 */
export interface BlockDevice {
  /** Size in bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, dst: Uint8Array): void;
  write(offset: number, src: Uint8Array): void;
  flush(): void;
}

/** Throws a RangeError unless [offset, offset+len) lies within a device of `size` bytes. */
export function checkRange(size: number, offset: number, len: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || len < 0 || offset + len > size) {
    throw new RangeError(`block access ${offset}+${len} outside device of ${size} bytes`);
  }
}
