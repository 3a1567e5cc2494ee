import type { PipelineMetrics } from '../encoding/pipeline-metrics.js';
import { StoreError } from './store-error.js';

export interface CheckpointMeta {
  id: number;
  parent: number | null;
  pageCount: number;
  /** Guest time at the checkpoint (the caller's unit, e.g. timer ticks). */
  guestTime: number;
  /** Instructions retired since boot. */
  instructions: number;
  /** Host wall-clock time, ms since the epoch. */
  hostTime: number;
  label?: string;
  metrics?: Partial<PipelineMetrics>;
  /** Bytes of chunk payload written for this checkpoint. */
  bytesWritten: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function encodeMeta(m: CheckpointMeta): Uint8Array {
  return enc.encode(JSON.stringify(m));
}

/**
 * Most pages a checkpoint may have (RAM plus disk overlays, 4 KiB each: 64 GiB).
 * A page count comes from a file: it is checked before a page map of that size is allocated.
 */
export const MAX_PAGES = 1 << 24;

function isNat(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and validates; a field of the wrong type is a corrupt file, not a surprise later. */
export function decodeMeta(bytes: Uint8Array, file: string, checkpoint?: number): CheckpointMeta {
  let m: unknown;
  try {
    m = JSON.parse(dec.decode(bytes));
  } catch (e) {
    throw new StoreError('corrupt', file, `checkpoint metadata is not valid JSON: ${(e as Error).message}`, checkpoint);
  }
  const o = m as Record<string, unknown>;
  const ok = o !== null && typeof o === 'object' && isNat(o.id) && o.id > 0 && (o.parent === null || (isNat(o.parent) && o.parent > 0))
    && isNat(o.pageCount) && o.pageCount <= MAX_PAGES && typeof o.guestTime === 'number' && isNat(o.instructions) && typeof o.hostTime === 'number'
    && isNat(o.bytesWritten) && (o.label === undefined || typeof o.label === 'string')
    && (o.metrics === undefined || (typeof o.metrics === 'object' && o.metrics !== null));
  if (!ok) throw new StoreError('corrupt', file, 'checkpoint metadata has missing or mistyped fields', checkpoint);
  if (checkpoint !== undefined && o.id !== checkpoint) throw new StoreError('corrupt', file, `metadata names checkpoint ${String(o.id)}`, checkpoint);
  return o as unknown as CheckpointMeta;
}
