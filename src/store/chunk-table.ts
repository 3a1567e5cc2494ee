/**
 * In-memory index of chunks by id (ids are dense from 1): location, kind,
 * codec, base and content hash in typed arrays, plus a hash → id map for
 * deduplication (collisions chained, every candidate is byte-verified).
 */
export class ChunkTable {
  pack = new Int32Array(1024).fill(-1);
  offset = new Float64Array(1024);
  length = new Uint32Array(1024);
  kind = new Uint8Array(1024);
  codec = new Uint8Array(1024);
  base = new Uint32Array(1024);
  hash = new Uint32Array(4096);
  private sameKey = new Uint32Array(1024);
  private readonly byKey = new Map<number, number>();
  count = 0;

  has(id: number): boolean {
    return id > 0 && id < this.pack.length && this.pack[id] >= 0;
  }

  add(id: number, pack: number, offset: number, kind: number, codec: number, length: number, base: number, hash: Uint32Array, hashOff = 0): void {
    if (id >= this.pack.length) this.grow(id + 1);
    if (this.pack[id] < 0) this.count++;
    else this.unindex(id);
    this.pack[id] = pack;
    this.offset[id] = offset;
    this.length[id] = length;
    this.kind[id] = kind;
    this.codec[id] = codec;
    this.base[id] = base;
    const h = id * 4;
    this.hash[h] = hash[hashOff]; this.hash[h + 1] = hash[hashOff + 1]; this.hash[h + 2] = hash[hashOff + 2]; this.hash[h + 3] = hash[hashOff + 3];
    if ((hash[hashOff] | hash[hashOff + 1] | hash[hashOff + 2] | hash[hashOff + 3]) !== 0) {
      const k = key(hash, hashOff);
      this.sameKey[id] = this.byKey.get(k) ?? 0;
      this.byKey.set(k, id);
    }
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    this.unindex(id);
    this.pack[id] = -1;
    this.count--;
  }

  /** First candidate id for a hash, then follow `nextCandidate`; 0 ends. */
  firstCandidate(hash: Uint32Array): number {
    return this.byKey.get(key(hash, 0)) ?? 0;
  }

  nextCandidate(id: number): number {
    return this.sameKey[id];
  }

  hashEquals(id: number, hash: Uint32Array): boolean {
    const h = id * 4;
    return this.hash[h] === hash[0] && this.hash[h + 1] === hash[1] && this.hash[h + 2] === hash[2] && this.hash[h + 3] === hash[3];
  }

  /** Largest id ever added + 1 (ids are never reused). */
  get limit(): number {
    return this.pack.length;
  }

  private unindex(id: number): void {
    const h = id * 4;
    if ((this.hash[h] | this.hash[h + 1] | this.hash[h + 2] | this.hash[h + 3]) === 0) return;
    const k = key(this.hash, h);
    let cur = this.byKey.get(k) ?? 0;
    if (cur === id) {
      const nx = this.sameKey[id];
      if (nx) this.byKey.set(k, nx); else this.byKey.delete(k);
      return;
    }
    while (cur !== 0) {
      const nx = this.sameKey[cur];
      if (nx === id) { this.sameKey[cur] = this.sameKey[id]; return; }
      cur = nx;
    }
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

/** 52 bits of the hash as an exact JS number key. */
function key(h: Uint32Array, o: number): number {
  return h[o] + (h[o + 1] & 0xfffff) * 0x100000000;
}
