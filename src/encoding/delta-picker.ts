import { PAGE_SIZE } from '../machine/memory.js';
import { DELTA_FORMAT } from './delta-format.js';
import type { PageCodec } from './page-codec.js';
import type { PipelineMetrics } from './pipeline-metrics.js';
import { subpageEncode, subpageMaxBytes } from './subpage-delta.js';
import { xbzrleEncode } from './xbzrle.js';

/**
 * Encodes a page against a base page as XBZRLE and, when sub-page deltas are
 * on, also as changed blocks, keeping the smaller (ties go to XBZRLE, the
 * cheaper to apply). The winner's bytes are in `out`, its format in `format`.
 */
export class DeltaPicker {
  readonly out: Uint8Array;
  format: number = DELTA_FORMAT.xbzrle;
  private readonly alt: Uint8Array;
  private readonly scratch = new Uint8Array(PAGE_SIZE);
  private comp: Uint8Array;

  constructor(readonly maxBytes: number, readonly subpageBlock: number | null, private codec: PageCodec | null) {
    this.out = new Uint8Array(Math.max(PAGE_SIZE, maxBytes));
    this.alt = new Uint8Array(subpageBlock ? subpageMaxBytes(subpageBlock) : 0);
    this.comp = new Uint8Array(codec ? codec.maxOutput(PAGE_SIZE) : 0);
  }

  setCodec(codec: PageCodec | null): void {
    this.codec = codec;
    const need = codec ? codec.maxOutput(PAGE_SIZE) : 0;
    if (this.comp.length < need) this.comp = new Uint8Array(need);
  }

  /** Length of the chosen delta, or -1 if neither fits in `limit` (at most maxBytes). Counts the contest in `m`. */
  encode(old: Uint8Array, oOff: number, cur: Uint8Array, cOff: number, m: PipelineMetrics, oldWords?: Int32Array, curWords?: Int32Array, limit = this.maxBytes): number {
    const max = Math.min(limit, this.maxBytes);
    if (max < 0) return -1;
    const x = xbzrleEncode(old, oOff, cur, cOff, PAGE_SIZE, this.out, max, oldWords, curWords);
    this.format = DELTA_FORMAT.xbzrle;
    if (this.subpageBlock === null) return x;
    const within = x >= 0 ? x - 1 : max;
    const s = within < 0 ? -1 : subpageEncode(old, oOff, cur, cOff, this.subpageBlock, this.alt, within, this.codec, this.scratch, this.comp, oldWords, curWords);
    if (s < 0) {
      if (x >= 0) m.xbzrleWins++;
      return x;
    }
    m.subpageWins++;
    this.out.set(this.alt.subarray(0, s));
    this.format = DELTA_FORMAT.subpage;
    return s;
  }
}
