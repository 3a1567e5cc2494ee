/**
 * cachesim: a split L1 (instructions, data) in front of a unified L2, each
 * set-associative with LRU replacement, fed with the physical addresses of
 * every fetch, load and store. Options: l1i, l1d, l2 as SIZE/WAYS/LINE
 * (defaults 32k/8/64, 32k/8/64, 512k/16/64). Each interval starts with cold
 * caches (intervals are independent jobs), so results differ from one long
 * simulation by the warm-up misses at each interval start; longer intervals
 * make that error smaller.
 */
import { CacheModel, parseGeometry, type CacheGeometry } from '../cache-model.js';
import type { PluginFactory, PluginOptions } from '../plugin.js';

export interface CacheCounts { accesses: number; hits: number; misses: number }
export interface CachesimResult {
  geometry: Record<'l1i' | 'l1d' | 'l2', CacheGeometry>;
  l1i: CacheCounts;
  l1d: CacheCounts;
  l2: CacheCounts;
  loads: number;
  stores: number;
}

function geometries(o: PluginOptions): CachesimResult['geometry'] {
  return { l1i: parseGeometry(o.l1i ?? '32k/8/64'), l1d: parseGeometry(o.l1d ?? '32k/8/64'), l2: parseGeometry(o.l2 ?? '512k/16/64') };
}

const counts = (c: CacheModel): CacheCounts => ({ accesses: c.hits + c.misses, hits: c.hits, misses: c.misses });
const add = (a: CacheCounts, b: CacheCounts): CacheCounts => ({ accesses: a.accesses + b.accesses, hits: a.hits + b.hits, misses: a.misses + b.misses });
const rate = (c: CacheCounts): string => (c.accesses ? `${((100 * c.misses) / c.accesses).toFixed(2)}% miss` : 'no accesses');

/** The hierarchy itself, usable without a machine (tests feed it address traces). */
export class CacheHierarchy {
  readonly l1i: CacheModel;
  readonly l1d: CacheModel;
  readonly l2: CacheModel;
  constructor(g: CachesimResult['geometry']) {
    this.l1i = new CacheModel(g.l1i);
    this.l1d = new CacheModel(g.l1d);
    this.l2 = new CacheModel(g.l2);
  }
  fetch(pa: number): void {
    if (!this.l1i.access(pa)) this.l2.access(pa);
  }
  /** A data access of `size` bytes: each line it touches. */
  data(pa: number, size: number): void {
    if (!this.l1d.access(pa)) this.l2.access(pa);
    const last = pa + size - 1;
    if (this.l1d.lineOf(last) !== this.l1d.lineOf(pa) && !this.l1d.access(last)) this.l2.access(last);
  }
}

export const cachesim: PluginFactory<CachesimResult> = {
  name: 'cachesim',
  description: 'set-associative L1I/L1D/L2 cache model (LRU): hits and misses',
  create(_ctx, options) {
    const geometry = geometries(options);
    const h = new CacheHierarchy(geometry);
    let loads = 0, stores = 0;
    return {
      hooks: {
        insn(_pl, _ph, pa, _insn, len) {
          h.fetch(pa);
          if (len === 4 && h.l1i.lineOf(pa + 2) !== h.l1i.lineOf(pa)) h.fetch(pa + 2);
        },
        memRead(_vl, _vh, pa, size) { loads++; h.data(pa, size); },
        memWrite(_vl, _vh, pa, size) { stores++; h.data(pa, size); },
      },
      finish() {
        return { geometry, l1i: counts(h.l1i), l1d: counts(h.l1d), l2: counts(h.l2), loads, stores };
      },
    };
  },
  merge(a, b) {
    return { geometry: a.geometry, l1i: add(a.l1i, b.l1i), l1d: add(a.l1d, b.l1d), l2: add(a.l2, b.l2), loads: a.loads + b.loads, stores: a.stores + b.stores };
  },
  summary(r) {
    return [`L1I ${rate(r.l1i)}, L1D ${rate(r.l1d)}, L2 ${rate(r.l2)} (${r.loads.toLocaleString('en-US')} loads, ${r.stores.toLocaleString('en-US')} stores)`];
  },
};
