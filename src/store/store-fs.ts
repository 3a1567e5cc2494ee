/**
 * The file system the repository needs, synchronous and injected so the
 * store stays free of Node APIs (src/node/fs-store.ts implements it).
 * Paths are '/'-separated strings built by the store.
 */
export interface StoreFile {
  size(): number;
  /** Reads up to `length` bytes at `position` into buf[offset..]; returns bytes read. */
  read(buf: Uint8Array, offset: number, length: number, position: number): number;
  /** Writes data[offset..+length) at `position`, or at the end of the file when omitted. */
  write(data: Uint8Array, offset: number, length: number, position?: number): void;
  truncate(length: number): void;
  /** Makes written data durable (fsync). */
  sync(): void;
  /** The same without blocking the caller (optional: drivers fall back to sync()). */
  syncAsync?(): Promise<void>;
  close(): void;
  /**
   * A token naming the file itself, not its path: it changes when the path is
   * replaced by another file (the index after garbage collection).
   */
  identity(): string;
}

/** A process, precisely enough to tell later whether it still runs. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Start time of the process as the host reports it ('' if unknown): a reused pid has another. */
  start: string;
}

export interface StoreFs {
  exists(path: string): boolean;
  mkdir(path: string): void;
  /** Names (not paths) of the entries of a directory. */
  list(dir: string): string[];
  /**
   * 'r' read, 'rw' read and write an existing file in place, 'a' append
   * (created if missing), 'w' truncate or create; reads are allowed in 'rw', 'a' and 'w'.
   */
  open(path: string, mode: 'r' | 'rw' | 'a' | 'w'): StoreFile;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** fsync of a directory, so renames and creations in it are durable. */
  syncDir(dir: string): void;
  /**
   * Creates `path` holding `data` only if nothing exists there, atomically:
   * no other process ever sees it empty or half written. false if it exists.
   */
  createExclusive(path: string, data: Uint8Array): boolean;
  /** The calling process. */
  self(): ProcessIdentity;
  /** false only when `who` provably runs no more (same host, and no process with its pid and start time). */
  alive(who: ProcessIdentity): boolean;
  /** Blocks the caller for `ms` milliseconds (lock waits; the store is synchronous). */
  sleep(ms: number): void;
  /** The same without blocking the caller (optional: drivers fall back to syncDir()). */
  syncDirAsync?(dir: string): Promise<void>;
}

/** Whole-file read through the StoreFs interface; `maxBytes` refuses files larger than the caller can expect. */
export function readWholeFile(fs: StoreFs, path: string, maxBytes = Infinity): Uint8Array {
  const f = fs.open(path, 'r');
  try {
    return readRest(f, 0, path, maxBytes);
  } finally {
    f.close();
  }
}

/** Bytes of `f` from `from` to its current end. */
export function readRest(f: StoreFile, from: number, path: string, maxBytes = Infinity): Uint8Array {
  const n = Math.max(0, f.size() - from);
  if (n > maxBytes) throw new RangeError(`${path}: ${n} bytes, more than the ${maxBytes} expected`);
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = f.read(buf, got, n - got, from + got);
    if (r <= 0) break;
    got += r;
  }
  return got === n ? buf : buf.subarray(0, got);
}

/** Durable atomic replacement: write a temporary file, fsync it, rename over `path`, fsync the directory. */
export function writeFileAtomic(fs: StoreFs, dir: string, name: string, data: Uint8Array): void {
  const tmp = `${dir}/${name}.tmp`;
  try {
    const f = fs.open(tmp, 'w');
    try {
      f.write(data, 0, data.length, 0);
      f.sync();
    } finally {
      f.close();
    }
    fs.rename(tmp, `${dir}/${name}`);
  } catch (e) {
    try { if (fs.exists(tmp)) fs.unlink(tmp); } catch { /* the original failure matters */ }
    throw e;
  }
  fs.syncDir(dir);
}
