/**
 * The file system the repository needs, synchronous and injected so the
 * store stays free of Node APIs (src/node/fs-store.ts implements it).
 * Paths are '/'-separated strings built by the store.
 */
export interface StoreFile {
  size(): number;
  /** Reads up to `length` bytes at `position` into buf[offset..]; returns bytes read. */
  read(buf: Uint8Array, offset: number, length: number, position: number): number;
  /** Writes data[offset..+length) at the end of the file ('a') or at `position`. */
  write(data: Uint8Array, offset: number, length: number, position?: number): void;
  truncate(length: number): void;
  /** Makes written data durable (fsync). */
  sync(): void;
  close(): void;
}

export interface StoreFs {
  exists(path: string): boolean;
  mkdir(path: string): void;
  /** Names (not paths) of the entries of a directory. */
  list(dir: string): string[];
  /** 'r' read, 'a' append (created if missing), 'w' truncate or create; reads are allowed in 'a' and 'w'. */
  open(path: string, mode: 'r' | 'a' | 'w'): StoreFile;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** fsync of a directory, so renames and creations in it are durable. */
  syncDir(dir: string): void;
}

/** Whole-file read through the StoreFs interface. */
export function readWholeFile(fs: StoreFs, path: string): Uint8Array {
  const f = fs.open(path, 'r');
  try {
    const n = f.size();
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = f.read(buf, got, n - got, got);
      if (r <= 0) break;
      got += r;
    }
    return got === n ? buf : buf.subarray(0, got);
  } finally {
    f.close();
  }
}

/** Durable atomic replacement: write a temporary file, fsync it, rename over `path`, fsync the directory. */
export function writeFileAtomic(fs: StoreFs, dir: string, name: string, data: Uint8Array): void {
  const tmp = `${dir}/${name}.tmp`;
  const f = fs.open(tmp, 'w');
  try {
    f.write(data, 0, data.length, 0);
    f.sync();
  } finally {
    f.close();
  }
  fs.rename(tmp, `${dir}/${name}`);
  fs.syncDir(dir);
}
