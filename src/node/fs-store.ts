import * as fs from 'node:fs';
import { hostname } from 'node:os';
import type { ProcessIdentity, StoreFile, StoreFs } from '../store/store-fs.js';

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
  // fsync on libuv's thread pool: the guest keeps running on this thread meanwhile
  syncAsync(): Promise<void> {
    return new Promise((res, rej) => fs.fsync(this.fd, (e) => (e ? rej(e) : res())));
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
  identity(): string {
    const s = fs.fstatSync(this.fd, { bigint: true });
    return `${s.dev}:${s.ino}:${s.birthtimeNs}`;
  }
  toString(): string { return this.path; }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), '' if unknown. */
function procStart(pid: number | 'self'): string | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : '';
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return null; // a zombie runs no more
  return fields[19] ?? '';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let tmpCounter = 0;

/** The repository's file system on the local disk (synchronous, fsync-backed). */
export class NodeStoreFs implements StoreFs {
  private readonly me: ProcessIdentity = { pid: process.pid, host: hostname(), start: procStart('self') ?? '' };
  exists(path: string): boolean { return fs.existsSync(path); }
  mkdir(path: string): void { fs.mkdirSync(path, { recursive: true }); }
  list(dir: string): string[] { return fs.existsSync(dir) ? fs.readdirSync(dir) : []; }
  open(path: string, mode: 'r' | 'rw' | 'a' | 'w'): StoreFile {
    // 'a+' / 'w+' / 'r+' so a writer can read back its own pack (deduplication).
    return new NodeStoreFile(fs.openSync(path, mode === 'r' ? 'r' : mode === 'rw' ? 'r+' : mode === 'a' ? 'a+' : 'w+'), path);
  }
  rename(from: string, to: string): void { fs.renameSync(from, to); }
  unlink(path: string): void { fs.unlinkSync(path); }
  syncDir(dir: string): void {
    const fd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  }
  createExclusive(path: string, data: Uint8Array): boolean {
    // write a private file, then link it into place: link fails if the name exists, and the
    // file is whole before anyone can see it (O_EXCL alone would show it empty for a moment)
    const tmp = `${path}.${process.pid}-${tmpCounter++}.excl`;
    fs.writeFileSync(tmp, data);
    try {
      fs.linkSync(tmp, path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      fs.unlinkSync(tmp);
    }
  }
  self(): ProcessIdentity { return { ...this.me }; }
  alive(who: ProcessIdentity): boolean {
    if (who.host !== this.me.host) return true; // cannot tell: assume it runs
    try {
      process.kill(who.pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    }
    const start = procStart(who.pid);
    if (start === null) return false;
    return start === '' || who.start === '' || start === who.start;
  }
  sleep(ms: number): void { Atomics.wait(sleeper, 0, 0, Math.max(0, ms)); }
  async syncDirAsync(dir: string): Promise<void> {
    const h = await fs.promises.open(dir, 'r');
    try { await h.sync(); } finally { await h.close(); }
  }
}
