import { PAGE_SIZE } from '../machine/memory.js';
import { CodecError } from './codec-error.js';
import { CODEC_ID, type PageCodec } from './page-codec.js';

/**
 * Sub-page incremental delta: a page stored as the fixed-size blocks
 * (64 bytes by default) that differ from a base page, the changed blocks
 * optionally compressed with the page codec. Payload:
 *   u8 log2(block size) | u8 codec id (0 = raw) | bitmap, one bit per block
 *   (LSB first) | the changed blocks in page order (or their compressed form)
 * XBZRLE encodes byte runs and costs 2+ bytes per run; blocks cost a bitmap
 * and whole blocks but compress. The pipeline computes both and keeps the
 * smaller, per page.
 */
export const MIN_BLOCK = 16;

export function checkBlockSize(blockSize: number): number {
  const log = Math.log2(blockSize);
  if (!Number.isInteger(log) || blockSize < MIN_BLOCK || blockSize > PAGE_SIZE) throw new Error(`sub-page block size must be a power of two from ${MIN_BLOCK} to ${PAGE_SIZE} (got ${blockSize})`);
  return log;
}

/** Largest payload an encode can produce (header, bitmap, every block raw). */
export function subpageMaxBytes(blockSize: number): number {
  return 2 + Math.ceil(PAGE_SIZE / blockSize / 8) + PAGE_SIZE;
}

/**
 * Encodes cur[cOff..+PAGE_SIZE) against old[oOff..+PAGE_SIZE) into dst
 * (dst.length >= subpageMaxBytes, `scratch` a PAGE_SIZE buffer, `comp` large
 * enough for codec.maxOutput(PAGE_SIZE)). Returns the length, or -1 if it
 * would exceed `limit`. Pages compare as 32-bit words when both views are given.
 */
export function subpageEncode(
  old: Uint8Array, oOff: number, cur: Uint8Array, cOff: number, blockSize: number,
  dst: Uint8Array, limit: number, codec: PageCodec | null, scratch: Uint8Array, comp: Uint8Array,
  oldWords?: Int32Array, curWords?: Int32Array,
): number {
  const log = checkBlockSize(blockSize);
  const blocks = PAGE_SIZE >>> log;
  const bitmapBytes = Math.ceil(blocks / 8);
  const head = 2 + bitmapBytes;
  dst.fill(0, 0, head);
  dst[0] = log;
  const words = oldWords !== undefined && curWords !== undefined && (oOff & 3) === 0 && (cOff & 3) === 0;
  const bw = blockSize >>> 2;
  let changed = 0;
  for (let b = 0; b < blocks; b++) {
    const s = b << log;
    let same = true;
    if (words) {
      const ow = (oOff + s) >> 2, cw = (cOff + s) >> 2;
      for (let i = 0; i < bw; i++) if ((oldWords as Int32Array)[ow + i] !== (curWords as Int32Array)[cw + i]) { same = false; break; }
    } else {
      for (let i = 0; i < blockSize; i++) if (old[oOff + s + i] !== cur[cOff + s + i]) { same = false; break; }
    }
    if (same) continue;
    dst[2 + (b >>> 3)] |= 1 << (b & 7);
    scratch.set(cur.subarray(cOff + s, cOff + s + blockSize), changed * blockSize);
    changed++;
  }
  const raw = changed * blockSize;
  if (changed > 0 && codec !== null && codec.id !== CODEC_ID.none) {
    const n = codec.compress(scratch, 0, raw, comp);
    if (n >= 0 && n < raw && head + n <= limit) {
      dst[1] = codec.id;
      dst.set(comp.subarray(0, n), head);
      return head + n;
    }
  }
  if (head + raw > limit) return -1;
  dst.set(scratch.subarray(0, raw), head);
  return head + raw;
}

/** Applies a sub-page delta to page[pOff..+PAGE_SIZE) in place; throws CodecError on anything malformed. */
export function subpageDecode(src: Uint8Array, page: Uint8Array, pOff: number, codecById: (id: number) => PageCodec): void {
  if (src.length < 2) throw new CodecError('subpage', 'delta shorter than its header');
  const log = src[0];
  if (log < Math.log2(MIN_BLOCK) || log > Math.log2(PAGE_SIZE)) throw new CodecError('subpage', `bad block size 2^${log}`);
  const blockSize = 1 << log;
  const blocks = PAGE_SIZE >>> log;
  const head = 2 + Math.ceil(blocks / 8);
  if (src.length < head) throw new CodecError('subpage', 'delta shorter than its bitmap');
  let changed = 0;
  for (let b = 0; b < blocks; b++) if ((src[2 + (b >>> 3)] >>> (b & 7)) & 1) changed++;
  const raw = changed * blockSize;
  let data: Uint8Array;
  if (src[1] === CODEC_ID.none) {
    if (src.length !== head + raw) throw new CodecError('subpage', `payload is ${src.length - head} bytes, bitmap says ${raw}`);
    data = src.subarray(head);
  } else {
    data = new Uint8Array(raw);
    codecById(src[1]).decompress(src.subarray(head), data);
  }
  let k = 0;
  for (let b = 0; b < blocks; b++) {
    if (((src[2 + (b >>> 3)] >>> (b & 7)) & 1) === 0) continue;
    page.set(data.subarray(k * blockSize, (k + 1) * blockSize), pOff + (b << log));
    k++;
  }
}
