/**
 * Replay log file layout (all integers little-endian, varints ULEB128):
 *
 *   header   "RVRL" u8 version  uleb metaLen  meta (UTF-8 JSON)  u32 crc32(header so far)
 *   frame*   "RF" u8 type  u8 codecId  uleb frameNo  uleb baseInstret  uleb eventCount
 *            uleb rawLen  uleb storedLen  payload[storedLen]  u32 crc32(frame so far)
 *   trailer  (on a clean close) an index frame (type 2), then "RVRX" u32 indexOffset u32 crc32
 *
 * Event frames (type 1) hold events (event-codec.ts) compressed with the
 * frame's codec. Frames are appended as they fill, so a log cut off by a
 * crash replays up to its last complete frame. The index frame lists each
 * event frame's offset and base instret so a reader can seek without a scan.
 */
export const LOG_MAGIC = 'RVRL';
/**
 * Version this build writes. 2 added the `discard` event (event-codec.ts tag 13):
 * a version-1 reader would stop at it as an unknown tag, so new logs say 2.
 */
export const LOG_VERSION = 2;
/** Oldest version this build still reads (version 1 logs hold every event but `discard`). */
export const MIN_LOG_VERSION = 1;
/** First version whose logs may hold `discard` events. */
export const DISCARD_LOG_VERSION = 2;
export const FRAME_MAGIC = 'RF';
export const TRAILER_MAGIC = 'RVRX';
export const TRAILER_BYTES = 12;
export const FRAME_EVENTS = 1;
export const FRAME_INDEX = 2;
/** Largest raw frame a reader accepts (a writer cuts frames far below this). */
export const MAX_FRAME_RAW = 16 << 20;

/** Where a recording starts. */
export type RecordingStart =
  | { readonly kind: 'boot' }
  /** A memory checkpoint, by id and the hashes of its state (see memory-checkpoint.ts). */
  | { readonly kind: 'memory-checkpoint'; readonly id: string; readonly archHash: number; readonly ramHash: number }
  /** A checkpoint in a checkpoint repository; the log's start fingerprints verify what was restored. */
  | { readonly kind: 'checkpoint'; readonly id: number };

/** The log's JSON header. `machine` is opaque to this layer: the tool that built the machine puts its options there. */
export interface LogMeta {
  readonly format: 'retrovisor-replay';
  readonly start: RecordingStart;
  readonly clockMode: 'virtual' | 'realtime';
  readonly hashInterval: number;
  readonly ramHashInterval: number;
  readonly machine: Record<string, unknown>;
  readonly created?: string;
}

export interface FrameInfo {
  readonly frameNo: number;
  readonly offset: number;
  readonly type: number;
  readonly codecId: number;
  readonly baseInstret: number;
  readonly eventCount: number;
  readonly rawLen: number;
  readonly payloadOffset: number;
  readonly storedLen: number;
  /** Offset just past the frame's crc. */
  readonly end: number;
}
