/** Replay logs on disk: an appending sink (each frame reaches the file as it is cut) and a reader. */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { codecList, type CodecLookup } from '../replay/frame-compressor.js';
import { LogReader } from '../replay/log-reader.js';
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

export function openReplayLog(path: string, codecs: CodecLookup = replayLogCodecs()): LogReader {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read replay log ${path}: ${(e as Error).message}`);
  }
  return new LogReader(bytes, path, codecs);
}
