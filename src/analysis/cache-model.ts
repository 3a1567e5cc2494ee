/**
 * A set-associative cache with LRU replacement, counting hits and misses.
 * Addresses are physical byte addresses (numbers); write-allocate, and
 * writes cost like reads (no write-back traffic is modelled).
 */
export interface CacheGeometry {
  /** Total bytes. */
  readonly size: number;
  readonly ways: number;
  /** Line bytes (a power of two). */
  readonly line: number;
}

export class CacheModel {
  readonly sets: number;
  private readonly lineShift: number;
  /** Line number held per (set, way); -1 = invalid. */
  private readonly tags: Float64Array;
  /** Last use per (set, way): the smallest is evicted. */
  private readonly used: Float64Array;
  private clock = 0;
  hits = 0;
  misses = 0;

  constructor(readonly geometry: CacheGeometry) {
    const { size, ways, line } = geometry;
    if (!(line > 0 && (line & (line - 1)) === 0)) throw new Error(`cache line ${line} is not a power of two`);
    if (!(ways > 0) || size % (ways * line) !== 0) throw new Error(`cache of ${size} bytes cannot have ${ways} ways of ${line}-byte lines`);
    this.sets = size / (ways * line);
    this.lineShift = Math.log2(line);
    this.tags = new Float64Array(this.sets * ways).fill(-1);
    this.used = new Float64Array(this.sets * ways);
  }

  /** Accesses the line holding `addr`; true on a hit. */
  access(addr: number): boolean {
    const lineNo = Math.floor(addr / this.geometry.line);
    const ways = this.geometry.ways;
    const base = (lineNo % this.sets) * ways;
    const tags = this.tags, used = this.used;
    this.clock++;
    let victim = base;
    for (let w = base; w < base + ways; w++) {
      if (tags[w] === lineNo) { used[w] = this.clock; this.hits++; return true; }
      if (used[w] < used[victim]) victim = w;
    }
    tags[victim] = lineNo;
    used[victim] = this.clock;
    this.misses++;
    return false;
  }

  /** Line index of an address (for callers splitting accesses that span lines). */
  lineOf(addr: number): number {
    return Math.floor(addr / 2 ** this.lineShift);
  }
}

/** `32k/8/64` → { size: 32768, ways: 8, line: 64 }. */
export function parseGeometry(text: string): CacheGeometry {
  const m = /^(\d+)([kKmM]?)\/(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new Error(`cache geometry "${text}": expected SIZE/WAYS/LINE, e.g. 32k/8/64`);
  const size = Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1024 : 1 << 20);
  return { size, ways: Number(m[3]), line: Number(m[4]) };
}
