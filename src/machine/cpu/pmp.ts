/**
 * Physical memory protection: the pmpcfg/pmpaddr registers and the permission
 * check. The hart asks once per TLB fill (and per page-table access), never per
 * instruction; every CSR write here must be followed by a TLB flush.
 *
 * Granularity is 4 bytes (G = 0) with 16 entries, as on QEMU 7.2.
 */

export const PMP_R = 1;
export const PMP_W = 2;
export const PMP_X = 4;
export const PMP_RWX = 7;
/** perms() result when entries split the range: a partial match, which fails (no R/W/X bit set). */
export const PMP_PARTIAL = 8;

const PMP_L = 0x80;
const A_OFF = 0, A_TOR = 1, A_NA4 = 2;

export class Pmp {
  readonly cfg: Uint8Array;
  readonly addrLo: Int32Array;
  readonly addrHi: Int32Array;
  /** Region of each entry as [start, end) byte addresses (end <= start: matches nothing). */
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  /** Number of entries up to the last one whose A field is not OFF. */
  private used = 0;

  constructor(readonly entries: number) {
    this.cfg = new Uint8Array(entries);
    this.addrLo = new Int32Array(entries);
    this.addrHi = new Int32Array(entries);
    this.start = new Float64Array(entries);
    this.end = new Float64Array(entries);
  }

  reset(): void {
    this.cfg.fill(0);
    this.addrLo.fill(0);
    this.addrHi.fill(0);
    this.update();
  }

  /** Writes the configuration byte of entry i (ignored while the entry is locked). */
  writeCfg(i: number, v: number): void {
    if ((this.cfg[i] & PMP_L) !== 0) return;
    v &= 0x9f;
    // R=0, W=1 is reserved (WARL): keep it unusable rather than write-only
    if ((v & 3) === 2) v &= ~2;
    this.cfg[i] = v;
  }

  /** Writes pmpaddr i: 54 bits (physical address bits 55:2). */
  writeAddr(i: number, lo: number, hi: number): void {
    if ((this.cfg[i] & PMP_L) !== 0) return;
    // a locked TOR entry also locks the address register below it, its base
    if (i + 1 < this.entries && (this.cfg[i + 1] & (PMP_L | 0x18)) === (PMP_L | (A_TOR << 3))) return;
    this.addrLo[i] = lo;
    this.addrHi[i] = hi & 0x3fffff;
  }

  /** Recomputes the regions; call after CSR writes or a state load. */
  update(): void {
    this.used = 0;
    for (let i = 0; i < this.entries; i++) {
      const a = (this.cfg[i] >>> 3) & 3;
      const addr = (this.addrHi[i] >>> 0) * 4294967296 + (this.addrLo[i] >>> 0);
      let s = 0, e = 0;
      if (a === A_TOR) {
        s = i === 0 ? 0 : ((this.addrHi[i - 1] >>> 0) * 4294967296 + (this.addrLo[i - 1] >>> 0)) * 4;
        e = addr * 4;
      } else if (a === A_NA4) {
        s = addr * 4;
        e = s + 4;
      } else if (a !== A_OFF) { // NAPOT: trailing ones give the size
        let t = 0;
        while (t < 54 && this.bit(i, t)) t++;
        const size = 2 ** (t + 3);
        s = Math.floor((addr * 4) / size) * size;
        e = s + size;
      }
      this.start[i] = s;
      this.end[i] = e;
      if (a !== A_OFF) this.used = i + 1;
    }
  }

  private bit(i: number, n: number): boolean {
    return ((n < 32 ? this.addrLo[i] >>> n : this.addrHi[i] >>> (n - 32)) & 1) !== 0;
  }

  /**
   * Permissions (PMP_R|W|X) that privilege `priv` has for every byte of
   * [pa, pa + size), or PMP_PARTIAL when the deciding (lowest-numbered
   * overlapping) entry covers only part of the range.
   */
  perms(pa: number, size: number, priv: number): number {
    const last = pa + size;
    for (let i = 0; i < this.used; i++) {
      const s = this.start[i], e = this.end[i];
      if (e <= pa || s >= last || e <= s || (this.cfg[i] & 0x18) === 0) continue;
      // partial matches fail even in M-mode (privileged spec 3.7.1)
      if (s > pa || e < last) return PMP_PARTIAL;
      const c = this.cfg[i];
      return priv === 3 && (c & PMP_L) === 0 ? PMP_RWX : c & PMP_RWX;
    }
    // no match: M succeeds, S and U fail (entries are implemented)
    return priv === 3 ? PMP_RWX : 0;
  }
}
