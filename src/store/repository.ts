import { PAGE_SIZE } from '../machine/memory.js';
import type { ChunkSink } from '../encoding/chunk-sink.js';
import { CodecError } from '../encoding/codec-error.js';
import { crc32 } from '../encoding/crc32.js';
import type { CodecRegistry } from '../encoding/page-codec.js';
import { hashBytes } from '../encoding/page-hash.js';
import type { PipelineMetrics } from '../encoding/pipeline-metrics.js';
import { xbzrleDecode } from '../encoding/xbzrle.js';
import { isZeroWords } from '../encoding/zero-page.js';
import { ByteReader } from './binary.js';
import { type CheckpointData, decodeCheckpoint, encodeCheckpoint } from './checkpoint-file.js';
import type { CheckpointMeta } from './checkpoint-meta.js';
import { ChunkTable } from './chunk-table.js';
import { headerBytes, HEADER_SIZE, readHeader } from './file-header.js';
import { BatchWriter, indexFileWith, readIndexLog } from './index-log.js';
import { checkRecord, KIND_DELTA, KIND_FULL, RECORD_OVERHEAD, type RecordFields, writeRecord } from './pack-record.js';
import { type PrunePolicy, selectForRemoval } from './retention.js';
import { StoreError } from './store-error.js';
import { readWholeFile, type StoreFile, type StoreFs, writeFileAtomic } from './store-fs.js';

export interface RepositoryOptions {
  codecs: CodecRegistry;
  /** Create an empty repository if `dir` has none. */
  create?: boolean;
  /** Never modify anything (no recovery truncation, no orphan cleanup). */
  readOnly?: boolean;
  /** Start a new pack file once the active one exceeds this size. */
  maxPackBytes?: number;
}

export interface CommitInfo {
  guestTime: number;
  instructions: number;
  deviceState: Uint8Array;
  hostTime?: number;
  label?: string;
  metrics?: Partial<PipelineMetrics>;
}

export interface Problem {
  severity: 'error' | 'warning';
  file: string;
  checkpoint?: number;
  chunk?: number;
  message: string;
}

export interface GcResult {
  removedChunks: number;
  rewrittenPacks: number[];
  bytesBefore: number;
  bytesAfter: number;
}

interface CheckpointEntry {
  meta: CheckpointMeta;
  fileLength: number;
  fileCrc: number;
}

const INDEX = 'index.log';
const WRITE_BUFFER = 1 << 20;
const READ_WINDOW = 1 << 20;
const MAX_DEDUP_CANDIDATES = 4;

const packName = (id: number) => `pack-${String(id).padStart(6, '0')}.pack`;
const ckptName = (id: number) => `ckpt-${String(id).padStart(8, '0')}.ckpt`;

/**
 * A checkpoint repository: content-addressed chunks in append-only pack
 * files, one file per checkpoint (metadata, device state, full page map) and
 * an append-only index log whose batches are the commit points.
 * One writer at a time (this object); see docs/checkpoints.md for the format.
 */
export class Repository {
  readonly chunks = new ChunkTable();
  private readonly packLen = new Map<number, number>();
  private readonly checkpoints = new Map<number, CheckpointEntry>();
  private readonly handles = new Map<number, StoreFile>();
  private nextChunk = 1;
  private nextCheckpoint = 1;
  private index: StoreFile | null = null;
  private writer: CheckpointWriter | null = null;
  /** Read-ahead window over one pack: restoring reads records mostly in file order. */
  private win = new Uint8Array(READ_WINDOW);
  private winPack = -1;
  private winStart = 0;
  private winLen = 0;
  private readonly hashScratch = new Uint32Array(4);
  private readonly hashWords = new Int32Array(PAGE_SIZE / 4);
  /** Bytes of an interrupted commit found (and, if writable, removed) at open. */
  recoveredBytes = 0;
  /** Files not named by the index that a writable open deleted. */
  readonly removedOrphans: string[] = [];
  readonly maxPackBytes: number;

  private constructor(readonly fs: StoreFs, readonly dir: string, readonly codecs: CodecRegistry, readonly readOnly: boolean, maxPackBytes: number) {
    this.maxPackBytes = maxPackBytes;
  }

  static open(fs: StoreFs, dir: string, options: RepositoryOptions): Repository {
    const repo = new Repository(fs, dir, options.codecs, options.readOnly ?? false, options.maxPackBytes ?? 256 << 20);
    const indexPath = `${dir}/${INDEX}`;
    if (!fs.exists(indexPath)) {
      if (!options.create || repo.readOnly) throw new StoreError('missing', indexPath, 'no checkpoint repository here (index.log missing)');
      fs.mkdir(dir);
      fs.mkdir(`${dir}/packs`);
      fs.mkdir(`${dir}/checkpoints`);
      writeFileAtomic(fs, dir, INDEX, indexFileWith([new BatchWriter().counters(1, 1).finish()]));
    }
    repo.load();
    return repo;
  }

  private path(kind: 'pack' | 'ckpt', id: number): string {
    return kind === 'pack' ? `${this.dir}/packs/${packName(id)}` : `${this.dir}/checkpoints/${ckptName(id)}`;
  }

  private load(): void {
    const indexPath = `${this.dir}/${INDEX}`;
    const bytes = readWholeFile(this.fs, indexPath);
    const res = readIndexLog(bytes, indexPath, {
      pack: (pack, length) => this.packLen.set(pack, length),
      chunk: (id, pack, offset, kind, codec, length, base, hash) => this.chunks.add(id, pack, offset, kind, codec, length, base, hash),
      add: (meta, fileLength, fileCrc) => this.checkpoints.set(meta.id, { meta, fileLength, fileCrc }),
      drop: (id) => this.checkpoints.delete(id),
      counters: (c, k) => { this.nextChunk = c; this.nextCheckpoint = k; },
    });
    this.recoveredBytes = res.tornBytes;
    for (const id of this.checkpoints.keys()) if (id >= this.nextCheckpoint) throw new StoreError('corrupt', indexPath, `checkpoint ${id} is beyond the id counter`);
    if (this.readOnly) return;
    this.index = this.fs.open(indexPath, 'a');
    if (res.tornBytes > 0) {
      this.index.truncate(res.validLength);
      this.index.sync();
    }
    // Data written by an interrupted commit lies past each pack's committed length.
    for (const [pack, len] of this.packLen) {
      const p = this.path('pack', pack);
      if (!this.fs.exists(p)) continue; // verify() reports it
      const f = this.handle(pack);
      const size = f.size();
      if (size > len) {
        this.recoveredBytes += size - len;
        f.truncate(len);
        f.sync();
      }
    }
    this.removeOrphans();
  }

  /** Files the index does not name: left by an interrupted commit or gc (or a damaged index). */
  private orphans(): string[] {
    const out: string[] = [];
    for (const name of this.fs.list(`${this.dir}/packs`)) {
      const m = /^pack-(\d+)\.pack$/.exec(name);
      if (!m || !this.packLen.has(Number(m[1]))) out.push(`${this.dir}/packs/${name}`);
    }
    for (const name of this.fs.list(`${this.dir}/checkpoints`)) {
      const m = /^ckpt-(\d+)\.ckpt$/.exec(name);
      if (!m || !this.checkpoints.has(Number(m[1]))) out.push(`${this.dir}/checkpoints/${name}`);
    }
    for (const name of this.fs.list(this.dir)) if (name.endsWith('.tmp')) out.push(`${this.dir}/${name}`);
    return out;
  }

  private removeOrphans(): void {
    for (const p of this.orphans()) {
      this.removedOrphans.push(p);
      this.fs.unlink(p);
    }
  }

  private handle(pack: number): StoreFile {
    let h = this.handles.get(pack);
    if (!h) {
      const p = this.path('pack', pack);
      if (!this.fs.exists(p)) throw new StoreError('missing', p, 'pack file is missing');
      h = this.fs.open(p, this.readOnly ? 'r' : 'a');
      this.handles.set(pack, h);
    }
    return h;
  }

  close(): void {
    if (this.writer) this.writer.abort();
    for (const h of this.handles.values()) h.close();
    this.handles.clear();
    this.index?.close();
    this.index = null;
  }

  list(): CheckpointMeta[] {
    return [...this.checkpoints.values()].map((c) => c.meta).sort((a, b) => a.id - b.id);
  }

  has(id: number): boolean {
    return this.checkpoints.has(id);
  }

  get(id: number): CheckpointMeta {
    const c = this.checkpoints.get(id);
    if (!c) throw new StoreError('missing', `${this.dir}/${INDEX}`, `no checkpoint ${id}`, id);
    return c.meta;
  }

  latest(): CheckpointMeta | null {
    let best: CheckpointMeta | null = null;
    for (const c of this.checkpoints.values()) if (!best || c.meta.id > best.id) best = c.meta;
    return best;
  }

  /** Metadata, full page map and device state of a checkpoint, checksum-verified. */
  readCheckpoint(id: number): CheckpointData {
    const entry = this.checkpoints.get(id);
    const p = this.path('ckpt', id);
    if (!entry) throw new StoreError('missing', p, 'no such checkpoint', id);
    if (!this.fs.exists(p)) throw new StoreError('missing', p, 'checkpoint file is missing', id);
    const bytes = readWholeFile(this.fs, p);
    if (bytes.length !== entry.fileLength || crc32(bytes) !== entry.fileCrc) {
      throw new StoreError('corrupt', p, 'checkpoint file differs from the index (length or checksum)', id);
    }
    return decodeCheckpoint(bytes, p, id);
  }

  /** Writes the checkpoint's RAM into `ram` (pageCount × PAGE_SIZE bytes); returns metadata and device state. */
  restore(id: number, ram: Uint8Array): { meta: CheckpointMeta; deviceState: Uint8Array } {
    const data = this.readCheckpoint(id);
    if (ram.length !== data.meta.pageCount * PAGE_SIZE) {
      throw new StoreError('usage', this.path('ckpt', id), `RAM is ${ram.length} bytes, checkpoint has ${data.meta.pageCount} pages`, id);
    }
    this.readPagesInto(data.map, 0, data.map.length, ram, id);
    return { meta: data.meta, deviceState: data.deviceState };
  }

  /**
   * Writes pages `first .. first+count-1` of a page map into `ram` (page
   * `first` at offset 0): chunk contents, or zeros for chunk 0.
   */
  readPagesInto(map: ArrayLike<number>, first: number, count: number, ram: Uint8Array, checkpoint?: number): void {
    if (ram.length < count * PAGE_SIZE) throw new StoreError('usage', this.dir, `${ram.length} bytes cannot hold ${count} pages`, checkpoint);
    // Skipping pages that are already zero avoids touching (and faulting in) fresh RAM.
    const words = ram.byteOffset % 4 === 0 ? new Int32Array(ram.buffer, ram.byteOffset, (count * PAGE_SIZE) >>> 2) : null;
    for (let i = 0; i < count; i++) {
      const c = map[first + i];
      const off = i * PAGE_SIZE;
      if (c === 0) {
        if (!words || !isZeroWords(words, off >>> 2, PAGE_SIZE >>> 2)) ram.fill(0, off, off + PAGE_SIZE);
      } else {
        this.readChunkInto(c, ram.subarray(off, off + PAGE_SIZE), checkpoint);
      }
    }
  }

  /** Decodes chunk `id` into a PAGE_SIZE view; checks record checksum, index agreement and content hash. */
  readChunkInto(id: number, dst: Uint8Array, checkpoint?: number): void {
    const t = this.chunks;
    if (!t.has(id)) throw new StoreError('missing', `${this.dir}/${INDEX}`, `chunk ${id} is not in the index`, checkpoint, id);
    if (t.kind[id] === KIND_DELTA) {
      const base = t.base[id];
      if (!t.has(base) || t.kind[base] !== KIND_FULL) {
        throw new StoreError('missing', this.path('pack', t.pack[id]), `delta base chunk ${base} is missing or not a full chunk`, checkpoint, id);
      }
      this.readChunkInto(base, dst, checkpoint);
    }
    const file = this.path('pack', t.pack[id]);
    const payload = this.readRecord(id, file);
    try {
      if (t.kind[id] === KIND_FULL) this.codecs.byId(t.codec[id]).decompress(payload, dst);
      else if (t.kind[id] === KIND_DELTA) xbzrleDecode(payload, 0, payload.length, dst, 0, PAGE_SIZE);
      else throw new StoreError('corrupt', file, `unknown chunk kind ${t.kind[id]}`, checkpoint, id);
    } catch (e) {
      if (e instanceof CodecError) throw new StoreError('corrupt', file, e.message, checkpoint, id);
      throw e;
    }
    const h = id * 4;
    if ((t.hash[h] | t.hash[h + 1] | t.hash[h + 2] | t.hash[h + 3]) !== 0) {
      hashBytes(dst, 0, PAGE_SIZE, this.hashScratch, this.hashWords);
      if (!t.hashEquals(id, this.hashScratch)) throw new StoreError('corrupt', file, 'decoded page does not match its content hash', checkpoint, id);
    }
  }

  private fields(id: number): RecordFields {
    const t = this.chunks;
    return { id, kind: t.kind[id], codec: t.codec[id], length: t.length[id], base: t.base[id], hash: t.hash.subarray(id * 4, id * 4 + 4) };
  }

  private readRecord(id: number, file: string): Uint8Array {
    return checkRecord(this.recordBytes(id), this.fields(id), file, this.chunks.offset[id]);
  }

  /** The raw record of chunk `id` (possibly short at end of file); valid until the next read. */
  private recordBytes(id: number): Uint8Array {
    const t = this.chunks;
    this.writer?.flush();
    const n = RECORD_OVERHEAD + t.length[id];
    const pack = t.pack[id], off = t.offset[id];
    if (pack !== this.winPack || off < this.winStart || off + n > this.winStart + this.winLen) {
      if (this.win.length < n) this.win = new Uint8Array(n);
      this.winPack = pack;
      this.winStart = off;
      this.winLen = this.handle(pack).read(this.win, 0, this.win.length, off);
      if (off + n > off + this.winLen) return this.win.subarray(0, this.winLen);
    }
    const at = off - this.winStart;
    return this.win.subarray(at, at + n);
  }

  /** @internal Bytes of packs may change (truncation, rewrite): forget what was read ahead. */
  dropReadWindow(): void {
    this.winPack = -1;
    this.winLen = 0;
  }

  /** Starts a checkpoint whose page map starts as a copy of `parent`'s (or all zero). */
  begin(options: { parent: number | null; pageCount: number }): CheckpointWriter {
    if (this.readOnly) throw new StoreError('usage', this.dir, 'repository is open read-only');
    if (this.writer) throw new StoreError('usage', this.dir, 'another checkpoint is being written');
    let map: Uint32Array;
    if (options.parent !== null) {
      const parent = this.readCheckpoint(options.parent);
      if (parent.meta.pageCount !== options.pageCount) {
        throw new StoreError('usage', this.path('ckpt', options.parent), `parent has ${parent.meta.pageCount} pages, new checkpoint ${options.pageCount}`, options.parent);
      }
      map = parent.map;
    } else {
      map = new Uint32Array(options.pageCount);
    }
    let pack = Math.max(0, ...this.packLen.keys());
    if (pack === 0 || (this.packLen.get(pack) ?? 0) >= this.maxPackBytes) {
      pack++;
      const f = this.fs.open(this.path('pack', pack), 'w');
      const h = headerBytes('pack');
      f.write(h, 0, h.length, 0);
      f.sync();
      f.close();
      this.fs.syncDir(`${this.dir}/packs`);
      this.handles.get(pack)?.close();
      this.handles.delete(pack);
      this.packLen.set(pack, HEADER_SIZE);
    }
    this.writer = new CheckpointWriter(this, options.parent, map, pack, this.handle(pack), this.packLen.get(pack) ?? HEADER_SIZE, this.nextChunk);
    return this.writer;
  }

  /** @internal used by CheckpointWriter */
  allocChunkId(): number {
    return this.nextChunk++;
  }

  /** @internal */
  finishWrite(w: CheckpointWriter, commit: { pack: number; packEnd: number; batch: BatchWriter; info: CommitInfo; map: Uint32Array; bytesWritten: number } | null): CheckpointMeta | null {
    if (this.writer !== w) throw new StoreError('usage', this.dir, 'writer is not active');
    this.writer = null;
    // Ids of an aborted writer are not reused: a delta cache may still name them.
    if (!commit) return null;
    const id = this.nextCheckpoint;
    const meta: CheckpointMeta = {
      id, parent: w.parent, pageCount: commit.map.length, guestTime: commit.info.guestTime, instructions: commit.info.instructions,
      hostTime: commit.info.hostTime ?? Date.now(), bytesWritten: commit.bytesWritten,
      ...(commit.info.label !== undefined ? { label: commit.info.label } : {}),
      ...(commit.info.metrics !== undefined ? { metrics: commit.info.metrics } : {}),
    };
    const file = encodeCheckpoint(meta, commit.map, commit.info.deviceState);
    writeFileAtomic(this.fs, `${this.dir}/checkpoints`, ckptName(id), file);
    const batch = commit.batch.pack(commit.pack, commit.packEnd).add(meta, file.length, crc32(file)).counters(this.nextChunk, id + 1).finish();
    this.appendIndex(batch);
    this.nextCheckpoint = id + 1;
    this.packLen.set(commit.pack, commit.packEnd);
    this.checkpoints.set(id, { meta, fileLength: file.length, fileCrc: crc32(file) });
    return meta;
  }

  private appendIndex(batch: Uint8Array): void {
    if (!this.index) throw new StoreError('usage', this.dir, 'repository is open read-only');
    this.index.write(batch, 0, batch.length);
    this.index.sync();
  }

  /** Removes one checkpoint (its chunks stay until gc()). */
  remove(id: number): void {
    this.get(id);
    if (this.readOnly) throw new StoreError('usage', this.dir, 'repository is open read-only');
    this.appendIndex(new BatchWriter().drop(id).finish());
    this.checkpoints.delete(id);
    const p = this.path('ckpt', id);
    if (this.fs.exists(p)) this.fs.unlink(p);
  }

  /** Removes what `policy` does not keep; returns the removed ids. Run gc() to free space. */
  prune(policy: PrunePolicy): number[] {
    const ids = selectForRemoval(this.list(), policy);
    for (const id of ids) this.remove(id);
    return ids;
  }

  /**
   * Drops chunks no checkpoint references: live chunks of affected packs are
   * copied into new packs, then a compacted index replaces the old one in a
   * single atomic rename, then old packs are deleted.
   */
  gc(): GcResult {
    if (this.readOnly || this.writer) throw new StoreError('usage', this.dir, 'gc needs a writable repository with no checkpoint in progress');
    const t = this.chunks;
    const live = new Uint8Array(t.limit);
    for (const id of this.checkpoints.keys()) {
      const { map } = this.readCheckpoint(id);
      for (let p = 0; p < map.length; p++) if (map[p] !== 0) live[map[p]] = 1;
    }
    for (let id = 1; id < t.limit; id++) if (live[id] && t.has(id) && t.kind[id] === KIND_DELTA) live[t.base[id]] = 1;
    const affected = new Set<number>();
    for (let id = 1; id < t.limit; id++) if (t.has(id) && !live[id]) affected.add(t.pack[id]);
    const bytesBefore = [...this.packLen.values()].reduce((a, b) => a + b, 0);
    if (affected.size === 0) return { removedChunks: 0, rewrittenPacks: [], bytesBefore, bytesAfter: bytesBefore };

    let packId = Math.max(...this.packLen.keys());
    let out: StoreFile | null = null;
    let outLen = 0;
    const newPacks = new Map<number, number>();
    const moved: Array<[number, number, number]> = []; // id, pack, offset
    const startPack = () => {
      if (out) { out.sync(); out.close(); newPacks.set(packId, outLen); }
      packId++;
      out = this.fs.open(this.path('pack', packId), 'w');
      const h = headerBytes('pack');
      out.write(h, 0, h.length, 0);
      outLen = h.length;
    };
    let removed = 0;
    for (let id = 1; id < t.limit; id++) {
      if (!t.has(id) || !affected.has(t.pack[id])) continue;
      if (!live[id]) { removed++; continue; }
      const rec = this.recordBytes(id);
      checkRecord(rec, this.fields(id), this.path('pack', t.pack[id]), t.offset[id]);
      const n = RECORD_OVERHEAD + t.length[id];
      if (!out || outLen + n > this.maxPackBytes) startPack();
      (out as unknown as StoreFile).write(rec, 0, n, outLen);
      moved.push([id, packId, outLen]);
      outLen += n;
    }
    if (out) { (out as StoreFile).sync(); (out as StoreFile).close(); newPacks.set(packId, outLen); }
    this.fs.syncDir(`${this.dir}/packs`);

    for (const p of affected) this.packLen.delete(p);
    for (const [p, len] of newPacks) this.packLen.set(p, len);
    for (let id = 1; id < t.limit; id++) if (t.has(id) && !live[id]) t.remove(id);
    for (const [id, p, off] of moved) { t.pack[id] = p; t.offset[id] = off; }

    const b = new BatchWriter().counters(this.nextChunk, this.nextCheckpoint);
    for (const [p, len] of this.packLen) b.pack(p, len);
    for (let id = 1; id < t.limit; id++) if (t.has(id)) b.chunk(id, t.pack[id], t.offset[id], t.kind[id], t.codec[id], t.length[id], t.base[id], t.hash, id * 4);
    for (const c of this.list()) { const e = this.checkpoints.get(c.id) as CheckpointEntry; b.add(e.meta, e.fileLength, e.fileCrc); }
    this.index?.close();
    writeFileAtomic(this.fs, this.dir, INDEX, indexFileWith([b.finish()]));
    this.index = this.fs.open(`${this.dir}/${INDEX}`, 'a');
    for (const p of affected) {
      this.handles.get(p)?.close();
      this.handles.delete(p);
      this.fs.unlink(this.path('pack', p));
    }
    this.fs.syncDir(`${this.dir}/packs`);
    this.dropReadWindow();
    const bytesAfter = [...this.packLen.values()].reduce((a, c) => a + c, 0);
    return { removedChunks: removed, rewrittenPacks: [...affected], bytesBefore, bytesAfter };
  }

  /** Checks every file, chunk and checkpoint; returns problems instead of throwing. */
  verify(): Problem[] {
    const problems: Problem[] = [];
    const err = (e: unknown, file: string, checkpoint?: number, chunk?: number) => {
      if (e instanceof StoreError) problems.push({ severity: 'error', file: e.file, checkpoint: e.checkpoint ?? checkpoint, chunk: e.chunk ?? chunk, message: e.message });
      else problems.push({ severity: 'error', file, checkpoint, chunk, message: (e as Error).message });
    };
    if (this.recoveredBytes > 0) {
      problems.push({ severity: 'warning', file: `${this.dir}/${INDEX}`, message: `${this.recoveredBytes} bytes of an interrupted commit were found${this.readOnly ? '' : ' and removed'}` });
    }
    for (const p of this.removedOrphans) {
      problems.push({ severity: 'warning', file: p, message: 'file not named by the index was removed at open (interrupted commit or gc)' });
    }
    if (this.readOnly) {
      for (const p of this.orphans()) problems.push({ severity: 'warning', file: p, message: 'file not named by the index (interrupted commit or gc, or lost index entries)' });
    }
    const badPacks = new Set<number>();
    for (const [pack, len] of this.packLen) {
      const p = this.path('pack', pack);
      try {
        if (!this.fs.exists(p)) throw new StoreError('missing', p, 'pack file is missing');
        const f = this.handle(pack);
        const hdr = new Uint8Array(HEADER_SIZE);
        f.read(hdr, 0, HEADER_SIZE, 0);
        readHeader(new ByteReader(hdr, p), 'pack');
        const size = f.size();
        if (size < len) throw new StoreError('truncated', p, `pack is ${size} bytes, index expects ${len}`);
        if (size > len) problems.push({ severity: 'warning', file: p, message: `${size - len} uncommitted bytes after the committed end` });
      } catch (e) {
        badPacks.add(pack);
        err(e, p);
      }
    }
    const page = new Uint8Array(PAGE_SIZE);
    const t = this.chunks;
    for (let id = 1; id < t.limit; id++) {
      if (!t.has(id)) continue;
      if (badPacks.has(t.pack[id])) continue;
      try {
        this.readChunkInto(id, page);
      } catch (e) {
        err(e, this.path('pack', t.pack[id]), undefined, id);
      }
    }
    for (const id of [...this.checkpoints.keys()].sort((a, b) => a - b)) {
      const p = this.path('ckpt', id);
      try {
        const { map } = this.readCheckpoint(id);
        let missing = 0, first = 0;
        for (let i = 0; i < map.length; i++) if (map[i] !== 0 && !t.has(map[i])) { if (!missing) first = map[i]; missing++; }
        if (missing) problems.push({ severity: 'error', file: p, checkpoint: id, chunk: first, message: `${missing} pages refer to chunks missing from the repository (first: chunk ${first})` });
      } catch (e) {
        err(e, p, id);
      }
    }
    return problems;
  }
}

/**
 * Receives chunks from the page pipeline (it is its ChunkSink) and commits
 * them as one checkpoint. Nothing is visible to readers before commit().
 */
export class CheckpointWriter implements ChunkSink {
  private readonly buf = new Uint8Array(WRITE_BUFFER);
  private bufLen = 0;
  private fileEnd: number;
  private readonly batch = new BatchWriter();
  private readonly fields: RecordFields = { id: 0, kind: 0, codec: 0, length: 0, base: 0, hash: new Uint32Array(4) };
  private readonly scratch = new Uint8Array(PAGE_SIZE);
  bytesWritten = 0;
  private done = false;

  constructor(
    private readonly repo: Repository,
    readonly parent: number | null,
    readonly map: Uint32Array,
    private readonly pack: number,
    private readonly file: StoreFile,
    private readonly packStart: number,
    readonly firstChunk: number,
  ) {
    this.fileEnd = packStart;
  }

  findDuplicate(hash: Uint32Array, page: Uint8Array, off: number): number {
    const t = this.repo.chunks;
    // A guest can make many pages collide on purpose: verify only a few candidates.
    let tries = MAX_DEDUP_CANDIDATES, steps = 64;
    for (let id = t.firstCandidate(hash); id !== 0 && tries > 0 && steps-- > 0; id = t.nextCandidate(id)) {
      if (!t.hashEquals(id, hash)) continue;
      tries--;
      this.repo.readChunkInto(id, this.scratch);
      const s = this.scratch;
      let same = true;
      for (let i = 0; i < PAGE_SIZE; i++) if (s[i] !== page[off + i]) { same = false; break; }
      if (same) return id;
    }
    return 0;
  }

  isFullChunk(id: number): boolean {
    const t = this.repo.chunks;
    return t.has(id) && t.kind[id] === KIND_FULL;
  }

  putFull(hash: Uint32Array, codecId: number, payload: Uint8Array, offset: number, length: number): number {
    this.repo.codecs.byId(codecId);
    return this.put(KIND_FULL, codecId, 0, hash, payload, offset, length);
  }

  putDelta(hash: Uint32Array, baseId: number, payload: Uint8Array, offset: number, length: number): number {
    if (!this.isFullChunk(baseId)) throw new StoreError('usage', this.repo.dir, `delta base ${baseId} is not a stored full chunk`);
    return this.put(KIND_DELTA, 0, baseId, hash, payload, offset, length);
  }

  setPage(page: number, chunkId: number): void {
    this.map[page] = chunkId;
  }

  private put(kind: number, codec: number, base: number, hash: Uint32Array, payload: Uint8Array, offset: number, length: number): number {
    if (this.done) throw new StoreError('usage', this.repo.dir, 'checkpoint writer already finished');
    const n = RECORD_OVERHEAD + length;
    if (this.bufLen + n > this.buf.length) this.flush();
    const id = this.repo.allocChunkId();
    const f = this.fields;
    f.id = id; f.kind = kind; f.codec = codec; f.length = length; f.base = base;
    f.hash[0] = hash[0]; f.hash[1] = hash[1]; f.hash[2] = hash[2]; f.hash[3] = hash[3];
    const recOff = this.fileEnd + this.bufLen;
    if (n > this.buf.length) {
      const big = new Uint8Array(n);
      writeRecord(big, 0, f, payload, offset);
      this.file.write(big, 0, n);
      this.fileEnd += n;
    } else {
      this.bufLen = writeRecord(this.buf, this.bufLen, f, payload, offset);
    }
    this.repo.chunks.add(id, this.pack, recOff, kind, codec, length, base, hash);
    this.batch.chunk(id, this.pack, recOff, kind, codec, length, base, hash);
    this.bytesWritten += length;
    return id;
  }

  /** Pushes buffered records to the pack file (not yet durable). */
  flush(): void {
    if (this.bufLen === 0) return;
    this.file.write(this.buf, 0, this.bufLen);
    this.fileEnd += this.bufLen;
    this.bufLen = 0;
  }

  /** Makes the chunks, then the checkpoint file, then the index entry durable; returns the new checkpoint. */
  commit(info: CommitInfo): CheckpointMeta {
    if (this.done) throw new StoreError('usage', this.repo.dir, 'checkpoint writer already finished');
    this.flush();
    this.file.sync();
    this.done = true;
    return this.repo.finishWrite(this, { pack: this.pack, packEnd: this.fileEnd, batch: this.batch, info, map: this.map, bytesWritten: this.bytesWritten }) as CheckpointMeta;
  }

  /** Discards everything written by this writer. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.bufLen = 0;
    const t = this.repo.chunks;
    for (let id = this.firstChunk; id < t.limit; id++) if (t.has(id)) t.remove(id);
    this.file.truncate(this.packStart);
    this.repo.dropReadWindow();
    this.repo.finishWrite(this, null);
  }
}
