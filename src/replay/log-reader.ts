/**
 * Reads a replay log through a LogSource (random access: a file, or bytes in
 * memory), holding one frame at a time: memory stays bounded however long the
 * log (logs above 2 GiB, 10^10 instructions). Opening checks the header and finds the
 * frames (through the trailer's index on a cleanly closed log, else by
 * scanning frame headers); a log that ends inside a frame (cut off by a
 * crash) opens with `truncated` set and ends at its last complete frame.
 * Frames are verified (crc32) and decoded on demand. Every problem is a
 * ReplayLogError naming the file and the frame.
 */
import { crc32 } from '../encoding/crc32.js';
import { ByteReader } from './byte-reader.js';
import { decodeEvents } from './event-codec.js';
import type { CodecLookup } from './frame-compressor.js';
import type { LogEvent } from './log-event.js';
import {
  DISCARD_LOG_VERSION, FRAME_EVENTS, FRAME_INDEX, FRAME_MAGIC, LOG_MAGIC, LOG_VERSION, MAX_FRAME_RAW, MIN_LOG_VERSION, TRAILER_BYTES, TRAILER_MAGIC,
  type FrameInfo, type LogMeta,
} from './log-format.js';
import { ReplayLogError } from './replay-error.js';

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (at + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Random access to a log's bytes. */
export interface LogSource {
  readonly size: number;
  /** Bytes [offset, offset+length) clipped to the end; the view is valid until the next read. */
  read(offset: number, length: number): Uint8Array;
}

/** A log held in memory. */
export class MemoryLogSource implements LogSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number { return this.bytes.length; }
  read(offset: number, length: number): Uint8Array { return this.bytes.subarray(offset, Math.min(this.bytes.length, offset + length)); }
}

/** Longest frame header: magic, type, codec and five ULEB128 numbers. */
const FRAME_HEADER_MAX = 4 + 5 * 10;

export class LogReader {
  readonly meta: LogMeta;
  readonly frames: FrameInfo[] = [];
  /** Set when the log ends inside a frame (or has no trailer after a partial write): it replays up to frame `frames.length - 1`. */
  truncated = false;
  /** Why the log is incomplete, for messages. */
  truncation = '';
  /** True when the frame list came from the index. */
  readonly indexed: boolean;
  /** The log's format version (MIN_LOG_VERSION..LOG_VERSION). */
  readonly version: number;
  private readonly headerEnd: number;
  private readonly src: LogSource;

  constructor(
    source: LogSource | Uint8Array,
    readonly name: string,
    private readonly codecs: CodecLookup,
  ) {
    this.src = source instanceof Uint8Array ? new MemoryLogSource(source) : source;
    // the header: magic, version, metadata of at most 1 MiB, crc
    const bytes = this.src.read(0, (1 << 20) + 32).slice();
    const r = new ByteReader(bytes, `${name}: header`);
    if (bytes.length < 5 || !ascii(bytes, 0, LOG_MAGIC)) throw new ReplayLogError(name, 'not a Retrovisor replay log (bad magic)');
    r.pos = 4;
    const version = r.u8();
    if (version < MIN_LOG_VERSION || version > LOG_VERSION) {
      throw new ReplayLogError(name, `unsupported replay log version ${version} (this build reads versions ${MIN_LOG_VERSION} to ${LOG_VERSION})`);
    }
    this.version = version;
    const metaBytes = r.blob(1 << 20);
    const crcAt = r.pos;
    const crc = r.u32();
    if (crc !== crc32(bytes, 0, crcAt)) throw new ReplayLogError(`${name}: header`, 'checksum mismatch');
    let meta: unknown;
    try { meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(metaBytes)); } catch { r.fail('metadata is not valid JSON'); }
    const m = meta as LogMeta;
    if (typeof m !== 'object' || m === null || m.format !== 'retrovisor-replay' || typeof m.start !== 'object' || m.start === null
      || !Number.isSafeInteger(m.hashInterval) || !Number.isSafeInteger(m.ramHashInterval)) r.fail('metadata is not a replay log header');
    // logs written before in-memory snapshots were renamed memory checkpoints
    this.meta = (m.start as { kind: string }).kind === 'snapshot' ? { ...m, start: { ...m.start, kind: 'memory-checkpoint' } as LogMeta['start'] } : m;
    this.headerEnd = r.pos;
    this.indexed = this.readIndex();
    if (!this.indexed) this.scan();
  }

  private frameAt(offset: number, expectNo: number): FrameInfo | 'truncated' {
    const where = `${this.name}: frame ${expectNo} (offset ${offset})`;
    const size = this.src.size;
    if (offset + 2 > size) return 'truncated';
    const b = this.src.read(offset, FRAME_HEADER_MAX);
    if (!ascii(b, 0, FRAME_MAGIC)) throw new ReplayLogError(where, 'bad frame magic');
    const r = new ByteReader(b, where, 2);
    try {
      const type = r.u8();
      const codecId = r.u8();
      const frameNo = r.uleb();
      const baseInstret = r.uleb();
      const eventCount = r.uleb();
      const rawLen = r.uleb();
      const storedLen = r.uleb();
      if (type !== FRAME_EVENTS && type !== FRAME_INDEX) r.fail(`unknown frame type ${type}`);
      if (frameNo !== expectNo) r.fail(`frame number ${frameNo}, expected ${expectNo}`);
      if (rawLen > MAX_FRAME_RAW || storedLen > MAX_FRAME_RAW) r.fail(`frame too large (${rawLen} raw / ${storedLen} stored bytes)`);
      if (eventCount > rawLen) r.fail(`${eventCount} events cannot fit in ${rawLen} bytes`);
      const payloadOffset = offset + r.pos;
      const end = payloadOffset + storedLen + 4;
      if (end > size) return 'truncated';
      return { frameNo, offset, type, codecId, baseInstret, eventCount, rawLen, payloadOffset, storedLen, end };
    } catch (e) {
      if (e instanceof ReplayLogError && offset + r.pos >= size) return 'truncated';
      throw e;
    }
  }

  private scan(): void {
    let off = this.headerEnd;
    const size = this.src.size;
    while (off < size) {
      if (size - off === TRAILER_BYTES && ascii(this.src.read(off, 4), 0, TRAILER_MAGIC)) break;
      const f = this.frameAt(off, this.frames.length);
      if (f === 'truncated') {
        this.truncated = true;
        this.truncation = `log ends inside frame ${this.frames.length} (offset ${off}, ${size - off} bytes): cut off while recording`;
        break;
      }
      if (f.type === FRAME_INDEX) break;
      this.frames.push(f);
      off = f.end;
    }
    if (!this.truncated && (this.frames.length === 0 || off >= size)) {
      this.truncated = true;
      this.truncation = 'log has no index trailer: the recording did not finish cleanly';
    }
  }

  /** Uses the trailer's index when it is intact; returns false to fall back to a scan. */
  private readIndex(): boolean {
    const t = this.src.size - TRAILER_BYTES;
    if (t < this.headerEnd) return false;
    const tb = this.src.read(t, TRAILER_BYTES).slice();
    if (!ascii(tb, 0, TRAILER_MAGIC)) return false;
    const r = new ByteReader(tb, `${this.name}: trailer`, 4);
    const indexOffset = r.u32();
    if (r.u32() !== crc32(tb, 0, 8)) return false;
    if (indexOffset < this.headerEnd || indexOffset >= t) return false;
    // the index frame's number is the count of event frames before it: read it from its header
    const head = this.src.read(indexOffset, FRAME_HEADER_MAX).slice();
    if (!ascii(head, 0, FRAME_MAGIC)) return false;
    const probe = new ByteReader(head, `${this.name}: index`, 4);
    const n = probe.uleb();
    const f = this.frameAt(indexOffset, n);
    if (f === 'truncated' || f.type !== FRAME_INDEX || f.end !== t) return false;
    const raw = this.payload(f);
    const ir = new ByteReader(raw, `${this.name}: index frame`);
    const count = ir.uleb();
    if (count !== n || count !== f.eventCount) ir.fail(`index lists ${count} frames, expected ${n}`);
    let off = 0;
    let base = 0;
    for (let i = 0; i < count; i++) {
      off += ir.uleb();
      base += ir.uleb();
      const fr = this.frameAt(off, i);
      if (fr === 'truncated' || fr.type !== FRAME_EVENTS || fr.baseInstret !== base) return ir.fail(`index entry ${i} does not match frame at offset ${off}`);
      this.frames.push(fr);
    }
    return true;
  }

  /** Size of the log in bytes. */
  get size(): number {
    return this.src.size;
  }

  /** Verified, decompressed payload of a frame (the frame is read whole: at most MAX_FRAME_RAW bytes). */
  private payload(f: FrameInfo): Uint8Array {
    const where = `${this.name}: frame ${f.frameNo} (offset ${f.offset})`;
    const frame = this.src.read(f.offset, f.end - f.offset);
    const crcAt = f.payloadOffset + f.storedLen - f.offset;
    if (frame.length !== f.end - f.offset) throw new ReplayLogError(where, 'frame is cut short (the log shrank?)');
    const stored = new ByteReader(frame, where, crcAt).u32();
    if (stored !== crc32(frame, 0, crcAt)) throw new ReplayLogError(where, 'checksum mismatch (corrupt log)');
    const src = frame.subarray(f.payloadOffset - f.offset, crcAt);
    const raw = new Uint8Array(f.rawLen);
    try {
      this.codecs.byId(f.codecId).decompress(src, raw);
    } catch (e) {
      throw new ReplayLogError(where, `cannot decompress: ${(e as Error).message}`);
    }
    return raw;
  }

  /** Events of event frame `i`. */
  events(i: number): LogEvent[] {
    const f = this.frames[i];
    if (!f) throw new ReplayLogError(this.name, `no frame ${i} (log has ${this.frames.length})`);
    // a version-1 log predates the discard event: its tag there is corruption, not an event
    return decodeEvents(this.payload(f), `${this.name}: frame ${f.frameNo} (offset ${f.offset})`, f.baseInstret, f.eventCount,
      this.version >= DISCARD_LOG_VERSION);
  }

  /** Every event, in order. */
  *all(fromFrame = 0): Generator<LogEvent> {
    for (let i = fromFrame; i < this.frames.length; i++) yield* this.events(i);
  }

  /** Index of the last frame whose first event is at or before `instret` (0 if none). */
  frameFor(instret: number): number {
    let lo = 0;
    let hi = this.frames.length - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.frames[mid].baseInstret <= instret) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }
}
