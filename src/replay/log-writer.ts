/**
 * Streams a replay log: header, then one frame per ~`frameBytes` of events,
 * each compressed and checksummed as it is cut, then an index and trailer on
 * close. The sink only appends, so whatever reached it before a crash is a
 * readable log.
 */
import { crc32 } from '../encoding/crc32.js';
import type { PageCodec } from '../encoding/page-codec.js';
import { ByteWriter } from '../encoding/byte-writer.js';
import { EventEncoder } from './event-codec.js';
import { NONE_ID } from './frame-compressor.js';
import type { LogEvent } from './log-event.js';
import { FRAME_EVENTS, FRAME_INDEX, FRAME_MAGIC, LOG_MAGIC, LOG_VERSION, TRAILER_MAGIC, type LogMeta } from './log-format.js';

export interface LogSink {
  write(chunk: Uint8Array): void;
}

/** Collects the log in memory (tests, benchmarks). */
export class MemorySink implements LogSink {
  private readonly chunks: Uint8Array[] = [];
  length = 0;
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.length += chunk.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

export interface LogWriterStats {
  events: number;
  frames: number;
  rawBytes: number;
  /** Bytes handed to the sink so far (header, frames, index). */
  fileBytes: number;
}

function putAscii(w: ByteWriter, s: string): void {
  for (let i = 0; i < s.length; i++) w.u8(s.charCodeAt(i));
}

export class LogWriter {
  private readonly raw = new ByteWriter(1 << 16);
  private readonly out = new ByteWriter(1 << 16);
  private readonly enc = new EventEncoder();
  private frameBase = 0;
  private frameEvents = 0;
  private lastInstret = 0;
  private compressed = new Uint8Array(0);
  private readonly index: Array<{ offset: number; baseInstret: number }> = [];
  private closed = false;
  readonly stats: LogWriterStats = { events: 0, frames: 0, rawBytes: 0, fileBytes: 0 };

  constructor(
    private readonly sink: LogSink,
    private readonly codec: PageCodec,
    meta: LogMeta,
    private readonly frameBytes = 64 * 1024,
  ) {
    const w = new ByteWriter();
    putAscii(w, LOG_MAGIC);
    w.u8(LOG_VERSION);
    w.blob(new TextEncoder().encode(JSON.stringify(meta)));
    w.u32(crc32(w.buf, 0, w.length));
    this.emit(w.buf.subarray(0, w.length));
  }

  private emit(b: Uint8Array): void {
    this.sink.write(b);
    this.stats.fileBytes += b.length;
  }

  add(e: LogEvent): void {
    if (this.closed) throw new Error('replay log: add after close');
    if (e.instret < this.lastInstret) throw new RangeError(`replay log: event at instret ${e.instret} after one at ${this.lastInstret}`);
    if (this.frameEvents === 0) {
      this.frameBase = e.instret;
      this.enc.beginFrame(e.instret);
    }
    this.enc.encode(this.raw, e);
    this.lastInstret = e.instret;
    this.frameEvents++;
    this.stats.events++;
    if (this.raw.length >= this.frameBytes) this.flush();
  }

  /** Cuts the current frame (if any) and hands it to the sink. */
  flush(): void {
    if (this.frameEvents === 0) return;
    this.index.push({ offset: this.stats.fileBytes, baseInstret: this.frameBase });
    this.writeFrame(FRAME_EVENTS, this.frameBase, this.frameEvents, this.raw.buf.subarray(0, this.raw.length));
    this.stats.rawBytes += this.raw.length;
    this.raw.reset();
    this.frameEvents = 0;
  }

  private writeFrame(type: number, base: number, count: number, payload: Uint8Array): void {
    const max = this.codec.maxOutput(payload.length);
    if (this.compressed.length < max) this.compressed = new Uint8Array(max);
    let codecId = this.codec.id;
    let stored = payload;
    if (this.codec.id !== NONE_ID && payload.length > 0) {
      const n = this.codec.compress(payload, 0, payload.length, this.compressed);
      if (n < payload.length) stored = this.compressed.subarray(0, n);
      else codecId = NONE_ID;
    } else codecId = NONE_ID;
    const o = this.out;
    o.reset();
    putAscii(o, FRAME_MAGIC);
    o.u8(type);
    o.u8(codecId);
    o.uleb(this.stats.frames);
    o.uleb(base);
    o.uleb(count);
    o.uleb(payload.length);
    o.uleb(stored.length);
    o.bytes(stored);
    o.u32(crc32(o.buf, 0, o.length));
    this.stats.frames++;
    this.emit(o.buf.subarray(0, o.length));
  }

  /** Flushes, then writes the index frame and trailer. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const idx = new ByteWriter();
    idx.uleb(this.index.length);
    let lastOff = 0;
    let lastBase = 0;
    for (const f of this.index) {
      idx.uleb(f.offset - lastOff);
      idx.uleb(f.baseInstret - lastBase);
      lastOff = f.offset;
      lastBase = f.baseInstret;
    }
    const indexOffset = this.stats.fileBytes;
    this.writeFrame(FRAME_INDEX, 0, this.index.length, idx.buf.subarray(0, idx.length));
    if (indexOffset > 0xffffffff) return; // readers scan logs this large
    const t = new ByteWriter(16);
    putAscii(t, TRAILER_MAGIC);
    t.u32(indexOffset);
    t.u32(crc32(t.buf, 0, t.length));
    this.emit(t.buf.subarray(0, t.length));
  }
}
