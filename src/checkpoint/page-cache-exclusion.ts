/**
 * Page-cache exclusion: a RAM page whose bytes equal a 4 KiB block of one of
 * the machine's base disk images (the guest's page cache after it read the
 * disk) is stored as a reference to that block: 8 bytes (u32 disk index,
 * u32 block number, little endian) instead of the page.
 *
 * Why it is exact: the base image under a copy-on-write overlay is never
 * written while the machine exists, a candidate block (found by content hash)
 * is compared with the page byte for byte before the reference is stored, and
 * the reference chunk carries the page's content hash, which the repository
 * checks whenever it resolves the reference (a restore with a different disk
 * image fails instead of loading other bytes). Blocks the guest wrote are in
 * the overlay and stored in the checkpoint as disk pages already; RAM copies
 * of those deduplicate against them.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import type { BlockDevice } from '../machine/block/block-device.js';
import { PAGE_SIZE } from '../machine/memory.js';
import { hashWords } from '../encoding/page-hash.js';
import type { PageReferences } from '../encoding/page-references.js';
import { isZeroWords } from '../encoding/zero-page.js';
import type { Repository } from '../store/repository.js';

const REF_BYTES = 8;
/** Candidates compared per page at most: a guest can make many blocks collide on purpose. */
const MAX_CANDIDATES = 4;
/** Blocks indexed at most per machine (8 bytes of index each, plus the map). */
export const MAX_INDEXED_BLOCKS = 1 << 20;

/** Hash index of the non-zero blocks of a machine's base disk images. */
export class DiskBlockIndex implements PageReferences {
  private readonly first = new Map<number, number>();
  /** Per indexed entry: disk, block, next entry with the same key (-1 ends). */
  private disk: Int32Array;
  private block: Int32Array;
  private next: Int32Array;
  private count = 0;
  /** Blocks left out because the index was full. */
  skipped = 0;
  private readonly buf = new Uint8Array(PAGE_SIZE);
  private readonly ref = new Uint8Array(REF_BYTES);

  constructor(private readonly bases: readonly BlockDevice[], maxBlocks = MAX_INDEXED_BLOCKS) {
    let total = 0;
    for (const b of bases) total += Math.floor(b.size / PAGE_SIZE);
    const n = Math.min(total, maxBlocks);
    this.disk = new Int32Array(n);
    this.block = new Int32Array(n);
    this.next = new Int32Array(n);
    const chunk = new Uint8Array(256 * PAGE_SIZE);
    const words = new Int32Array(chunk.buffer);
    const hash = new Uint32Array(4);
    bases.forEach((dev, d) => {
      const blocks = Math.floor(dev.size / PAGE_SIZE);
      for (let b0 = 0; b0 < blocks; b0 += 256) {
        const k = Math.min(256, blocks - b0);
        dev.read(b0 * PAGE_SIZE, chunk.subarray(0, k * PAGE_SIZE));
        for (let i = 0; i < k; i++) {
          const w = i * (PAGE_SIZE >>> 2);
          if (isZeroWords(words, w, PAGE_SIZE >>> 2)) continue; // zero pages are stored as zero anyway
          if (this.count >= n) { this.skipped++; continue; }
          hashWords(words, w, PAGE_SIZE >>> 2, hash);
          const e = this.count++;
          this.disk[e] = d; this.block[e] = b0 + i;
          this.next[e] = this.first.get(hash[0]) ?? -1;
          this.first.set(hash[0], e);
        }
      }
    });
  }

  get indexedBlocks(): number {
    return this.count;
  }

  find(hash: Uint32Array, page: Uint8Array, off: number): Uint8Array | null {
    let tries = MAX_CANDIDATES;
    for (let e = this.first.get(hash[0]) ?? -1; e >= 0 && tries-- > 0; e = this.next[e]) {
      const d = this.disk[e], b = this.block[e];
      this.bases[d].read(b * PAGE_SIZE, this.buf);
      let same = true;
      for (let i = 0; i < PAGE_SIZE; i++) if (this.buf[i] !== page[off + i]) { same = false; break; }
      if (!same) continue;
      const v = new DataView(this.ref.buffer);
      v.setUint32(0, d, true);
      v.setUint32(4, b, true);
      return this.ref;
    }
    return null;
  }
}

/** Lets `repo` resolve disk references with `vm`'s base disk images (capture and restore both call this). */
export function attachDiskResolver(repo: Repository, vm: VirtMachine): void {
  const bases = vm.overlays.map((o) => o.base);
  repo.referenceResolver = (payload, dst) => {
    if (payload.length !== REF_BYTES) throw new Error(`disk reference of ${payload.length} bytes`);
    const v = new DataView(payload.buffer, payload.byteOffset, REF_BYTES);
    const d = v.getUint32(0, true), b = v.getUint32(4, true);
    const dev = bases[d];
    if (!dev || (b + 1) * PAGE_SIZE > dev.size) throw new Error(`disk reference to block ${b} of disk ${d}, which this machine does not have`);
    dev.read(b * PAGE_SIZE, dst.subarray(0, PAGE_SIZE));
  };
}
