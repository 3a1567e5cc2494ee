/**
 * Drives a checkpoint commit (CheckpointWriter.commitSteps) to durability
 * without blocking the thread on fsync when the store offers asynchronous
 * syncs (the guest keeps running meanwhile), and can finish it blocking at
 * any moment (back-pressure, shutdown). The outcome is reported through the
 * callbacks exactly once; a failure has already removed what the commit wrote.
 */
import type { StoreFs } from '../store/store-fs.js';
import { syncNow, type SyncPoint } from '../store/repository.js';

function startAsync(fs: StoreFs, p: SyncPoint): Promise<void> | null {
  if ('file' in p) return p.file.syncAsync ? p.file.syncAsync() : null;
  return fs.syncDirAsync ? fs.syncDirAsync(p.dir) : null;
}

export class DurableCommit<T> {
  state: 'syncing' | 'done' | 'failed' = 'syncing';
  result: T | undefined;
  error: unknown;
  /** fsyncs (files and directories) this commit waited for. */
  syncs = 0;
  private pending: SyncPoint | null = null;
  /** Bumped when an in-flight asynchronous sync is overtaken (finishNow): its completion is then ignored. */
  private seq = 0;

  constructor(
    private readonly fs: StoreFs,
    private readonly steps: Generator<SyncPoint, T, void>,
    private blocking: boolean,
    private readonly onDone: (result: T) => void,
    private readonly onFail: (error: unknown) => void,
  ) {
    this.advance(undefined);
  }

  private advance(err: unknown): void {
    try {
      let r = err === undefined ? this.steps.next() : this.steps.throw(err);
      for (;;) {
        if (r.done) {
          this.state = 'done';
          this.result = r.value;
          this.onDone(r.value);
          return;
        }
        const p = r.value;
        this.syncs++;
        const a = this.blocking ? null : startAsync(this.fs, p);
        if (a === null) {
          let e: unknown;
          try { syncNow(this.fs, p); } catch (x) { e = x ?? new Error('sync failed'); }
          r = e === undefined ? this.steps.next() : this.steps.throw(e);
          continue;
        }
        this.pending = p;
        const token = ++this.seq;
        a.then(
          () => { if (token === this.seq) { this.pending = null; this.advance(undefined); } },
          (e: unknown) => { if (token === this.seq) { this.pending = null; this.advance(e ?? new Error('sync failed')); } },
        );
        return;
      }
    } catch (e) {
      this.state = 'failed';
      this.error = e;
      this.onFail(e);
    }
  }

  /** Completes the commit now, blocking on the remaining fsyncs; returns the result or throws the failure. */
  finishNow(): T {
    if (this.state === 'syncing') {
      this.blocking = true;
      this.seq++;
      const p = this.pending;
      this.pending = null;
      let err: unknown;
      // the asynchronous fsync may still be running: one more, blocking, is what makes it certain
      if (p) try { syncNow(this.fs, p); } catch (e) { err = e ?? new Error('sync failed'); }
      this.advance(err);
    }
    if (this.state === 'failed') throw this.error;
    return this.result as T;
  }
}
