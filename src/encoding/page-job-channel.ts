/**
 * The shared-memory protocol between a capture (the committing thread) and
 * page workers: a ring of jobs and a ring of results in SharedArrayBuffers,
 * synchronized with Atomics only, so the committing thread never needs the
 * event loop to hand out work or collect it (the guest loop is synchronous)
 * and can block on a result with Atomics.wait when it must (drain).
 *
 * A job names one page: where its bytes are (guest RAM or a copy made on a
 * CoW fault; both are SharedArrayBuffers the workers were given at start)
 * and, if the XBZRLE cache holds a reference for the page, the cache slot
 * (the cache's bytes are shared too). A worker does the page's pure work —
 * zero test, content hash, XBZRLE / sub-page delta against the slot, and
 * compression when there is no delta or it does not fit — and writes the
 * outcome into the job's result slot. Everything that touches repository
 * state (the dedup lookup in the chunk table, the chunk ids, the pack) stays
 * on the committing thread, which consumes results strictly in job order:
 * the commit is ordered and deterministic whatever the number of workers.
 *
 * Browser-capable (no Node API): the Node adapter that starts threads is
 * src/node/page-worker-pool.ts; with no thread at all the committing thread
 * serves the jobs itself (`serveOne`).
 */
import { PAGE_SIZE } from '../machine/memory.js';
import { DeltaPicker } from './delta-picker.js';
import { CODEC_ID, type PageCodec } from './page-codec.js';
import { hashWords } from './page-hash.js';
import { emptyMetrics } from './pipeline-metrics.js';
import { isZeroWords } from './zero-page.js';
import { sharedBytes } from './shared-bytes.js';

/** Control words; from BUSY on, one per worker thread: seq + 1 of the job it is encoding, 0 between jobs. */
const WRITTEN = 0, CLAIMED = 1, STOP = 2, COMPLETED = 3, CONSUMED = 4, BUSY = 8;
const CTL_WORDS = 8;
/** Job fields (Int32). */
const J_PAGE = 0, J_SRC = 1, J_OFF = 2, J_SLOT = 3, J_SEQ = 4;
const JOB_WORDS = 8;
/** Result header fields (Int32); R_DONE is written last (seq + 1). */
const R_DONE = 0, R_KIND = 1, R_LEN = 2, R_FORMAT = 3, R_HASH = 4, R_XWIN = 8, R_SWIN = 9, R_OVERFLOW = 10;
const HDR_WORDS = 16;
/** Result timing fields (Float64). */
const T_ZERO = 0, T_HASH = 1, T_DELTA = 2, T_COMPRESS = 3;
const TIME_WORDS = 4;
/** The committing thread waits this long for a claimed job before doing it itself. */
const STEAL_MS = 1000;
/** Bytes of a result's payload: a delta (≤ PAGE_SIZE) or a compressed page (the codec's bound). */
const PAYLOAD = 2 * PAGE_SIZE;

/** Where a job's page bytes are. */
export const SRC_RAM = 0, SRC_COPY = 1;

/** What a worker found for a page. */
export const OUT_ZERO = 0, OUT_DELTA = 1, OUT_COMPRESSED = 2, OUT_RAW = 3;

/** Everything a worker needs, as structured-clonable data (SharedArrayBuffers are shared, not copied). */
export interface PageWorkerSetup {
  control: SharedArrayBuffer;
  jobs: SharedArrayBuffer;
  results: SharedArrayBuffer;
  times: SharedArrayBuffer;
  payload: SharedArrayBuffer;
  ram: SharedArrayBuffer;
  copies: SharedArrayBuffer;
  /** The XBZRLE cache's bytes (null: no deltas). */
  cache: SharedArrayBuffer | null;
  ring: number;
  /** Worker threads the control buffer has a busy word for. */
  threads: number;
  codec: string;
  deltaMaxBytes: number;
  subpageBlock: number;
  compressMaxBytes: number;
  zeroPages: boolean;
  timing: boolean;
}

/** One decoded result (views into the result ring: valid until the slot is reused). */
export interface PageResult {
  page: number;
  kind: number;
  hash: Uint32Array;
  /** Delta or compressed bytes (payload[0..length)). */
  payload: Uint8Array;
  length: number;
  format: number;
  xbzrleWins: number;
  subpageWins: number;
  deltaOverflow: number;
  msZero: number;
  msHash: number;
  msDelta: number;
  msCompress: number;
}

/** Views of a setup's buffers, on either side. */
class Views {
  readonly ctl: Int32Array;
  readonly jobs: Int32Array;
  readonly res: Int32Array;
  readonly times: Float64Array;
  readonly payload: Uint8Array;
  readonly ram: Uint8Array;
  readonly ramWords: Int32Array;
  readonly copies: Uint8Array;
  readonly copyWords: Int32Array;
  readonly cache: Uint8Array | null;
  readonly cacheWords: Int32Array | undefined;
  constructor(readonly setup: PageWorkerSetup) {
    this.ctl = new Int32Array(setup.control);
    this.jobs = new Int32Array(setup.jobs);
    this.res = new Int32Array(setup.results);
    this.times = new Float64Array(setup.times);
    this.payload = new Uint8Array(setup.payload);
    this.ram = new Uint8Array(setup.ram);
    this.ramWords = new Int32Array(setup.ram, 0, setup.ram.byteLength >>> 2);
    this.copies = new Uint8Array(setup.copies);
    this.copyWords = new Int32Array(setup.copies);
    this.cache = setup.cache ? new Uint8Array(setup.cache) : null;
    this.cacheWords = setup.cache ? new Int32Array(setup.cache) : undefined;
  }
}

/** The worker side: encodes claimed jobs into their result slots. One per thread. */
export class PageJobServer {
  private readonly v: Views;
  private readonly picker: DeltaPicker;
  private readonly comp: Uint8Array;
  private readonly hash = new Uint32Array(4);
  private readonly m = emptyMetrics();
  /** Called with each job this server claims, before encoding it (a test hook: a thread that dies mid-job). */
  onClaim: ((seq: number) => void) | null = null;

  /**
   * `index`: the worker thread's number (its busy word), or -1 for the
   * committing thread's own server.
   */
  constructor(setup: PageWorkerSetup, private readonly codec: PageCodec, private readonly index = -1) {
    this.v = new Views(setup);
    this.picker = new DeltaPicker(setup.deltaMaxBytes, setup.subpageBlock || null, codec);
    this.comp = new Uint8Array(Math.max(codec.maxOutput(PAGE_SIZE), PAGE_SIZE));
    if (codec.maxOutput(PAGE_SIZE) > PAYLOAD) throw new Error(`page worker: codec ${codec.name} may exceed ${PAYLOAD} bytes per page`);
  }

  /** Claims and encodes one job if any is waiting; false if none. */
  serveOne(): boolean {
    const ctl = this.v.ctl;
    for (;;) {
      const claimed = Atomics.load(ctl, CLAIMED);
      if (claimed >= Atomics.load(ctl, WRITTEN)) return false;
      if (Atomics.compareExchange(ctl, CLAIMED, claimed, claimed + 1) === claimed) {
        if (this.index >= 0) Atomics.store(ctl, BUSY + this.index, claimed + 1);
        this.onClaim?.(claimed);
        this.run(claimed);
        if (this.index >= 0) Atomics.store(ctl, BUSY + this.index, 0);
        return true;
      }
    }
  }

  /**
   * A thread started in place of one that died (NodePageWorkerPool restarts
   * them): the job its predecessor had claimed and not delivered is encoded
   * again, unless the committing thread already took it over and consumed it
   * (the work is deterministic: a late duplicate writes the same bytes).
   */
  resume(): void {
    if (this.index < 0) return;
    const ctl = this.v.ctl;
    const busy = Atomics.load(ctl, BUSY + this.index);
    if (busy === 0) return;
    const seq = busy - 1;
    const r = (seq % this.v.setup.ring) * HDR_WORDS;
    if (seq >= Atomics.load(ctl, CONSUMED) && Atomics.load(this.v.res, r + R_DONE) !== seq + 1) this.run(seq);
    Atomics.store(ctl, BUSY + this.index, 0);
  }

  /** The thread's loop: serves jobs, sleeping on the control word between them, until stopped. */
  serveForever(): void {
    const ctl = this.v.ctl;
    this.resume();
    while (Atomics.load(ctl, STOP) === 0) {
      const written = Atomics.load(ctl, WRITTEN);
      if (this.serveOne()) continue;
      Atomics.wait(ctl, WRITTEN, written, 1000);
    }
  }

  /** Encodes job `seq` into its result slot (claimed through serveOne, or taken over by the committing thread). */
  run(seq: number): void {
    const v = this.v, s = v.setup;
    const slot = seq % s.ring;
    const j = slot * JOB_WORDS;
    const fromCopy = v.jobs[j + J_SRC] === SRC_COPY;
    const off = v.jobs[j + J_OFF];
    const cacheSlot = v.jobs[j + J_SLOT];
    const bytes = fromCopy ? v.copies : v.ram;
    const words = fromCopy ? v.copyWords : v.ramWords;
    const r = slot * HDR_WORDS, t = slot * TIME_WORDS, pay = slot * PAYLOAD;
    const timing = s.timing;
    const hash = this.hash;
    let t0 = timing ? performance.now() : 0;
    let kind = OUT_RAW, len = 0, format = 0, overflow = 0;
    const m = this.m;
    m.xbzrleWins = m.subpageWins = 0;
    v.times[t + T_ZERO] = v.times[t + T_HASH] = v.times[t + T_DELTA] = v.times[t + T_COMPRESS] = 0;
    const zero = s.zeroPages && isZeroWords(words, off >>> 2, PAGE_SIZE >>> 2);
    if (timing) { const t1 = performance.now(); v.times[t + T_ZERO] = t1 - t0; t0 = t1; }
    if (zero) {
      kind = OUT_ZERO;
    } else {
      hashWords(words, off >>> 2, PAGE_SIZE >>> 2, hash);
      for (let i = 0; i < 4; i++) v.res[r + R_HASH + i] = hash[i] | 0;
      if (timing) { const t1 = performance.now(); v.times[t + T_HASH] = t1 - t0; t0 = t1; }
      if (cacheSlot >= 0 && v.cache) {
        const n = this.picker.encode(v.cache, cacheSlot * PAGE_SIZE, bytes, off, m, v.cacheWords, words);
        if (timing) { const t1 = performance.now(); v.times[t + T_DELTA] = t1 - t0; t0 = t1; }
        if (n >= 0) {
          kind = OUT_DELTA; len = n; format = this.picker.format;
          v.payload.set(this.picker.out.subarray(0, n), pay);
        } else {
          overflow = 1;
        }
      }
      if (kind !== OUT_DELTA) {
        const n = this.codec.id !== CODEC_ID.none ? this.codec.compress(bytes, off, PAGE_SIZE, this.comp) : -1;
        if (timing) v.times[t + T_COMPRESS] = performance.now() - t0;
        if (n >= 0 && n <= s.compressMaxBytes) {
          kind = OUT_COMPRESSED; len = n;
          v.payload.set(this.comp.subarray(0, n), pay);
        }
      }
    }
    v.res[r + R_KIND] = kind;
    v.res[r + R_LEN] = len;
    v.res[r + R_FORMAT] = format;
    v.res[r + R_XWIN] = m.xbzrleWins;
    v.res[r + R_SWIN] = m.subpageWins;
    v.res[r + R_OVERFLOW] = overflow;
    Atomics.store(v.res, r + R_DONE, seq + 1);
    Atomics.add(v.ctl, COMPLETED, 1);
    // the committing thread may be waiting on exactly this slot (next(true))
    Atomics.notify(v.res, r + R_DONE);
  }
}

/**
 * The committing side: owns the buffers, hands out jobs (at most `ring` in
 * flight) and returns results in job order.
 */
export class PageJobChannel {
  readonly setup: PageWorkerSetup;
  private readonly v: Views;
  /** Next job number to write, and next result to consume. */
  private written = 0;
  private consumed = 0;
  /** `written` when worker threads were last woken. */
  private notified = 0;
  private readonly result: PageResult;
  /** Serves jobs on this thread when no worker thread runs (and helps while blocking). */
  private readonly local: PageJobServer;

  constructor(ram: SharedArrayBuffer, copies: SharedArrayBuffer, cache: SharedArrayBuffer | null,
    options: { ring?: number; codec: PageCodec; deltaMaxBytes: number; subpageBlock: number; compressMaxBytes: number; zeroPages: boolean; timing: boolean },
    private readonly threads: number) {
    const ring = options.ring ?? 1024;
    this.setup = {
      control: sharedBytes((CTL_WORDS + threads) * 4), jobs: sharedBytes(ring * JOB_WORDS * 4), results: sharedBytes(ring * HDR_WORDS * 4),
      times: sharedBytes(ring * TIME_WORDS * 8), payload: sharedBytes(ring * PAYLOAD),
      ram, copies, cache, ring, threads, codec: options.codec.name, deltaMaxBytes: options.deltaMaxBytes, subpageBlock: options.subpageBlock,
      compressMaxBytes: options.compressMaxBytes, zeroPages: options.zeroPages, timing: options.timing,
    };
    this.v = new Views(this.setup);
    this.local = new PageJobServer(this.setup, options.codec);
    this.result = {
      page: 0, kind: 0, hash: new Uint32Array(4), payload: this.v.payload, length: 0, format: 0, xbzrleWins: 0, subpageWins: 0, deltaOverflow: 0,
      msZero: 0, msHash: 0, msDelta: 0, msCompress: 0,
    };
  }

  get ring(): number { return this.setup.ring; }
  /** Jobs handed out whose results are not consumed yet. */
  get inFlight(): number { return this.written - this.consumed; }
  get full(): boolean { return this.written - this.consumed >= this.setup.ring; }
  /** Sequence number of the result `next()` returned last. */
  get lastSeq(): number { return this.consumed - 1; }
  /** Sequence number the next submitted job gets. */
  get nextSeq(): number { return this.written; }
  /** Bytes of the channel's own buffers (results and payloads), for memory reports. */
  get bytes(): number { return this.setup.ring * (JOB_WORDS * 4 + HDR_WORDS * 4 + TIME_WORDS * 8 + PAYLOAD); }

  /** Hands out a job (the ring must not be full); returns its sequence number. `off` is a byte offset in RAM or in the copy buffer. */
  submit(page: number, src: number, off: number, cacheSlot: number): number {
    if (this.full) throw new Error('page job ring is full');
    const seq = this.written;
    const j = (seq % this.setup.ring) * JOB_WORDS;
    const jobs = this.v.jobs;
    jobs[j + J_PAGE] = page; jobs[j + J_SRC] = src; jobs[j + J_OFF] = off; jobs[j + J_SLOT] = cacheSlot; jobs[j + J_SEQ] = seq;
    this.written = seq + 1;
    // publishing the count (a sequentially consistent store) makes the job's fields visible to whoever claims it;
    // a thread between jobs sees it at once, a sleeping one when wake() is called
    Atomics.store(this.v.ctl, WRITTEN, this.written);
    return seq;
  }

  /**
   * Wakes sleeping worker threads for the jobs submitted since the last
   * wake (one notify per batch instead of per job: a notify with a sleeper
   * is a system call). Call after submitting; next() calls it first.
   */
  wake(): void {
    if (this.notified === this.written) return;
    this.notified = this.written;
    Atomics.notify(this.v.ctl, WRITTEN, this.threads);
  }

  /**
   * The next result in job order, or null if it is not ready and `block` is
   * false. Blocking, this thread serves jobs itself while it waits (so a
   * same-thread pool, or a busy one, still makes progress).
   */
  next(block: boolean): PageResult | null {
    if (this.consumed >= this.written) return null;
    this.wake();
    const seq = this.consumed;
    const slot = seq % this.setup.ring;
    const r = slot * HDR_WORDS;
    const res = this.v.res;
    let since = 0;
    for (;;) {
      if (Atomics.load(res, r + R_DONE) === seq + 1) break;
      // no thread: serve here; blocking: help the threads rather than sleep
      if ((this.threads === 0 || block) && this.local.serveOne()) continue;
      if (!block) return null;
      Atomics.wait(res, r + R_DONE, Atomics.load(res, r + R_DONE), 50);
      // claimed by a thread that does not deliver (it died, or is starved): do the job here; should it
      // still deliver, it writes the same bytes (the work is deterministic)
      if (since === 0) since = performance.now();
      else if (performance.now() - since > STEAL_MS) this.local.run(seq);
    }
    const out = this.result, t = slot * TIME_WORDS;
    out.page = this.v.jobs[slot * JOB_WORDS + J_PAGE];
    out.kind = res[r + R_KIND];
    out.length = res[r + R_LEN];
    out.format = res[r + R_FORMAT];
    for (let i = 0; i < 4; i++) out.hash[i] = res[r + R_HASH + i];
    out.payload = this.v.payload.subarray(slot * PAYLOAD, slot * PAYLOAD + PAYLOAD);
    out.xbzrleWins = res[r + R_XWIN];
    out.subpageWins = res[r + R_SWIN];
    out.deltaOverflow = res[r + R_OVERFLOW];
    out.msZero = this.v.times[t + T_ZERO]; out.msHash = this.v.times[t + T_HASH];
    out.msDelta = this.v.times[t + T_DELTA]; out.msCompress = this.v.times[t + T_COMPRESS];
    this.consumed = seq + 1;
    // a restarted thread re-runs its predecessor's job only if it is still to be consumed
    Atomics.store(this.v.ctl, CONSUMED, this.consumed);
    return out;
  }

  /** Waits for every job handed out and drops the results (a capture that ended or failed). */
  discardPending(): void {
    while (this.next(true) !== null) { /* dropped */ }
  }

  /** Tells worker threads to exit (after the job they are on). */
  stop(): void {
    Atomics.store(this.v.ctl, STOP, 1);
    Atomics.notify(this.v.ctl, WRITTEN);
  }
}
