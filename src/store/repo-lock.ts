import { StoreError } from './store-error.js';
import type { ProcessIdentity, StoreFs } from './store-fs.js';

/** What a lock file (or a pack's owner file) says about its holder. */
export interface LockHolder extends ProcessIdentity {
  /** Why it is held: 'commit', 'reserve', 'gc', 'remove', 'recover', or 'writer' for a pack owner. */
  purpose: string;
  /** Host wall-clock ms when taken. */
  since: number;
  /** Tells two holders in one process apart. */
  token: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeHolder(h: LockHolder): Uint8Array {
  return enc.encode(JSON.stringify(h));
}

/** The holder named by a lock or owner file; null if the file is gone or unreadable. */
export function readHolder(fs: StoreFs, path: string): LockHolder | null {
  try {
    const f = fs.open(path, 'r');
    try {
      const n = Math.min(f.size(), 4096);
      const b = new Uint8Array(n);
      f.read(b, 0, n, 0);
      const o = JSON.parse(dec.decode(b)) as Partial<LockHolder>;
      if (typeof o.pid !== 'number' || typeof o.host !== 'string' || typeof o.start !== 'string') return null;
      return { pid: o.pid, host: o.host, start: o.start, purpose: String(o.purpose ?? ''), since: Number(o.since ?? 0), token: String(o.token ?? '') };
    } finally {
      f.close();
    }
  } catch {
    return null;
  }
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} (${h.purpose}, since ${new Date(h.since).toISOString()})`;
}

/**
 * Locks held in this process across asynchronous fsyncs (a commit driven by
 * src/checkpoint/durable-commit.ts), by holder token: how to finish that
 * commit now. A waiter in the same process cannot wait for them: the fsyncs
 * complete on this thread's event loop, which the waiter's blocking sleep
 * stops, so it would only time out. It finishes the holder's commit itself
 * (blocking on its remaining fsyncs), which releases the lock.
 */
const hurryByToken = new Map<string, () => void>();

const same = (a: LockHolder, b: LockHolder) => a.pid === b.pid && a.host === b.host && a.start === b.start && a.token === b.token;

/**
 * The repository lock: a file created exclusively (StoreFs.createExclusive)
 * holding its owner. Index appends, id reservations and all maintenance
 * happen under it. A lock whose owner provably runs no more (StoreFs.alive)
 * is broken; breaking itself is serialized by a second lock file so that two
 * waiters never both break (and one of them delete the other's new lock).
 */
export class RepoLock {
  private held: LockHolder | null = null;
  /** Stale locks broken by this object (a crashed holder). */
  brokenStale = 0;

  constructor(private readonly fs: StoreFs, readonly path: string, private readonly owner: ProcessIdentity, private readonly token: string) {}

  get isHeld(): boolean { return this.held !== null; }

  /**
   * While held across yields to an asynchronous driver: how a waiter in this
   * process makes the holder finish now (see hurryByToken). Cleared on release.
   */
  setHurry(hurry: (() => void) | null): void {
    if (!this.held) return;
    if (hurry) hurryByToken.set(this.token, hurry); else hurryByToken.delete(this.token);
  }

  /** Takes the lock, waiting up to `timeoutMs`; throws StoreError('locked') naming the holder. */
  acquire(purpose: string, timeoutMs: number): void {
    if (this.held) throw new StoreError('usage', this.path, `lock already held by this repository (${this.held.purpose})`);
    const me: LockHolder = { ...this.owner, purpose, since: Date.now(), token: this.token };
    const bytes = encodeHolder(me);
    const t0 = Date.now();
    let wait = 1;
    for (;;) {
      if (this.fs.createExclusive(this.path, bytes)) { this.held = me; return; }
      const h = readHolder(this.fs, this.path);
      if (h && !this.fs.alive(h)) {
        this.breakStale(h);
        continue;
      }
      const hurry = h && h.token !== this.token ? hurryByToken.get(h.token) : undefined;
      if (hurry) {
        // held by another repository object of this process across asynchronous fsyncs: finish its commit now
        hurryByToken.delete(h!.token);
        hurry();
        continue;
      }
      if (Date.now() - t0 >= timeoutMs) {
        throw new StoreError('locked', this.path, h
          ? `repository is locked by ${describeHolder(h)}; gave up after ${(timeoutMs / 1000).toFixed(1)} s`
          : `repository lock is held; gave up after ${(timeoutMs / 1000).toFixed(1)} s`);
      }
      this.fs.sleep(wait);
      wait = Math.min(50, wait * 2);
    }
  }

  release(): void {
    const h = this.held;
    if (!h) return;
    this.held = null;
    hurryByToken.delete(this.token);
    const now = readHolder(this.fs, this.path);
    // never remove a lock that is not ours (it would only be if ours was wrongly broken)
    if (now && same(now, h)) this.fs.unlink(this.path);
  }

  private breakStale(stale: LockHolder): void {
    const breaker = `${this.path}.break`;
    const me: LockHolder = { ...this.owner, purpose: 'break', since: Date.now(), token: this.token };
    if (!this.fs.createExclusive(breaker, encodeHolder(me))) {
      const b = readHolder(this.fs, breaker);
      if (b && !this.fs.alive(b)) { try { this.fs.unlink(breaker); } catch { /* another waiter did */ } }
      else this.fs.sleep(1);
      return;
    }
    try {
      // nobody else breaks now, and a live process only removes its own lock: re-check, then remove
      const again = readHolder(this.fs, this.path);
      if (again && same(again, stale) && !this.fs.alive(again)) {
        this.fs.unlink(this.path);
        this.brokenStale++;
      }
    } finally {
      this.fs.unlink(breaker);
    }
  }
}
