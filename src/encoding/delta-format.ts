import { CodecError } from './codec-error.js';
import type { CodecRegistry } from './page-codec.js';
import { subpageDecode } from './subpage-delta.js';
import { xbzrleDecode } from './xbzrle.js';

/**
 * How a delta chunk's payload is encoded (written to disk in the record's
 * codec byte, which full chunks use for their compressor): never renumber.
 */
export const DELTA_FORMAT = { xbzrle: 0, subpage: 1 } as const;

/** Applies delta `payload` of `format` to the PAGE_SIZE view `page` that holds the base's bytes. */
export function applyDelta(format: number, payload: Uint8Array, page: Uint8Array, codecs: CodecRegistry): void {
  if (format === DELTA_FORMAT.xbzrle) xbzrleDecode(payload, 0, payload.length, page, 0, page.length);
  else if (format === DELTA_FORMAT.subpage) subpageDecode(payload, page, 0, (id) => codecs.byId(id));
  else throw new CodecError('delta', `unknown delta format ${format}`);
}
