import { PAGE_SIZE } from '../machine/memory.js';
import type { ChunkSink } from '../encoding/chunk-sink.js';
import { CodecError } from '../encoding/codec-error.js';
import { crc32 } from '../encoding/crc32.js';
import type { CodecRegistry } from '../encoding/page-codec.js';
import { hashBytes } from '../encoding/page-hash.js';
import type { PipelineMetrics } from '../encoding/pipeline-metrics.js';
import { applyDelta } from '../encoding/delta-format.js';
import { isZeroWords } from '../encoding/zero-page.js';
import { ByteReader } from './binary.js';
import { type CheckpointData, decodeCheckpoint, encodeCheckpoint } from './checkpoint-file.js';
import type { CheckpointMeta } from './checkpoint-meta.js';
import { ChunkTable } from './chunk-table.js';
import { headerBytes, HEADER_SIZE, OLDEST_FORMAT_VERSION, readHeader } from './file-header.js';
import { BatchWriter, indexFileWith, type IndexVisitor, readIndexLog } from './index-log.js';
import { checkRecord, chunkFormatVersion, KIND_DELTA, KIND_FULL, KIND_REF, RECORD_OVERHEAD, type RecordFields, writeRecord } from './pack-record.js';
import { describeHolder, encodeHolder, type LockHolder, readHolder, RepoLock } from './repo-lock.js';
import { type PrunePolicy, selectForRemoval } from './retention.js';
import { StoreError } from './store-error.js';
import { type ProcessIdentity, readRest, readWholeFile, type StoreFile, type StoreFs, writeFileAtomic } from './store-fs.js';

export interface RepositoryOptions {
  codecs: CodecRegistry;
  /** Create an empty repository if `dir` has none. */
  create?: boolean;
  /** Never modify anything (no recovery, no lock). */
  readOnly?: boolean;
  /** Start a new pack file once the active one exceeds this size. */
  maxPackBytes?: number;
  /** How long a commit, id reservation or maintenance waits for the repository lock (default 120 s). */
  lockTimeoutMs?: number;
}

export interface CommitInfo {
  guestTime: number;
  instructions: number;
  deviceState: Uint8Array;
  hostTime?: number;
  label?: string;
  metrics?: Partial<PipelineMetrics>;
}

/** Something a commit step needs durable before it goes on: a file's data, or a directory's entries. */
export type SyncPoint = { file: StoreFile } | { dir: string };

/** Makes a SyncPoint durable, blocking. */
export function syncNow(fs: StoreFs, p: SyncPoint): void {
  if ('file' in p) p.file.sync();
  else fs.syncDir(p.dir);
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
  /** Packs left alone because a live writer still appends to them. */
  skippedLivePacks: number[];
}

interface CheckpointEntry {
  meta: CheckpointMeta;
  fileLength: number;
  fileCrc: number;
}

/** The pack this repository object appends to; no other process writes it. */
interface OwnPack {
  pack: number;
  file: StoreFile;
  /** Committed length: bytes past it are this writer's uncommitted records. */
  end: number;
}

const INDEX = 'index.log';
const LOCK = 'lock';
const WRITE_BUFFER = 1 << 20;
const READ_WINDOW = 1 << 20;
const MAX_DEDUP_CANDIDATES = 4;
/** Chunk ids are reserved in blocks (one index append each), doubling while a writer keeps using them. */
const ID_BLOCK_MIN = 1024;
const ID_BLOCK_MAX = 65536;
const MAX_CHUNK_ID = 0xffffffff;

const packName = (id: number) => `pack-${String(id).padStart(6, '0')}.pack`;
const ownerName = (id: number) => `pack-${String(id).padStart(6, '0')}.owner`;
const ckptName = (id: number) => `ckpt-${String(id).padStart(8, '0')}.ckpt`;

/** A file-system failure as a StoreError naming the file and what was being done. */
function ioError(e: unknown, file: string, doing: string, checkpoint?: number): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as { code?: string; message?: string; path?: string };
  const msg = err.message ?? String(e);
  return new StoreError('io', err.path ?? file, `${doing} failed: ${err.code && !msg.includes(err.code) ? `${err.code} ` : ''}${msg}`, checkpoint);
}

/**
 * A checkpoint repository: content-addressed chunks in append-only pack
 * files, one file per checkpoint (metadata, device state, full page map) and
 * an append-only index log whose batches are the commit points.
 *
 * Any number of processes (and Repository objects) may write one repository
 * at once (docs/checkpoints.md, "Many writers"): each appends only to packs
 * it created (named by an owner file), reserves chunk ids in blocks, and
 * appends to the index only while holding the repository lock, after reading
 * what others appended. Maintenance (remove, prune, gc, crash recovery) holds
 * the same lock and never touches a pack whose owner still runs.
 */
/** Decodes a reference chunk's payload (e.g. disk image and block) into a PAGE_SIZE view; throws if it cannot. */
export type ReferenceResolver = (payload: Uint8Array, dst: Uint8Array) => void;

export class Repository {
  private table = new ChunkTable();
  /**
   * Resolves reference chunks (KIND_REF) for whoever has the referenced data
   * (the checkpoint layer sets it to read its machine's disk images). Without
   * one, such chunks cannot be read; their content hash still catches a
   * resolver that returns other bytes.
   */
  referenceResolver: ReferenceResolver | null = null;
  private readonly packLen = new Map<number, number>();
  private readonly checkpoints = new Map<number, CheckpointEntry>();
  private readonly handles = new Map<number, StoreFile>();
  private nextChunk = 1;
  private nextCheckpoint = 1;
  /** Index bytes read and applied, and the identity of the file they came from. */
  private indexPos = 0;
  /** An index batch of ours is written, its fsync pending (lock held). */
  private appending = false;
  /** The index header's format version as last read or raised (file-header.ts). */
  private version = OLDEST_FORMAT_VERSION;
  /**
   * The version the indexed chunks need. Above `version` only in a repository written between
   * the arrival of reference chunks and sub-page deltas and version 2: the next commit raises it.
   */
  private chunksVersion = OLDEST_FORMAT_VERSION;
  private indexIdentity = '';
  private writer: CheckpointWriter | null = null;
  private own: OwnPack | null = null;
  private idNext = 0;
  private idEnd = 0;
  private idBlock = ID_BLOCK_MIN;
  /**
   * Two read-ahead windows over packs: restoring reads records mostly in file
   * order, and a delta's base usually lies elsewhere (one window each, so they
   * do not evict each other). The least recently used one is refilled.
   */
  private readonly wins: ReadWindow[] = [newWindow(), newWindow()];
  private winClock = 0;
  private readonly hashScratch = new Uint32Array(4);
  private readonly hashWords = new Int32Array(PAGE_SIZE / 4);
  /** Bytes of interrupted commits found (and, if writable, removed) at open or under the lock. */
  recoveredBytes = 0;
  /** Torn index bytes seen by the last read (a commit in progress, or a crash). */
  tornIndexBytes = 0;
  /** Files not named by the index that recovery deleted (their owner had died). */
  readonly removedOrphans: string[] = [];
  readonly maxPackBytes: number;
  readonly lockTimeoutMs: number;
  readonly lock: RepoLock;
  private readonly identity: ProcessIdentity;
  private readonly token = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

  private constructor(readonly fs: StoreFs, readonly dir: string, readonly codecs: CodecRegistry, readonly readOnly: boolean, options: RepositoryOptions) {
    this.maxPackBytes = options.maxPackBytes ?? 256 << 20;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 120_000;
    this.identity = fs.self();
    this.lock = new RepoLock(fs, `${dir}/${LOCK}`, this.identity, this.token);
  }

  static open(fs: StoreFs, dir: string, options: RepositoryOptions): Repository {
    const repo = new Repository(fs, dir, options.codecs, options.readOnly ?? false, options);
    const indexPath = `${dir}/${INDEX}`;
    if (!fs.exists(indexPath)) {
      if (!options.create || repo.readOnly) throw new StoreError('missing', indexPath, 'no checkpoint repository here (index.log missing)');
      fs.mkdir(dir);
      fs.mkdir(`${dir}/packs`);
      fs.mkdir(`${dir}/checkpoints`);
      // two processes may create it at once: exactly one file wins, whole
      fs.createExclusive(indexPath, indexFileWith([new BatchWriter().counters(1, 1).finish()]));
      fs.syncDir(dir);
    }
    repo.reload();
    if (!repo.readOnly) repo.withLock('recover', () => repo.recover());
    return repo;
  }

  /** Chunks known to this view of the repository. */
  /** The repository's format version (its index header's, as of the last refresh): 1, or 2 once it holds chunks version 1 readers cannot decode. */
  get formatVersion(): number { return this.version; }

  get chunks(): ChunkTable {
    return this.table;
  }

  private get indexPath(): string {
    return `${this.dir}/${INDEX}`;
  }

  private path(kind: 'pack' | 'ckpt' | 'owner', id: number): string {
    return kind === 'pack' ? `${this.dir}/packs/${packName(id)}` : kind === 'owner' ? `${this.dir}/packs/${ownerName(id)}` : `${this.dir}/checkpoints/${ckptName(id)}`;
  }

  private readonly visitor: IndexVisitor = {
    pack: (pack, length) => { this.packLen.set(pack, length); },
    chunk: (id, pack, offset, kind, codec, length, base, hash) => {
      this.table.add(id, pack, offset, kind, codec, length, base, hash);
      const v = chunkFormatVersion(kind, codec);
      if (v > this.chunksVersion) this.chunksVersion = v;
    },
    add: (meta, fileLength, fileCrc) => { this.checkpoints.set(meta.id, { meta, fileLength, fileCrc }); },
    drop: (id) => { this.checkpoints.delete(id); },
    counters: (c, k) => { this.nextChunk = c; this.nextCheckpoint = k; },
  };

  /** Reads the whole index into a fresh view (at open, and when garbage collection replaced the index). */
  private reload(): void {
    const f = this.fs.open(this.indexPath, 'r');
    try {
      this.table = new ChunkTable();
      this.chunksVersion = OLDEST_FORMAT_VERSION;
      this.packLen.clear();
      this.checkpoints.clear();
      this.nextChunk = 1;
      this.nextCheckpoint = 1;
      this.indexIdentity = f.identity();
      const bytes = readRest(f, 0, this.indexPath);
      const res = readIndexLog(bytes, this.indexPath, this.visitor);
      this.version = res.version;
      this.indexPos = res.validLength;
      this.tornIndexBytes = res.tornBytes;
    } finally {
      f.close();
    }
    this.checkCounters();
    for (const [pack, h] of this.handles) if (!this.packLen.has(pack)) { h.close(); this.handles.delete(pack); }
    this.dropReadWindow();
    // this writer's uncommitted chunks are not in the index yet
    this.writer?.reAdd();
  }

  private checkCounters(): void {
    for (const id of this.checkpoints.keys()) if (id >= this.nextCheckpoint) throw new StoreError('corrupt', this.indexPath, `checkpoint ${id} is beyond the id counter`);
  }

  /**
   * Brings this view up to date with what other writers committed (whole
   * batches only); returns whether anything changed. Without the lock this
   * is a consistent, possibly slightly old, view.
   */
  refresh(): boolean {
    // our own index batch is written but not fsynced yet (lock held): there is nothing else to see, and it is applied once durable
    if (this.appending) return false;
    const f = this.fs.open(this.indexPath, 'r');
    let bytes: Uint8Array;
    try {
      const size = f.size();
      if (f.identity() !== this.indexIdentity || size < this.indexPos) {
        f.close();
        this.reload();
        return true;
      }
      if (size === this.indexPos) { this.tornIndexBytes = 0; return false; }
      bytes = readRest(f, this.indexPos, this.indexPath);
    } finally {
      f.close();
    }
    const res = readIndexLog(bytes, this.indexPath, this.visitor, this.indexPos);
    const changed = res.validLength > this.indexPos;
    this.indexPos = res.validLength;
    this.tornIndexBytes = res.tornBytes;
    this.checkCounters();
    return changed;
  }

  /** Runs `f` holding the repository lock, with the view refreshed and any torn index tail (a dead committer's) removed. */
  private withLock<T>(purpose: string, f: () => T): T {
    if (this.readOnly) throw new StoreError('usage', this.dir, 'repository is open read-only');
    try {
      this.lock.acquire(purpose, this.lockTimeoutMs);
    } catch (e) {
      throw ioError(e, this.lock.path, `taking the repository lock (${purpose})`);
    }
    try {
      this.refresh();
      if (this.tornIndexBytes > 0) {
        // only a lock holder appends, and we hold it: these bytes belong to a commit that failed or died
        const idx = this.fs.open(this.indexPath, 'rw');
        try {
          idx.truncate(this.indexPos);
          idx.sync();
        } finally {
          idx.close();
        }
        this.recoveredBytes += this.tornIndexBytes;
        this.tornIndexBytes = 0;
      }
      return f();
    } catch (e) {
      throw ioError(e, this.dir, purpose);
    } finally {
      try { this.lock.release(); } catch { /* a lock we cannot remove is broken once we are gone */ }
    }
  }

  /**
   * Appends one batch to the index (lock held, view refreshed) and applies it
   * to this view. If the append or its fsync fails, the index is cut back to
   * where it was, so the batch never becomes visible.
   */
  private appendIndex(b: BatchWriter): void {
    if (!this.lock.isHeld) throw new StoreError('usage', this.indexPath, 'index append without the repository lock');
    const batch = b.finish();
    const f = this.fs.open(this.indexPath, 'rw');
    try {
      // the header says what a reader must know before any entry that needs it becomes visible
      const need = Math.max(b.version, this.chunksVersion);
      if (need > this.version) this.raiseVersion(f, need);
      const at = this.indexPos;
      try {
        f.write(batch, 0, batch.length, at);
        f.sync();
      } catch (e) {
        try { f.truncate(at); f.sync(); } catch { /* the next lock holder cuts the torn tail */ }
        throw ioError(e, this.indexPath, 'appending to the index');
      }
      readIndexLog(batch, this.indexPath, this.visitor, at);
      this.indexPos = at + batch.length;
    } finally {
      f.close();
    }
  }

  /**
   * Raises the index header's format version (lock held, in place: 4 bytes, synced). Older
   * builds then refuse the repository at open, naming the version, instead of failing later
   * on a chunk they cannot decode. Another writer may have raised it already.
   */
  private raiseVersion(f: StoreFile, version: number): void {
    const hdr = new Uint8Array(HEADER_SIZE);
    f.read(hdr, 0, HEADER_SIZE, 0);
    const onDisk = readHeader(new ByteReader(hdr, this.indexPath), 'index');
    if (onDisk < version) {
      try {
        f.write(headerBytes('index', version), 0, HEADER_SIZE, 0);
        f.sync();
      } catch (e) {
        throw ioError(e, this.indexPath, 'raising the format version');
      }
    }
    this.version = Math.max(onDisk, version);
  }

  /**
   * Crash recovery, lock held: packs whose owner runs no more are cut back to
   * their committed length (or deleted if nothing in them was committed);
   * files the index does not name are deleted. Packs of live owners are left
   * alone, whatever they hold.
   */
  private recover(): void {
    const packsDir = `${this.dir}/packs`;
    const names = this.fs.list(packsDir);
    const owned = new Set<number>();
    for (const name of names) {
      const m = /^pack-(\d+)\.owner$/.exec(name);
      if (!m) continue;
      const pack = Number(m[1]);
      const owner = readHolder(this.fs, `${packsDir}/${name}`);
      if (owner && (this.fs.alive(owner) || owner.token === this.token)) { owned.add(pack); continue; }
      this.cutBack(pack);
      try { this.fs.unlink(`${packsDir}/${name}`); } catch { /* gone already */ }
    }
    for (const name of names) {
      const m = /^pack-(\d+)\.pack$/.exec(name);
      if (!m) continue;
      const pack = Number(m[1]);
      // an owner file is created before its pack: re-check, the listing may predate it
      if (owned.has(pack) || this.fs.exists(this.path('owner', pack))) continue;
      this.cutBack(pack);
    }
    for (const name of this.fs.list(`${this.dir}/checkpoints`)) {
      // checkpoint files are written under the lock, which we hold: unnamed ones are leftovers
      const m = /^ckpt-(\d+)\.ckpt$/.exec(name);
      if (m && this.checkpoints.has(Number(m[1]))) continue;
      this.removeOrphan(`${this.dir}/checkpoints/${name}`);
    }
    for (const name of this.fs.list(this.dir)) if (name.endsWith('.tmp')) this.removeOrphan(`${this.dir}/${name}`);
  }

  /** A pack no live process writes: back to its committed length, or deleted if none. */
  private cutBack(pack: number): void {
    const p = this.path('pack', pack);
    if (!this.fs.exists(p)) return;
    const len = this.packLen.get(pack);
    if (len === undefined) { this.removeOrphan(p); return; }
    const f = this.fs.open(p, 'rw');
    try {
      const size = f.size();
      if (size > len) {
        this.recoveredBytes += size - len;
        f.truncate(len);
        f.sync();
      }
    } finally {
      f.close();
    }
  }

  private removeOrphan(p: string): void {
    try {
      this.fs.unlink(p);
      this.removedOrphans.push(p);
    } catch { /* removed meanwhile */ }
  }

  private handle(pack: number): StoreFile {
    if (this.own && this.own.pack === pack) return this.own.file;
    let h = this.handles.get(pack);
    if (!h) {
      const p = this.path('pack', pack);
      if (!this.fs.exists(p)) throw new StoreError('missing', p, 'pack file is missing');
      // packs of other writers are only ever read
      h = this.fs.open(p, 'r');
      this.handles.set(pack, h);
    }
    return h;
  }

  close(): void {
    if (this.writer) this.writer.abort();
    if (this.own) this.seal();
    for (const h of this.handles.values()) h.close();
    this.handles.clear();
  }

  /** Stops appending to our pack: cut uncommitted bytes, give up ownership (gc may rewrite it now). */
  private seal(): void {
    const own = this.own;
    if (!own) return;
    this.own = null;
    const committed = this.packLen.has(own.pack);
    try {
      if (committed && own.file.size() > own.end) own.file.truncate(own.end);
    } catch { /* recovery cuts it once we are gone */ }
    own.file.close();
    try {
      if (!committed) this.fs.unlink(this.path('pack', own.pack));
      this.fs.unlink(this.path('owner', own.pack));
    } catch { /* recovery removes leftovers of dead owners */ }
    this.dropReadWindow();
  }

  /**
   * A new pack owned by this object: the owner file is created exclusively
   * first (so two writers never pick one id), then the pack.
   */
  private newPack(purpose: string): OwnPack {
    let n = 0;
    for (const p of this.packLen.keys()) n = Math.max(n, p);
    for (const name of this.fs.list(`${this.dir}/packs`)) {
      const m = /^pack-(\d+)\./.exec(name);
      if (m) n = Math.max(n, Number(m[1]));
    }
    const owner: LockHolder = { ...this.identity, purpose, since: Date.now(), token: this.token };
    n++;
    try {
      while (!this.fs.createExclusive(this.path('owner', n), encodeHolder(owner))) n++;
    } catch (e) {
      throw ioError(e, this.path('owner', n), 'creating a pack owner file');
    }
    const p = this.path('pack', n);
    try {
      const f = this.fs.open(p, 'w');
      const h = headerBytes('pack');
      f.write(h, 0, h.length, 0);
      f.sync();
      this.fs.syncDir(`${this.dir}/packs`);
      return { pack: n, file: f, end: HEADER_SIZE };
    } catch (e) {
      try { if (this.fs.exists(p)) this.fs.unlink(p); this.fs.unlink(this.path('owner', n)); } catch { /* recovery */ }
      throw ioError(e, p, 'creating a pack');
    }
  }

  list(): CheckpointMeta[] {
    return [...this.checkpoints.values()].map((c) => c.meta).sort((a, b) => a.id - b.id);
  }

  has(id: number): boolean {
    return this.checkpoints.has(id);
  }

  get(id: number): CheckpointMeta {
    const c = this.checkpoints.get(id);
    if (!c) throw new StoreError('missing', this.indexPath, `no checkpoint ${id}`, id);
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
    let bytes: Uint8Array;
    try {
      bytes = readWholeFile(this.fs, p, entry.fileLength);
    } catch (e) {
      if (e instanceof RangeError) throw new StoreError('corrupt', p, `checkpoint file is larger than the ${entry.fileLength} bytes the index records`, id);
      throw e;
    }
    if (bytes.length !== entry.fileLength || crc32(bytes) !== entry.fileCrc) {
      throw new StoreError('corrupt', p, 'checkpoint file differs from the index (length or checksum)', id);
    }
    return decodeCheckpoint(bytes, p, id);
  }

  /**
   * Runs a read that a concurrent garbage collection or removal may have
   * pulled files from under (the view was older than the files): on a
   * failure, if the index moved on meanwhile, refresh and try again.
   */
  consistentRead<T>(f: () => T, attempts = 3): T {
    for (let i = 1; ; i++) {
      try {
        return f();
      } catch (e) {
        if (i >= attempts || !(e instanceof StoreError) || !this.refresh()) throw e;
      }
    }
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
   * `first` at offset 0): chunk contents, or zeros for chunk 0. All or
   * nothing: every chunk is read, checked and decoded into a staging buffer
   * before `ram` is touched, so a damaged chunk leaves `ram` as it was.
   */
  readPagesInto(map: ArrayLike<number>, first: number, count: number, ram: Uint8Array, checkpoint?: number): void {
    if (ram.length < count * PAGE_SIZE) throw new StoreError('usage', this.dir, `${ram.length} bytes cannot hold ${count} pages`, checkpoint);
    const staged = this.stagePages(map, first, count, checkpoint);
    this.applyStaged(staged, ram);
  }

  /** Decodes the non-zero pages of a page map range (everything that can fail happens here). */
  stagePages(map: ArrayLike<number>, first: number, count: number, checkpoint?: number): StagedPages {
    let nonZero = 0;
    for (let i = 0; i < count; i++) if (map[first + i] !== 0) nonZero++;
    const data = new Uint8Array(nonZero * PAGE_SIZE);
    const slot = new Int32Array(count).fill(-1);
    // one decode per distinct chunk: a page shared by many pages (dedup) is copied
    const seen = new Map<number, number>();
    let k = 0;
    for (let i = 0; i < count; i++) {
      const c = map[first + i];
      if (c === 0) continue;
      const dst = data.subarray(k * PAGE_SIZE, (k + 1) * PAGE_SIZE);
      const prev = seen.get(c);
      if (prev !== undefined) dst.set(data.subarray(prev * PAGE_SIZE, (prev + 1) * PAGE_SIZE));
      else { this.readChunkInto(c, dst, checkpoint); seen.set(c, k); }
      slot[i] = k++;
    }
    return { count, slot, data };
  }

  /** Copies staged pages into `ram` (zeros where the map has none); cannot fail. */
  applyStaged(s: StagedPages, ram: Uint8Array): void {
    // Skipping pages that are already zero avoids touching (and faulting in) fresh RAM.
    const words = ram.byteOffset % 4 === 0 ? new Int32Array(ram.buffer, ram.byteOffset, (s.count * PAGE_SIZE) >>> 2) : null;
    for (let i = 0; i < s.count; i++) {
      const off = i * PAGE_SIZE;
      const k = s.slot[i];
      if (k < 0) {
        if (!words || !isZeroWords(words, off >>> 2, PAGE_SIZE >>> 2)) ram.fill(0, off, off + PAGE_SIZE);
      } else {
        ram.set(s.data.subarray(k * PAGE_SIZE, (k + 1) * PAGE_SIZE), off);
      }
    }
  }

  /** Decodes chunk `id` into a PAGE_SIZE view; checks record checksum, index agreement and content hash. */
  readChunkInto(id: number, dst: Uint8Array, checkpoint?: number): void {
    const t = this.table;
    if (!t.has(id)) throw new StoreError('missing', this.indexPath, `chunk ${id} is not in the index`, checkpoint, id);
    const kind = t.kindOf(id);
    const file = this.path('pack', t.packOf(id));
    if (kind === KIND_DELTA) {
      const base = t.baseOf(id);
      if (!t.has(base) || t.kindOf(base) !== KIND_FULL) {
        throw new StoreError('missing', file, `delta base chunk ${base} is missing or not a full chunk`, checkpoint, id);
      }
      this.readChunkInto(base, dst, checkpoint);
    }
    let payload: Uint8Array;
    try {
      payload = this.readRecord(id, file);
    } catch (e) {
      if (e instanceof StoreError && checkpoint !== undefined && e.checkpoint === undefined) throw new StoreError(e.kind, e.file, e.message.slice(e.message.indexOf(': ') + 2), checkpoint, id);
      throw e;
    }
    try {
      if (kind === KIND_FULL) this.codecs.byId(t.codecOf(id)).decompress(payload, dst);
      else if (kind === KIND_DELTA) applyDelta(t.codecOf(id), payload, dst, this.codecs);
      else if (kind === KIND_REF) {
        if (!this.referenceResolver) throw new StoreError('missing', file, 'chunk refers to a disk image block; read it with the machine that has the disk', checkpoint, id);
        this.referenceResolver(payload, dst);
      } else throw new StoreError('corrupt', file, `unknown chunk kind ${kind}`, checkpoint, id);
    } catch (e) {
      if (e instanceof CodecError) throw new StoreError('corrupt', file, e.message, checkpoint, id);
      throw e;
    }
    const h = t.hashOf(id);
    if ((h[0] | h[1] | h[2] | h[3]) !== 0) {
      hashBytes(dst, 0, PAGE_SIZE, this.hashScratch, this.hashWords);
      if (!t.hashEquals(id, this.hashScratch)) throw new StoreError('corrupt', file, 'decoded page does not match its content hash', checkpoint, id);
    }
  }

  private fields(id: number): RecordFields {
    const t = this.table;
    return { id, kind: t.kindOf(id), codec: t.codecOf(id), length: t.lengthOf(id), base: t.baseOf(id), hash: t.hashOf(id).slice() };
  }

  private readRecord(id: number, file: string): Uint8Array {
    return checkRecord(this.recordBytes(id), this.fields(id), file, this.table.offsetOf(id));
  }

  /** The raw record of chunk `id` (possibly short at end of file); valid until the next read. */
  private recordBytes(id: number): Uint8Array {
    const t = this.table;
    this.writer?.flush();
    const n = RECORD_OVERHEAD + t.lengthOf(id);
    const pack = t.packOf(id), off = t.offsetOf(id);
    const limit = this.own?.pack === pack && this.writer ? Infinity : this.packLen.get(pack);
    // the index was checked at read time, but a record must also lie inside its pack's committed bytes
    if (limit === undefined || off + n > limit) {
      throw new StoreError('corrupt', this.path('pack', pack), `record at offset ${off} (${n} bytes) lies outside the pack's committed ${limit ?? 0} bytes`, undefined, id);
    }
    const [a, b] = this.wins;
    const hit = (w: ReadWindow) => w.pack === pack && off >= w.start && off + n <= w.start + w.len;
    let w = hit(a) ? a : hit(b) ? b : null;
    if (!w) {
      w = a.used <= b.used ? a : b;
      if (w.buf.length < n) w.buf = new Uint8Array(n);
      w.pack = pack;
      w.start = off;
      w.len = this.handle(pack).read(w.buf, 0, w.buf.length, off);
      w.used = ++this.winClock;
      if (n > w.len) return w.buf.subarray(0, w.len);
    }
    w.used = ++this.winClock;
    const at = off - w.start;
    return w.buf.subarray(at, at + n);
  }

  /** @internal Bytes of packs may change (truncation, rewrite): forget what was read ahead. */
  dropReadWindow(): void {
    for (const w of this.wins) { w.pack = -1; w.len = 0; }
  }

  /** Starts a checkpoint whose page map starts as a copy of `parent`'s (or all zero). */
  begin(options: { parent: number | null; pageCount: number }): CheckpointWriter {
    if (this.readOnly) throw new StoreError('usage', this.dir, 'repository is open read-only');
    if (this.writer) throw new StoreError('usage', this.dir, 'another checkpoint is being written');
    // see what other writers committed: more to deduplicate against
    this.refresh();
    let map: Uint32Array;
    if (options.parent !== null) {
      if (!this.has(options.parent)) throw new StoreError('conflict', this.path('ckpt', options.parent), 'the parent checkpoint was removed', options.parent);
      const parent = this.consistentRead(() => this.readCheckpoint(options.parent as number));
      if (parent.meta.pageCount !== options.pageCount) {
        throw new StoreError('usage', this.path('ckpt', options.parent), `parent has ${parent.meta.pageCount} pages, new checkpoint ${options.pageCount}`, options.parent);
      }
      map = parent.map;
    } else {
      map = new Uint32Array(options.pageCount);
    }
    if (this.own && this.own.end >= this.maxPackBytes) this.seal();
    if (!this.own) this.own = this.newPack('writer');
    this.writer = new CheckpointWriter(this, options.parent, map, this.own.pack, this.own.file, this.own.end);
    return this.writer;
  }

  /** @internal A chunk id unique across all writers: from this object's reserved block, reserving another when it runs out. */
  allocChunkId(): number {
    if (this.idNext >= this.idEnd) {
      this.withLock('reserve', () => {
        const lo = this.nextChunk;
        const n = Math.min(this.idBlock, MAX_CHUNK_ID - lo);
        if (n <= 0) throw new StoreError('usage', this.indexPath, 'chunk id space exhausted');
        this.appendIndex(new BatchWriter().counters(lo + n, this.nextCheckpoint));
        this.idNext = lo;
        this.idEnd = lo + n;
        this.idBlock = Math.min(ID_BLOCK_MAX, this.idBlock * 2);
      });
    }
    return this.idNext++;
  }

  /** @internal Forgets a writer (nothing of it was committed). */
  finishWrite(w: CheckpointWriter, commit: null): null {
    if (this.writer !== w) throw new StoreError('usage', this.dir, 'writer is not active');
    void commit;
    this.writer = null;
    this.cutOwnPack();
    return null;
  }

  /**
   * @internal Commits a writer whose pack data is durable: holding the
   * repository lock throughout (also across the yields, so a driver may make
   * each SyncPoint durable asynchronously while the guest runs), checks that
   * what it names still exists, writes the checkpoint file (fsync, rename,
   * directory fsync) and appends the index batch (fsync). The batch is
   * applied to this view only once durable; if anything fails the index is
   * cut back, the checkpoint file removed, and nothing is visible.
   */
  *finishSteps(w: CheckpointWriter, commit: { pack: number; packEnd: number; batch: BatchWriter; info: CommitInfo; map: Uint32Array; bytesWritten: number }, hurry?: () => void): Generator<SyncPoint, CheckpointMeta, void> {
    if (this.writer !== w) throw new StoreError('usage', this.dir, 'writer is not active');
    let meta: CheckpointMeta | null = null;
    let locked = false;
    let ckptPath: string | null = null;
    let stage = 'taking the repository lock (commit)';
    try {
      try {
        this.lock.acquire('commit', this.lockTimeoutMs);
        locked = true;
        // held across the yields below: another repository object of this process that wants the lock finishes us instead of waiting
        if (hurry) this.lock.setHurry(hurry);
      } catch (e) {
        throw ioError(e, this.lock.path, stage);
      }
      stage = 'commit';
      this.refresh();
      if (this.tornIndexBytes > 0) {
        // only a lock holder appends, and we hold it: these bytes belong to a commit that failed or died
        const idx = this.fs.open(this.indexPath, 'rw');
        try { idx.truncate(this.indexPos); idx.sync(); } finally { idx.close(); }
        this.recoveredBytes += this.tornIndexBytes;
        this.tornIndexBytes = 0;
      }
      // Chunks this checkpoint names (inherited from the parent or deduplicated) must still
      // exist: a garbage collection that ran since may have removed them.
      const t = this.table;
      const map = commit.map;
      for (let p = 0; p < map.length; p++) {
        const c = map[p];
        if (c !== 0 && !t.has(c)) throw new StoreError('conflict', this.indexPath, `chunk ${c} (page ${p}) was removed by a concurrent garbage collection; nothing was committed`, undefined, c);
      }
      w.checkBases();
      const id = this.nextCheckpoint;
      const m: CheckpointMeta = {
        id, parent: w.parent, pageCount: map.length, guestTime: commit.info.guestTime, instructions: commit.info.instructions,
        hostTime: commit.info.hostTime ?? Date.now(), bytesWritten: commit.bytesWritten,
        ...(commit.info.label !== undefined ? { label: commit.info.label } : {}),
        ...(commit.info.metrics !== undefined ? { metrics: commit.info.metrics } : {}),
      };
      const file = encodeCheckpoint(m, map, commit.info.deviceState);
      const dir = `${this.dir}/checkpoints`;
      const path = this.path('ckpt', id);
      const tmp = `${dir}/${ckptName(id)}.tmp`;
      try {
        const f = this.fs.open(tmp, 'w');
        try {
          f.write(file, 0, file.length, 0);
          yield { file: f };
        } finally {
          f.close();
        }
        this.fs.rename(tmp, path);
        ckptPath = path;
        yield { dir };
      } catch (e) {
        try { if (this.fs.exists(tmp)) this.fs.unlink(tmp); } catch { /* the original failure matters */ }
        throw ioError(e, path, 'writing the checkpoint file', id);
      }
      const b = commit.batch.pack(commit.pack, commit.packEnd).add(m, file.length, crc32(file)).counters(this.nextChunk, id + 1);
      const batch = b.finish();
      const idx = this.fs.open(this.indexPath, 'rw');
      try {
        // the header says what a reader must know before any entry that needs it becomes visible
        const need = Math.max(b.version, this.chunksVersion);
        if (need > this.version) this.raiseVersion(idx, need);
        const at = this.indexPos;
        this.appending = true;
        let synced = false;
        try {
          idx.write(batch, 0, batch.length, at);
          yield { file: idx };
          synced = true;
        } catch (e) {
          throw ioError(e, this.indexPath, 'appending to the index');
        } finally {
          this.appending = false;
          // failed, or the driver gave up (return()): the batch must never become visible
          if (!synced) { try { idx.truncate(at); idx.sync(); } catch { /* the next lock holder cuts the torn tail */ } }
        }
        readIndexLog(batch, this.indexPath, this.visitor, at);
        this.indexPos = at + batch.length;
      } finally {
        idx.close();
      }
      meta = m;
      return m;
    } catch (e) {
      const se = ioError(e, this.dir, stage) as StoreError;
      throw new StoreError(se.kind, se.file, `checkpoint not committed (nothing of it is visible): ${se.message.slice(se.message.indexOf(': ') + 2)}`, se.checkpoint, se.chunk);
    } finally {
      if (!meta && ckptPath) { try { this.fs.unlink(ckptPath); } catch { /* recovery removes unnamed checkpoint files */ } }
      if (locked) { try { this.lock.release(); } catch { /* a lock we cannot remove is broken once we are gone */ } }
      this.writer = null;
      if (meta) {
        if (this.own && this.own.pack === commit.pack) this.own.end = commit.packEnd;
      } else {
        w.forget();
        this.cutOwnPack();
      }
    }
  }

  /** Drops our uncommitted pack bytes (our own file: nobody else writes it). */
  private cutOwnPack(): void {
    if (!this.own) return;
    try { this.own.file.truncate(this.own.end); } catch { /* later records overwrite them; recovery cuts them */ }
    this.dropReadWindow();
  }

  /** Removes checkpoints (their chunks stay until gc()); one index batch, under the lock. */
  removeMany(ids: number[]): number[] {
    return this.withLock('remove', () => this.dropLocked(ids));
  }

  private dropLocked(ids: number[]): number[] {
    for (const id of ids) this.get(id);
    if (ids.length === 0) return [];
    const b = new BatchWriter();
    for (const id of ids) b.drop(id);
    this.appendIndex(b);
    for (const id of ids) {
      const p = this.path('ckpt', id);
      try { if (this.fs.exists(p)) this.fs.unlink(p); } catch { /* recovery removes unnamed files */ }
    }
    return ids;
  }

  /** Removes one checkpoint (its chunks stay until gc()). */
  remove(id: number): void {
    this.removeMany([id]);
  }

  /** Removes what `policy` does not keep (deciding under the lock, on the current index); returns the removed ids. Run gc() to free space. */
  prune(policy: PrunePolicy): number[] {
    return this.withLock('prune', () => this.dropLocked(selectForRemoval(this.list(), policy)));
  }

  /** Who holds the repository lock now, if anyone (for messages). */
  lockHolder(): string | null {
    const h = readHolder(this.fs, this.lock.path);
    return h ? describeHolder(h) : null;
  }

  /**
   * Drops chunks no checkpoint references, holding the lock throughout (commits
   * wait): live chunks of affected packs are copied into new packs, then a
   * compacted index replaces the old one in a single atomic rename, then old
   * packs are deleted. Packs a live writer still appends to are left alone.
   * A writer that deduplicated against a chunk removed here finds out under
   * the lock at commit (conflict) and commits nothing.
   */
  gc(): GcResult {
    if (this.readOnly || this.writer) throw new StoreError('usage', this.dir, 'gc needs a writable repository with no checkpoint in progress');
    this.seal();
    return this.withLock('gc', () => {
      this.recover();
      const t = this.table;
      const live = new Set<number>();
      for (const id of this.checkpoints.keys()) {
        const { map } = this.readCheckpoint(id);
        for (let p = 0; p < map.length; p++) if (map[p] !== 0) live.add(map[p]);
      }
      for (const id of [...live]) if (t.has(id) && t.kindOf(id) === KIND_DELTA) live.add(t.baseOf(id));
      const ids = t.ids();
      const livePacks = new Set<number>();
      for (const name of this.fs.list(`${this.dir}/packs`)) {
        const m = /^pack-(\d+)\.owner$/.exec(name);
        if (m) livePacks.add(Number(m[1]));
      }
      const affected = new Set<number>();
      for (const id of ids) if (!live.has(id) && !livePacks.has(t.packOf(id))) affected.add(t.packOf(id));
      // chunks that stay: live ones, everything in packs left alone, and the bases of all deltas that stay
      for (const id of ids) if (!affected.has(t.packOf(id))) live.add(id);
      for (const id of ids) if (live.has(id) && t.kindOf(id) === KIND_DELTA) live.add(t.baseOf(id));
      const bytesBefore = [...this.packLen.values()].reduce((a, b) => a + b, 0);
      const skippedLivePacks = [...livePacks].filter((p) => this.packLen.has(p));
      if (affected.size === 0) return { removedChunks: 0, rewrittenPacks: [], bytesBefore, bytesAfter: bytesBefore, skippedLivePacks };

      const created: OwnPack[] = [];
      let out: OwnPack | null = null;
      const moved: Array<[number, number, number]> = []; // id, pack, offset
      const newLen = new Map<number, number>();
      let removed = 0;
      try {
        for (const id of ids) {
          if (!affected.has(t.packOf(id))) continue;
          if (!live.has(id)) { removed++; continue; }
          const rec = this.recordBytes(id);
          checkRecord(rec, this.fields(id), this.path('pack', t.packOf(id)), t.offsetOf(id));
          const n = RECORD_OVERHEAD + t.lengthOf(id);
          if (!out || out.end + n > this.maxPackBytes) {
            if (out) { out.file.sync(); newLen.set(out.pack, out.end); }
            out = this.newPack('gc');
            created.push(out);
          }
          out.file.write(rec, 0, n, out.end);
          moved.push([id, out.pack, out.end]);
          out.end += n;
        }
        if (out) { out.file.sync(); newLen.set(out.pack, out.end); }
        this.fs.syncDir(`${this.dir}/packs`);

        const b = new BatchWriter().counters(this.nextChunk, this.nextCheckpoint);
        for (const [p, len] of this.packLen) if (!affected.has(p)) b.pack(p, len);
        for (const [p, len] of newLen) b.pack(p, len);
        const at = new Map(moved.map(([id, p, off]) => [id, [p, off]]));
        for (const id of ids) {
          if (affected.has(t.packOf(id)) && !live.has(id)) continue;
          const [p, off] = at.get(id) ?? [t.packOf(id), t.offsetOf(id)];
          b.chunk(id, p, off, t.kindOf(id), t.codecOf(id), t.lengthOf(id), t.baseOf(id), t.hashOf(id));
        }
        for (const c of this.list()) { const e = this.checkpoints.get(c.id) as CheckpointEntry; b.add(e.meta, e.fileLength, e.fileCrc); }
        // the rewritten index needs only the version its surviving chunks need
        writeFileAtomic(this.fs, this.dir, INDEX, indexFileWith([b.finish()], b.version));
      } catch (e) {
        for (const c of created) {
          c.file.close();
          try { this.fs.unlink(this.path('pack', c.pack)); this.fs.unlink(this.path('owner', c.pack)); } catch { /* recovery */ }
        }
        throw ioError(e, this.dir, 'garbage collection');
      }
      // the new index is in place: our view, then the old packs and our ownership of the new ones
      this.reload();
      for (const c of created) {
        c.file.close();
        try { this.fs.unlink(this.path('owner', c.pack)); } catch { /* recovery */ }
      }
      for (const p of affected) {
        this.handles.get(p)?.close();
        this.handles.delete(p);
        try { this.fs.unlink(this.path('pack', p)); } catch { /* already gone */ }
      }
      this.fs.syncDir(`${this.dir}/packs`);
      this.dropReadWindow();
      const bytesAfter = [...this.packLen.values()].reduce((a, c) => a + c, 0);
      return { removedChunks: removed, rewrittenPacks: [...affected], bytesBefore, bytesAfter, skippedLivePacks };
    });
  }

  /**
   * Checks every file, chunk and checkpoint; returns problems instead of
   * throwing. Files changed by a concurrent maintenance run are re-checked on
   * the newer index, so a clean repository never reports a problem because
   * other processes were busy.
   */
  verify(): Problem[] {
    let problems = this.verifyOnce();
    for (let i = 0; i < 3 && problems.some((p) => p.severity === 'error') && this.refresh(); i++) problems = this.verifyOnce();
    return problems;
  }

  /** Pack owners that still run (their packs may hold uncommitted bytes, and are not orphans). */
  private liveOwners(): Set<number> {
    const out = new Set<number>();
    for (const name of this.fs.list(`${this.dir}/packs`)) {
      const m = /^pack-(\d+)\.owner$/.exec(name);
      if (!m) continue;
      const h = readHolder(this.fs, `${this.dir}/packs/${name}`);
      if (h && (this.fs.alive(h) || h.token === this.token)) out.add(Number(m[1]));
    }
    return out;
  }

  private verifyOnce(): Problem[] {
    const problems: Problem[] = [];
    const err = (e: unknown, file: string, checkpoint?: number, chunk?: number) => {
      if (e instanceof StoreError) problems.push({ severity: 'error', file: e.file, checkpoint: e.checkpoint ?? checkpoint, chunk: e.chunk ?? chunk, message: e.message });
      else problems.push({ severity: 'error', file, checkpoint, chunk, message: (e as Error).message });
    };
    if (this.recoveredBytes > 0) {
      problems.push({ severity: 'warning', file: this.indexPath, message: `${this.recoveredBytes} bytes of interrupted commits were found and removed` });
    }
    for (const p of this.removedOrphans) {
      problems.push({ severity: 'warning', file: p, message: 'file not named by the index was removed (interrupted commit or gc of a process that died)' });
    }
    const lockHeld = readHolder(this.fs, this.lock.path);
    const busy = lockHeld !== null && this.fs.alive(lockHeld);
    const liveOwners = this.liveOwners();
    if (this.chunksVersion > this.version) problems.push({ severity: 'warning', file: this.indexPath, message: `the index says format version ${this.version} but holds chunks of version ${this.chunksVersion} (disk references or sub-page deltas, written before the version existed): builds that read only version ${this.version} fail on them; the next commit here raises the version` });
    if (this.readOnly && !busy) {
      if (this.tornIndexBytes > 0) problems.push({ severity: 'warning', file: this.indexPath, message: `${this.tornIndexBytes} bytes of an interrupted commit at the end` });
      for (const p of this.orphans(liveOwners)) problems.push({ severity: 'warning', file: p, message: 'file not named by the index (interrupted commit or gc, or lost index entries)' });
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
        if (size > len && !liveOwners.has(pack)) problems.push({ severity: 'warning', file: p, message: `${size - len} uncommitted bytes after the committed end` });
      } catch (e) {
        badPacks.add(pack);
        err(e, p);
      }
    }
    const page = new Uint8Array(PAGE_SIZE);
    const t = this.table;
    for (const id of t.ids()) {
      if (badPacks.has(t.packOf(id))) continue;
      try {
        if (t.kindOf(id) === KIND_REF && !this.referenceResolver) this.readRecord(id, this.path('pack', t.packOf(id)));
        else this.readChunkInto(id, page);
      } catch (e) {
        err(e, this.path('pack', t.packOf(id)), undefined, id);
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

  /** Files the index does not name and no live writer owns. */
  private orphans(liveOwners: Set<number>): string[] {
    const out: string[] = [];
    for (const name of this.fs.list(`${this.dir}/packs`)) {
      const m = /^pack-(\d+)\.(pack|owner)$/.exec(name);
      if (m && (liveOwners.has(Number(m[1])) || (m[2] === 'pack' && this.packLen.has(Number(m[1]))))) continue;
      if (name.endsWith('.excl')) continue;
      out.push(`${this.dir}/packs/${name}`);
    }
    for (const name of this.fs.list(`${this.dir}/checkpoints`)) {
      const m = /^ckpt-(\d+)\.ckpt$/.exec(name);
      if (!m || !this.checkpoints.has(Number(m[1]))) out.push(`${this.dir}/checkpoints/${name}`);
    }
    for (const name of this.fs.list(this.dir)) if (name.endsWith('.tmp')) out.push(`${this.dir}/${name}`);
    return out;
  }
}

interface ReadWindow { buf: Uint8Array; pack: number; start: number; len: number; used: number }
const newWindow = (): ReadWindow => ({ buf: new Uint8Array(READ_WINDOW), pack: -1, start: 0, len: 0, used: 0 });

/** Pages decoded ahead of writing them (see Repository.stagePages). */
export interface StagedPages {
  count: number;
  /** Page i's index in `data`, or -1 for a zero page. */
  slot: Int32Array;
  data: Uint8Array;
}

/**
 * Receives chunks from the page pipeline (it is its ChunkSink) and commits
 * them as one checkpoint. Nothing is visible to readers before commit().
 * Records go to this writer's own pack at known offsets (positional writes),
 * so a failed or aborted checkpoint is simply overwritten by the next one.
 */
export class CheckpointWriter implements ChunkSink {
  private readonly buf = new Uint8Array(WRITE_BUFFER);
  private bufLen = 0;
  private fileEnd: number;
  private readonly batch = new BatchWriter();
  private readonly fields: RecordFields = { id: 0, kind: 0, codec: 0, length: 0, base: 0, hash: new Uint32Array(4) };
  private readonly scratch = new Uint8Array(PAGE_SIZE);
  /** Chunks written so far, 10 numbers each (id, offset, kind, codec, length, base, hash×4): re-added after a view reload. */
  private readonly pending: number[] = [];
  bytesWritten = 0;
  private done = false;

  constructor(
    private readonly repo: Repository,
    readonly parent: number | null,
    readonly map: Uint32Array,
    private readonly pack: number,
    private readonly file: StoreFile,
    packStart: number,
  ) {
    this.fileEnd = packStart;
  }

  findDuplicate(hash: Uint32Array, page: Uint8Array, off: number): number {
    const t = this.repo.chunks;
    // A guest can make many pages collide on purpose: verify only a few candidates.
    let tries = MAX_DEDUP_CANDIDATES, steps = 64;
    for (let id = t.firstCandidate(hash); id !== 0 && tries > 0 && steps-- > 0; id = t.nextCandidate(id)) {
      if (!t.hashEquals(id, hash)) continue;
      if (t.kindOf(id) === KIND_REF && !this.repo.referenceResolver) continue;
      tries--;
      try {
        this.repo.readChunkInto(id, this.scratch);
      } catch (e) {
        // a concurrent gc may have moved it; not deduplicating is always correct
        if (e instanceof StoreError) continue;
        throw e;
      }
      const s = this.scratch;
      let same = true;
      for (let i = 0; i < PAGE_SIZE; i++) if (s[i] !== page[off + i]) { same = false; break; }
      if (same) return id;
    }
    return 0;
  }

  isFullChunk(id: number): boolean {
    const t = this.repo.chunks;
    return t.has(id) && t.kindOf(id) === KIND_FULL;
  }

  putFull(hash: Uint32Array, codecId: number, payload: Uint8Array, offset: number, length: number): number {
    this.repo.codecs.byId(codecId);
    return this.put(KIND_FULL, codecId, 0, hash, payload, offset, length);
  }

  putDelta(hash: Uint32Array, baseId: number, payload: Uint8Array, offset: number, length: number, format = 0): number {
    if (!this.isFullChunk(baseId)) throw new StoreError('usage', this.repo.dir, `delta base ${baseId} is not a stored full chunk`);
    return this.put(KIND_DELTA, format, baseId, hash, payload, offset, length);
  }

  readChunk(id: number, dst: Uint8Array): void {
    this.repo.readChunkInto(id, dst);
  }

  putReference(hash: Uint32Array, payload: Uint8Array, offset: number, length: number): number {
    return this.put(KIND_REF, 0, 0, hash, payload, offset, length);
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
      this.write(big, n);
    } else {
      this.bufLen = writeRecord(this.buf, this.bufLen, f, payload, offset);
    }
    this.repo.chunks.add(id, this.pack, recOff, kind, codec, length, base, hash);
    this.pending.push(id, recOff, kind, codec, length, base, hash[0], hash[1], hash[2], hash[3]);
    this.batch.chunk(id, this.pack, recOff, kind, codec, length, base, hash);
    this.bytesWritten += length;
    return id;
  }

  private write(data: Uint8Array, n: number): void {
    try {
      this.file.write(data, 0, n, this.fileEnd);
    } catch (e) {
      throw ioError(e, `${this.repo.dir}/packs/${packName(this.pack)}`, 'writing chunk records');
    }
    this.fileEnd += n;
  }

  /** Pushes buffered records to the pack file (not yet durable). */
  flush(): void {
    if (this.bufLen === 0) return;
    const n = this.bufLen;
    this.bufLen = 0;
    this.write(this.buf, n);
  }

  /** @internal After the repository reloaded its view: our chunks are not in the index yet. */
  reAdd(): void {
    const p = this.pending, h = new Uint32Array(4);
    for (let i = 0; i < p.length; i += 10) {
      h[0] = p[i + 6]; h[1] = p[i + 7]; h[2] = p[i + 8]; h[3] = p[i + 9];
      this.repo.chunks.add(p[i], this.pack, p[i + 1], p[i + 2], p[i + 3], p[i + 4], p[i + 5], h);
    }
  }

  /** @internal Every delta written must still have its base (lock held, view fresh). */
  checkBases(): void {
    const p = this.pending;
    for (let i = 0; i < p.length; i += 10) {
      if (p[i + 2] === KIND_DELTA && !this.isFullChunk(p[i + 5])) {
        throw new StoreError('conflict', `${this.repo.dir}/${INDEX}`, `delta base chunk ${p[i + 5]} was removed by a concurrent garbage collection; nothing was committed`, undefined, p[i]);
      }
    }
  }

  /** @internal Takes this writer's chunks out of the view (nothing of them was committed). */
  forget(): void {
    this.done = true;
    this.bufLen = 0;
    const p = this.pending;
    for (let i = 0; i < p.length; i += 10) this.repo.chunks.remove(p[i]);
    p.length = 0;
    this.repo.dropReadWindow();
  }

  /**
   * Makes the chunks durable, then (holding the repository lock) the
   * checkpoint file and the index entry; returns the new checkpoint. On any
   * failure nothing becomes visible and the error (a StoreError) says what failed.
   */
  commit(info: CommitInfo): CheckpointMeta {
    const steps = this.commitSteps(info);
    let r = steps.next();
    for (;;) {
      if (r.done) return r.value;
      // a failed sync goes back into the steps, which report it and take the commit back
      let failure: { e: unknown } | null = null;
      try { syncNow(this.repo.fs, r.value); } catch (e) { failure = { e }; }
      r = failure ? steps.throw(failure.e) : steps.next();
    }
  }

  /**
   * The same commit as steps, for a driver that must not block on fsync
   * (src/checkpoint/durable-commit.ts): each SyncPoint yielded must be made
   * durable (blocking, or an asynchronous fsync) before resuming, and a sync
   * failure is passed back with throw(). Four steps are yielded: the pack
   * data, then (holding the repository lock across the remaining steps:
   * other writers wait that long) the checkpoint file, its directory entry
   * and the index batch. The checkpoint is visible, and this returns, only
   * once all four are durable. `hurry` finishes the commit now, blocking on
   * the remaining fsyncs (e.g. DurableCommit.finishNow): a second repository
   * object of this process that needs the lock meanwhile calls it rather than
   * wait (its blocking wait would stop the event loop the fsyncs complete
   * on). Without it, such a waiter times out (lockTimeoutMs).
   */
  *commitSteps(info: CommitInfo, hurry?: () => void): Generator<SyncPoint, CheckpointMeta, void> {
    if (this.done) throw new StoreError('usage', this.repo.dir, 'checkpoint writer already finished');
    let state: 'pending' | 'synced' | 'failed' = 'pending';
    try {
      this.flush();
      yield { file: this.file };
      state = 'synced';
    } catch (e) {
      state = 'failed';
      this.abort();
      throw ioError(e, `${this.repo.dir}/packs/${packName(this.pack)}`, 'checkpoint not committed: making chunk records durable');
    } finally {
      // closed early by the driver (return()): nothing was committed
      if (state === 'pending') this.abort();
    }
    this.done = true;
    return yield* this.repo.finishSteps(this, { pack: this.pack, packEnd: this.fileEnd, batch: this.batch, info, map: this.map, bytesWritten: this.bytesWritten }, hurry);
  }

  /** Discards everything written by this writer. */
  abort(): void {
    if (this.done) return;
    this.forget();
    this.repo.finishWrite(this, null);
  }
}
