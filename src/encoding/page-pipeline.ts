import { PAGE_SIZE } from '../machine/memory.js';
import type { ChunkSink } from './chunk-sink.js';
import { CODEC_ID, NoneCodec, type PageCodec } from './page-codec.js';
import { checkPageSource, type PageSource } from './page-source.js';
import { emptyMetrics, type PipelineMetrics } from './pipeline-metrics.js';
import { hashWords } from './page-hash.js';
import { XbzrleCache } from './xbzrle-cache.js';
import { isZeroWords } from './zero-page.js';
import { DeltaPicker } from './delta-picker.js';
import { SimilarityIndex } from './similarity-index.js';
import { checkBlockSize } from './subpage-delta.js';
import type { PageReferences } from './page-references.js';
import { OUT_COMPRESSED, OUT_DELTA, OUT_RAW, OUT_ZERO, type PageResult } from './page-job-channel.js';

export interface PipelineOptions {
  zeroPages?: boolean;
  dedup?: boolean;
  delta?: boolean;
  /** XBZRLE reference cache size in bytes (QEMU default 64 MiB). */
  deltaCacheBytes?: number;
  /** A delta longer than this many bytes is dropped in favour of compression. */
  deltaMaxBytes?: number;
  /** Codec for full pages; null or 'none' stores them raw. */
  codec?: PageCodec | null;
  /** A compressed page must be at most this many bytes, else it is stored raw. */
  compressMaxBytes?: number;
  /** Measure time per stage (costs a few performance.now() calls per page). */
  timing?: boolean;
  /** Also encode deltas as changed blocks of this many bytes and keep the smaller per page (0: off). */
  subpageBlock?: number;
  /** Delta against a similar stored page found through sampled fingerprints (needs ChunkSink.readChunk). */
  similarity?: boolean;
  /** Slots of the similarity index (8 bytes each; a power of two). */
  similaritySlots?: number;
  /** Pages found here (e.g. disk image blocks) are stored as references (needs ChunkSink.putReference). */
  references?: PageReferences | null;
}

export const DEFAULT_PIPELINE = {
  zeroPages: true,
  dedup: true,
  delta: true,
  deltaCacheBytes: 64 << 20,
  deltaMaxBytes: PAGE_SIZE / 4,
  compressMaxBytes: PAGE_SIZE - 256,
  timing: true,
  subpageBlock: 0,
  similarity: false,
  similaritySlots: 1 << 16,
  references: null,
};

const WORDS = PAGE_SIZE >>> 2;

/**
 * Turns selected pages of a PageSource into chunks: zero test → content
 * hash + verified dedup → XBZRLE delta against the cached keyframe →
 * compression → raw. Buffers are allocated once; a page allocates nothing
 * here (the codec library and the sink may).
 */
/** Why a page is known free before it is read (0: not known free). */
export const FREE_BALLOON = 1;
export const FREE_KERNEL = 2;

/** Counts a zero page: apart when it was known free. */
export function countZero(m: PipelineMetrics, free: number): void {
  if (free === FREE_BALLOON) m.pagesFreeReported++;
  else if (free === FREE_KERNEL) m.pagesFreeKernel++;
  else m.pagesZero++;
}

export class PagePipeline {
  readonly options: Required<Omit<PipelineOptions, 'codec' | 'references'>> & { codec: PageCodec; references: PageReferences | null };
  private cache: XbzrleCache | null = null;
  private readonly hash = new Uint32Array(4);
  private readonly picker: DeltaPicker;
  private readonly similar: SimilarityIndex | null;
  private readonly simBuf = new Uint8Array(PAGE_SIZE);
  private readonly simWords = new Int32Array(this.simBuf.buffer);
  private compBuf: Uint8Array;
  private words: Int32Array | null = null;
  private wordsFor: Uint8Array | null = null;
  private evictionsBefore = 0;
  private readonly aligned = new Uint8Array(PAGE_SIZE);
  private readonly alignedWords = new Int32Array(this.aligned.buffer);
  metrics: PipelineMetrics = emptyMetrics();

  constructor(options: PipelineOptions = {}) {
    const codec = options.codec ?? new NoneCodec();
    this.options = { ...DEFAULT_PIPELINE, ...options, codec };
    if (this.options.subpageBlock) checkBlockSize(this.options.subpageBlock);
    this.picker = new DeltaPicker(this.options.deltaMaxBytes, this.options.subpageBlock || null, codec);
    this.similar = this.options.similarity ? new SimilarityIndex(this.options.similaritySlots) : null;
    this.compBuf = new Uint8Array(codec.maxOutput(PAGE_SIZE));
  }

  /** Switches the codec for full pages (the delta cache stays valid). */
  setCodec(codec: PageCodec | null): void {
    this.options.codec = codec ?? new NoneCodec();
    this.picker.setCodec(this.options.codec);
    const need = this.options.codec.maxOutput(PAGE_SIZE);
    if (this.compBuf.length < need) this.compBuf = new Uint8Array(need);
  }

  /** Drops every delta reference (after a restore or garbage collection). */
  resetDeltaCache(): void {
    this.cache?.clear();
    this.similar?.clear();
  }

  /**
   * Processes every page whose byte in `selection` (default: source.dirty) is
   * non-zero. Returns this run's metrics (also added to `this.metrics`).
   */
  run(source: PageSource, sink: ChunkSink, selection: Uint8Array = source.dirty): PipelineMetrics {
    checkPageSource(source);
    const m = emptyMetrics();
    const t0 = this.options.timing ? performance.now() : 0;
    this.prepare(source.pageCount);
    for (let p = 0; p < source.pageCount; p++) {
      if (selection[p] !== 0) this.page(p, source.ram, p * PAGE_SIZE, sink, m);
    }
    return this.finish(m, t0);
  }

  /**
   * Incremental use (a capture that reads pages a few at a time): `prepare`
   * once for a source of `pageCount` pages, `page()` for each page (its bytes
   * may come from anywhere: guest RAM or a copy made on a write fault), then
   * `finish`.
   */
  prepare(pageCount: number): void {
    if (this.options.delta && (!this.cache || this.cache.pageCount !== pageCount)) {
      this.cache = new XbzrleCache(pageCount, this.options.deltaCacheBytes);
    }
    this.evictionsBefore = this.options.delta && this.cache ? this.cache.evictions : 0;
  }

  /** Adds derived figures to `m` (started at `t0`, a performance.now() or 0) and to `this.metrics`. */
  finish(m: PipelineMetrics, t0: number): PipelineMetrics {
    const cache = this.options.delta ? this.cache : null;
    m.bytesIn = m.pagesDirty * PAGE_SIZE;
    if (cache) m.cacheEvictions = cache.evictions - this.evictionsBefore;
    if (this.options.timing) m.msTotal = performance.now() - t0;
    for (const k of Object.keys(m) as Array<keyof PipelineMetrics>) this.metrics[k] += m[k];
    return m;
  }

  /** Similarity delta: encode against the most similar stored full chunk within `limit` bytes; true if stored that way. */
  private trySimilar(sink: ChunkSink, w: Int32Array, wOff: number, ram: Uint8Array, off: number, words: Int32Array | null, p: number, m: PipelineMetrics, limit: number): boolean {
    const timing = this.options.timing;
    const t = timing ? performance.now() : 0;
    const base = (this.similar as SimilarityIndex).lookup(w, wOff);
    let n = -1;
    if (base !== 0 && sink.isFullChunk(base)) {
      (sink.readChunk as (id: number, dst: Uint8Array) => void)(base, this.simBuf);
      n = this.picker.encode(this.simBuf, 0, ram, off, m, this.simWords, words ?? undefined, limit);
    }
    if (timing) m.msDelta += performance.now() - t;
    if (n < 0) return false;
    sink.setPage(p, sink.putDelta(this.hash, base, this.picker.out, 0, n, this.picker.format));
    m.pagesSimilar++;
    m.bytesSimilar += n;
    m.bytesOut += n;
    return true;
  }
  /** Encodes page `p` whose bytes are ram[off .. off+PAGE_SIZE) into `sink`, counting into `m`; `useCache` false leaves the delta cache alone (page workers hold slots of it). */
  page(p: number, ram: Uint8Array, off: number, sink: ChunkSink, m: PipelineMetrics, useCache = true): void {
    const o = this.options;
    const timing = o.timing;
    const cache = o.delta && useCache ? this.cache : null;
    const codec = o.codec;
    const hash = this.hash;
    let t = 0;
    m.pagesDirty++;
    // a lone page (a copy made on a write fault) goes through the aligned scratch page, so the word view of RAM stays cached
    let words = ram.length > PAGE_SIZE || ram === this.aligned ? this.wordsOf(ram) : null;
    let w: Int32Array;
    let wOff: number;
    if (words && off % 4 === 0) {
      w = words; wOff = off >>> 2;
    } else {
      this.aligned.set(ram.subarray(off, off + PAGE_SIZE));
      ram = this.aligned; off = 0; words = w = this.alignedWords; wOff = 0;
    }

    if (o.zeroPages) {
      if (timing) t = performance.now();
      const zero = isZeroWords(w, wOff, WORDS);
      if (timing) m.msZero += performance.now() - t;
      if (zero) {
        m.pagesZero++;
        sink.setPage(p, 0);
        return;
      }
    }

    if (o.dedup) {
      if (timing) t = performance.now();
      hashWords(w, wOff, WORDS, hash);
      if (timing) { const t1 = performance.now(); m.msHash += t1 - t; t = t1; }
      const dup = sink.findDuplicate(hash, ram, off);
      if (timing) m.msDedup += performance.now() - t;
      if (dup !== 0) {
        m.pagesDeduplicated++;
        sink.setPage(p, dup);
        return;
      }
    } else if (o.references) {
      hashWords(w, wOff, WORDS, hash); // a reference chunk is always verified against its hash
    } else {
      hash.fill(0);
    }

    if (o.references && sink.putReference) {
      if (timing) t = performance.now();
      const ref = o.references.find(hash, ram, off);
      if (timing) m.msDedup += performance.now() - t;
      if (ref !== null) {
        sink.setPage(p, sink.putReference(hash, ref, 0, ref.length));
        m.pagesDiskRef++;
        m.bytesDiskRef += ref.length;
        m.bytesOut += ref.length;
        return;
      }
    }

    if (cache) {
      const slot = cache.lookup(p);
      if (slot >= 0) {
        const base = cache.chunkOf(slot);
        if (sink.isFullChunk(base)) {
          if (timing) t = performance.now();
          const n = this.picker.encode(cache.data, cache.offsetOf(slot), ram, off, m, cache.words, words ?? undefined);
          if (timing) m.msDelta += performance.now() - t;
          if (n >= 0) {
            if (timing) t = performance.now();
            const id = sink.putDelta(hash, base, this.picker.out, 0, n, this.picker.format);
            sink.setPage(p, id);
            if (timing) m.msStore += performance.now() - t;
            if (this.picker.format === 0) { m.pagesDelta++; m.bytesDelta += n; } else { m.pagesSubpage++; m.bytesSubpage += n; }
            m.bytesOut += n;
            return;
          }
          m.deltaOverflows++;
        } else {
          cache.drop(p);
        }
      }
    }

    let id: number;
    let n = -1;
    if (codec.id !== CODEC_ID.none) {
      if (timing) t = performance.now();
      n = codec.compress(ram, off, PAGE_SIZE, this.compBuf);
      if (timing) m.msCompress += performance.now() - t;
    }
    // A similarity delta must beat what the page costs compressed (or raw).
    const stored = n >= 0 && n <= o.compressMaxBytes ? n : PAGE_SIZE;
    if (this.similar && sink.readChunk && this.trySimilar(sink, w, wOff, ram, off, words, p, m, stored - 1)) return;
    if (timing) t = performance.now();
    if (n >= 0 && n <= o.compressMaxBytes) {
      id = sink.putFull(hash, codec.id, this.compBuf, 0, n);
      m.pagesCompressed++;
      m.bytesOut += n;
    } else {
      id = sink.putFull(hash, CODEC_ID.none, ram, off, PAGE_SIZE);
      m.pagesRaw++;
      m.bytesOut += PAGE_SIZE;
    }
    sink.setPage(p, id);
    if (cache) cache.insert(p, ram, off, id);
    this.similar?.insert(w, wOff, id);
    if (timing) m.msStore += performance.now() - t;
  }

  /** Page workers can do this pipeline's per-page work (similarity deltas and page-cache references need the sink on this thread). */
  get workerCapable(): boolean {
    return this.similar === null && this.options.references === null;
  }

  /** The delta cache's bytes, which page workers read (null: no deltas). */
  get cacheBuffer(): SharedArrayBuffer | null {
    return this.options.delta && this.cache ? (this.cache.data.buffer as SharedArrayBuffer) : null;
  }

  /**
   * For a page worker's job: the delta cache slot holding page p's reference
   * (-1: none), marked most recently used. A slot cannot be evicted while
   * the job is in flight when the cache has more than twice `inFlight`
   * slots (each job touches at most two); a smaller cache gives no slots.
   */
  deltaSlot(p: number, inFlight: number): number {
    const cache = this.options.delta ? this.cache : null;
    if (!cache || cache.capacity <= 2 * inFlight) return -1;
    return cache.lookup(p);
  }

  /** Chunk a delta cache slot's bytes were stored as. */
  deltaBase(slot: number): number {
    return (this.cache as XbzrleCache).chunkOf(slot);
  }

  /**
   * Stores page p as a page worker encoded it (`r`; `base`: the chunk its
   * delta slot held), with the same decisions and order of tests as page():
   * zero, dedup, delta (if its base is still a full chunk), compressed or
   * raw. `bytes[off..]` are the page's bytes as the worker read them.
   * `free`: a zero page known free is counted as such (FREE_BALLOON: the guest
   * reported it; FREE_KERNEL: found in the kernel's free lists).
   */
  accept(p: number, r: PageResult, base: number, bytes: Uint8Array, off: number, sink: ChunkSink, m: PipelineMetrics, free = 0): void {
    const o = this.options;
    const timing = o.timing;
    m.pagesDirty++;
    m.msZero += r.msZero; m.msHash += r.msHash; m.msDelta += r.msDelta; m.msCompress += r.msCompress;
    m.xbzrleWins += r.xbzrleWins; m.subpageWins += r.subpageWins;
    if (r.kind === OUT_ZERO) {
      countZero(m, free);
      sink.setPage(p, 0);
      return;
    }
    const hash = this.hash;
    if (o.dedup) {
      hash.set(r.hash);
      const t = timing ? performance.now() : 0;
      const dup = sink.findDuplicate(hash, bytes, off);
      if (timing) m.msDedup += performance.now() - t;
      if (dup !== 0) {
        m.pagesDeduplicated++;
        sink.setPage(p, dup);
        return;
      }
    } else {
      hash.fill(0);
    }
    const t = timing ? performance.now() : 0;
    const cache = o.delta ? this.cache : null;
    let kind = r.kind, payload = r.payload, n = r.length;
    if (kind === OUT_DELTA) {
      if (sink.isFullChunk(base)) {
        sink.setPage(p, sink.putDelta(hash, base, payload, 0, n, r.format));
        if (r.format === 0) { m.pagesDelta++; m.bytesDelta += n; } else { m.pagesSubpage++; m.bytesSubpage += n; }
        m.bytesOut += n;
        if (timing) m.msStore += performance.now() - t;
        return;
      }
      // its base went away (garbage collection) since the job was sent: compress here
      n = o.codec.id !== CODEC_ID.none ? o.codec.compress(bytes, off, PAGE_SIZE, this.compBuf) : -1;
      kind = n >= 0 && n <= o.compressMaxBytes ? OUT_COMPRESSED : OUT_RAW;
      payload = this.compBuf;
    }
    if (r.deltaOverflow) m.deltaOverflows++;
    let id: number;
    if (kind === OUT_COMPRESSED) {
      id = sink.putFull(hash, o.codec.id, payload, 0, n);
      m.pagesCompressed++;
      m.bytesOut += n;
    } else {
      id = sink.putFull(hash, CODEC_ID.none, bytes, off, PAGE_SIZE);
      m.pagesRaw++;
      m.bytesOut += PAGE_SIZE;
    }
    sink.setPage(p, id);
    if (cache) cache.insert(p, bytes, off, id);
    if (timing) m.msStore += performance.now() - t;
  }

  private wordsOf(ram: Uint8Array): Int32Array | null {
    if (ram === this.aligned) return this.alignedWords;
    if (ram.byteOffset % 4 !== 0) return null;
    if (this.wordsFor !== ram) {
      this.words = new Int32Array(ram.buffer, ram.byteOffset, ram.length >>> 2);
      this.wordsFor = ram;
    }
    return this.words;
  }
}
