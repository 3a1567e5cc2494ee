import * as fs from 'node:fs';
import type { StoreFile, StoreFs } from '../store/store-fs.js';

class NodeStoreFile implements StoreFile {
  constructor(private fd: number, private readonly path: string) {}
  size(): number { return fs.fstatSync(this.fd).size; }
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    let got = 0;
    while (got < length) {
      const n = fs.readSync(this.fd, buf, offset + got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }
  write(data: Uint8Array, offset: number, length: number, position?: number): void {
    let done = 0;
    while (done < length) {
      done += fs.writeSync(this.fd, data, offset + done, length - done, position === undefined ? null : position + done);
    }
  }
  truncate(length: number): void { fs.ftruncateSync(this.fd, length); }
  sync(): void { fs.fsyncSync(this.fd); }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
  toString(): string { return this.path; }
}

/** The repository's file system on the local disk (synchronous, fsync-backed). */
export class NodeStoreFs implements StoreFs {
  exists(path: string): boolean { return fs.existsSync(path); }
  mkdir(path: string): void { fs.mkdirSync(path, { recursive: true }); }
  list(dir: string): string[] { return fs.existsSync(dir) ? fs.readdirSync(dir) : []; }
  open(path: string, mode: 'r' | 'a' | 'w'): StoreFile {
    // 'a+' / 'w+' so the writer can read back its own pack (deduplication).
    return new NodeStoreFile(fs.openSync(path, mode === 'r' ? 'r' : mode === 'a' ? 'a+' : 'w+'), path);
  }
  rename(from: string, to: string): void { fs.renameSync(from, to); }
  unlink(path: string): void { fs.unlinkSync(path); }
  syncDir(dir: string): void {
    const fd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  }
}
