import { ByteReader, ByteWriter } from './binary.js';
import { MAX_PAGES } from './checkpoint-meta.js';
import { StoreError } from './store-error.js';

/**
 * A checkpoint's full page map (page → chunk id, 0 = zero page), stored
 * whole so restore never walks a parent chain. Encoded as runs:
 *   ULEB128(length * 2 + isZero) [ZigZag-ULEB128(firstId - idAfterPreviousRun)]
 * where a non-zero run holds consecutive chunk ids. Pages written together
 * get consecutive ids, so a map costs a few bytes per changed region.
 */
export function encodePageMap(map: Uint32Array, w = new ByteWriter(1024)): Uint8Array {
  const n = map.length;
  let expect = 1;
  let p = 0;
  while (p < n) {
    const first = map[p];
    let q = p + 1;
    if (first === 0) {
      while (q < n && map[q] === 0) q++;
      w.uleb((q - p) * 2 + 1);
    } else {
      while (q < n && map[q] === first + (q - p)) q++;
      w.uleb((q - p) * 2);
      const d = first - expect;
      w.uleb(d >= 0 ? d * 2 : -d * 2 - 1);
      expect = first + (q - p);
    }
    p = q;
  }
  return w.view8();
}

export function decodePageMap(bytes: Uint8Array, pageCount: number, file: string, checkpoint?: number): Uint32Array {
  if (!Number.isSafeInteger(pageCount) || pageCount < 0 || pageCount > MAX_PAGES) throw new StoreError('corrupt', file, `page count ${pageCount} is beyond the limit of ${MAX_PAGES}`, checkpoint);
  const map = new Uint32Array(pageCount);
  const r = new ByteReader(bytes, file, 0, bytes.length, checkpoint);
  let expect = 1;
  let p = 0;
  while (p < pageCount) {
    const h = r.uleb('page map run');
    const len = Math.floor(h / 2);
    if (len === 0 || p + len > pageCount) r.fail(`page map run of ${len} pages at page ${p} does not fit ${pageCount} pages`);
    if (h % 2 === 1) {
      p += len;
      continue;
    }
    const z = r.uleb('page map chunk id');
    const first = expect + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (first < 1 || first + len - 1 > 0xffffffff) r.fail(`page map chunk id ${first} out of range`);
    for (let i = 0; i < len; i++) map[p + i] = first + i;
    p += len;
    expect = first + len;
  }
  if (r.remaining !== 0) throw new StoreError('corrupt', file, `${r.remaining} stray bytes after the page map`, checkpoint);
  return map;
}
