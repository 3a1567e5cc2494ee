/**
 * In-memory index of chunks by id: location, kind, codec, base and content
 * hash in typed arrays, plus a hash → id index for deduplication (every
 * candidate is byte-verified). Ids are sparse (each writer of a shared
 * repository reserves its own block of ids) and come from files, so rows are
 * allocated per chunk held, never per id value: a hostile id costs nothing.
 *
 * The dedup index is a chained hash table in typed arrays: a power-of-two
 * array of bucket heads (chunk ids, 0 = empty) indexed by the hash's first
 * word, chained through `sameKey` per row, newest first. It replaced a Map
 * keyed by 52 hash bits (a heap number per key: ~1 µs per add or lookup on
 * the committing thread, which is the guest's); a bucket holds chunks of
 * different hashes, which callers skip with hashEquals.
 */
export class ChunkTable {
  private pack = new Int32Array(1024).fill(-1);
  private offset = new Float64Array(1024);
  private length = new Uint32Array(1024);
  private kind = new Uint8Array(1024);
  private codec = new Uint8Array(1024);
  private base = new Uint32Array(1024);
  private hash = new Uint32Array(4096);
  private sameKey = new Uint32Array(1024);
  private readonly rows = new Map<number, number>();
  private readonly free: number[] = [];
  private used = 0;
  /** Bucket heads (chunk ids; 0: empty), at most half full. */
  private buckets = new Uint32Array(2048);
  private mask = 2047;
  private indexed = 0;

  get count(): number { return this.rows.size; }

  /** Row of chunk `id`, or -1. */
  private row(id: number): number {
    return this.rows.get(id) ?? -1;
  }

  has(id: number): boolean {
    return this.rows.has(id);
  }

  add(id: number, pack: number, offset: number, kind: number, codec: number, length: number, base: number, hash: Uint32Array, hashOff = 0): void {
    let r = this.row(id);
    if (r < 0) {
      r = this.free.pop() ?? this.used++;
      if (r >= this.pack.length) this.grow(r + 1);
      this.rows.set(id, r);
    } else {
      this.unindex(id, r);
    }
    this.pack[r] = pack;
    this.offset[r] = offset;
    this.length[r] = length;
    this.kind[r] = kind;
    this.codec[r] = codec;
    this.base[r] = base;
    const h = r * 4;
    this.hash[h] = hash[hashOff]; this.hash[h + 1] = hash[hashOff + 1]; this.hash[h + 2] = hash[hashOff + 2]; this.hash[h + 3] = hash[hashOff + 3];
    if ((hash[hashOff] | hash[hashOff + 1] | hash[hashOff + 2] | hash[hashOff + 3]) !== 0) {
      if (++this.indexed * 2 > this.buckets.length) this.rehash(this.buckets.length * 2);
      const b = hash[hashOff] & this.mask;
      this.sameKey[r] = this.buckets[b];
      this.buckets[b] = id;
    } else {
      this.sameKey[r] = 0;
    }
  }

  /** Moves a chunk (garbage collection copied its record). */
  move(id: number, pack: number, offset: number): void {
    const r = this.row(id);
    if (r >= 0) { this.pack[r] = pack; this.offset[r] = offset; }
  }

  remove(id: number): void {
    const r = this.row(id);
    if (r < 0) return;
    this.unindex(id, r);
    this.pack[r] = -1;
    this.rows.delete(id);
    this.free.push(r);
  }

  packOf(id: number): number { return this.pack[this.row(id)] ?? -1; }
  offsetOf(id: number): number { return this.offset[this.row(id)]; }
  lengthOf(id: number): number { return this.length[this.row(id)]; }
  kindOf(id: number): number { return this.kind[this.row(id)]; }
  codecOf(id: number): number { return this.codec[this.row(id)]; }
  baseOf(id: number): number { return this.base[this.row(id)]; }
  /** The 4 hash words of chunk `id` (a view, valid until the table changes). */
  hashOf(id: number): Uint32Array { const h = this.row(id) * 4; return this.hash.subarray(h, h + 4); }

  /** Ids held, ascending. */
  ids(): number[] {
    return [...this.rows.keys()].sort((a, b) => a - b);
  }

  /** First candidate id for a hash, then follow `nextCandidate`; 0 ends. */
  firstCandidate(hash: Uint32Array): number {
    return this.buckets[hash[0] & this.mask];
  }

  nextCandidate(id: number): number {
    const r = this.row(id);
    return r < 0 ? 0 : this.sameKey[r];
  }

  hashEquals(id: number, hash: Uint32Array): boolean {
    const r = this.row(id);
    if (r < 0) return false;
    const h = r * 4;
    return this.hash[h] === hash[0] && this.hash[h + 1] === hash[1] && this.hash[h + 2] === hash[2] && this.hash[h + 3] === hash[3];
  }

  private unindex(id: number, r: number): void {
    const h = r * 4;
    if ((this.hash[h] | this.hash[h + 1] | this.hash[h + 2] | this.hash[h + 3]) === 0) return;
    const b = this.hash[h] & this.mask;
    let cur = this.buckets[b];
    if (cur === id) {
      this.buckets[b] = this.sameKey[r];
      this.indexed--;
      return;
    }
    while (cur !== 0) {
      const cr = this.row(cur);
      if (cr < 0) return;
      const nx = this.sameKey[cr];
      if (nx === id) { this.sameKey[cr] = this.sameKey[r]; this.indexed--; return; }
      cur = nx;
    }
  }

  /**
   * Doubles the bucket array. A bucket's chain splits into two (its hash
   * bit decides), each keeping the old order: chunks of one hash stay
   * newest first, so dedup picks the same candidate as before.
   */
  private rehash(size: number): void {
    const old = this.buckets;
    const next = new Uint32Array(size);
    const mask = size - 1;
    for (let b = 0; b < old.length; b++) {
      // walk the chain once, appending each id to the tail of its new bucket's chain (order kept)
      let loTail = -1, hiTail = -1;
      for (let id = old[b]; id !== 0;) {
        const r = this.row(id);
        const following = this.sameKey[r];
        const nb = this.hash[r * 4] & mask;
        const tail = nb === b ? loTail : hiTail;
        if (tail < 0) next[nb] = id; else this.sameKey[tail] = id;
        if (nb === b) loTail = r; else hiTail = r;
        id = following;
      }
      if (loTail >= 0) this.sameKey[loTail] = 0;
      if (hiTail >= 0) this.sameKey[hiTail] = 0;
    }
    this.buckets = next;
    this.mask = mask;
  }

  private grow(min: number): void {
    let cap = this.pack.length;
    while (cap < min) cap *= 2;
    const g = <T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(a: T, n: number, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.pack = g(this.pack, cap, -1);
    this.offset = g(this.offset, cap);
    this.length = g(this.length, cap);
    this.kind = g(this.kind, cap);
    this.codec = g(this.codec, cap);
    this.base = g(this.base, cap);
    this.hash = g(this.hash, cap * 4);
    this.sameKey = g(this.sameKey, cap);
  }
}
