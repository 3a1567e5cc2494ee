import { NodeStoreFs } from '../../src/node/fs-store.js';
import type { StoreFile } from '../../src/store/store-fs.js';

export type FaultOp = 'write' | 'sync' | 'syncDir' | 'rename' | 'truncate' | 'open' | 'create';

export interface Fault {
  /** Fail the n-th (1-based) operation counted while armed. */
  at: number;
  code: 'ENOSPC' | 'EIO';
  /** For a failing write: write this fraction of the bytes first (a short write). */
  short?: number;
}

function fail(code: string, op: string, path: string): Error {
  return Object.assign(new Error(`${code}: injected ${op} failure, ${op} '${path}'`), { code });
}

/**
 * A StoreFs on the local disk that fails one chosen operation (ENOSPC or
 * EIO; a write may first write part of its bytes). While armed it counts
 * every mutating operation, so a test can fail each step of a commit in turn.
 */
export class FaultyFs extends NodeStoreFs {
  private fault: Fault | null = null;
  count = 0;
  /** Operations seen while armed: op and path. */
  readonly ops: string[] = [];
  injected = 0;

  arm(fault: Fault | null): void {
    this.fault = fault;
    this.count = 0;
    this.ops.length = 0;
  }

  disarm(): void { this.fault = null; }

  private step(op: FaultOp, path: string): boolean {
    if (!this.fault) return false;
    this.count++;
    this.ops.push(`${op} ${path}`);
    if (this.count !== this.fault.at) return false;
    this.injected++;
    return true;
  }

  override open(path: string, mode: 'r' | 'rw' | 'a' | 'w'): StoreFile {
    if (mode !== 'r' && this.step('open', path)) throw fail(this.fault!.code, 'open', path);
    const f = super.open(path, mode);
    const write = f.write.bind(f), sync = f.sync.bind(f), truncate = f.truncate.bind(f);
    f.write = (data, offset, length, position) => {
      if (this.step('write', path)) {
        const part = Math.floor(length * (this.fault!.short ?? 0));
        if (part > 0) write(data, offset, part, position);
        throw fail(this.fault!.code, 'write', path);
      }
      write(data, offset, length, position);
    };
    f.sync = () => { if (this.step('sync', path)) throw fail(this.fault!.code, 'fsync', path); sync(); };
    f.truncate = (n) => { if (this.step('truncate', path)) throw fail(this.fault!.code, 'truncate', path); truncate(n); };
    return f;
  }

  override rename(from: string, to: string): void {
    if (this.step('rename', to)) throw fail(this.fault!.code, 'rename', to);
    super.rename(from, to);
  }

  override createExclusive(path: string, data: Uint8Array): boolean {
    if (this.step('create', path)) throw fail(this.fault!.code, 'create', path);
    return super.createExclusive(path, data);
  }

  override syncDir(dir: string): void {
    if (this.step('syncDir', dir)) throw fail(this.fault!.code, 'fsync', dir);
    super.syncDir(dir);
  }
}
