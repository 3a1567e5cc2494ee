/** Replay logs on disk: an appending sink (each frame reaches the file as it is cut) and a reader. */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { codecList, type CodecLookup } from '../replay/frame-compressor.js';
import { LogReader, type LogSource } from '../replay/log-reader.js';
import type { LogSink } from '../replay/log-writer.js';
import { ZstdCodec } from './codecs/zstd-codec.js';

export class FileLogSink implements LogSink {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(chunk: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: replay log is closed`);
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Codecs a replay log may use under Node. */
export function replayLogCodecs(): CodecLookup {
  return codecList(new ZstdCodec(3));
}

/** The compressor recordings are written with. */
export function replayLogCompressor(): ZstdCodec {
  return new ZstdCodec(3);
}

/** A replay log on disk, read piecewise (one frame at a time): logs larger than memory or than a Buffer (2 GiB) replay. */
export class FileLogSource implements LogSource {
  private fd: number;
  private buf = new Uint8Array(1 << 16);
  readonly size: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  read(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.size - offset));
    if (this.buf.length < n) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, this.buf, got, n - got, offset + got);
      if (r === 0) break;
      got += r;
    }
    return this.buf.subarray(0, got);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export function openReplayLog(path: string, codecs: CodecLookup = replayLogCodecs()): LogReader {
  let source: FileLogSource;
  try {
    source = new FileLogSource(path);
  } catch (e) {
    throw new Error(`cannot read replay log ${path}: ${(e as Error).message}`);
  }
  return new LogReader(source, path, codecs);
}
