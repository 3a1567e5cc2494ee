/**
 * SiFive PLIC as QEMU's virt board configures it: sources 1..ndev, 3 priority
 * bits, two contexts per hart (2h = M-mode -> MEIP, 2h+1 = S-mode -> SEIP).
 *
 * Sources are level-triggered: a high level pends the source unless it is
 * claimed; claiming clears pending; completing re-pends it if the level is
 * still high. Only enabled sources with priority above the context's
 * threshold interrupt or can be claimed; ties go to the lowest source id.
 */
import type { AccessSize, MmioDevice } from '../bus.js';
import { MIP_MEIP, MIP_SEIP, type HartInterruptLines } from '../clock.js';
import type { IrqSink } from '../irq.js';
import { expectVersion, type StateRecord, type Stateful } from '../state.js';
import { VIRT_PLIC_NDEV } from './virt-map.js';
import { extractSub, mergeSub } from './sub-word.js';

const PENDING_BASE = 0x1000;
const ENABLE_BASE = 0x2000;
const ENABLE_STRIDE = 0x80;
const CONTEXT_BASE = 0x200000;
const CONTEXT_STRIDE = 0x1000;
const PRIORITY_MASK = 7;
const STATE_VERSION = 1;

export class Plic implements MmioDevice, IrqSink, Stateful {
  /** Number of 32-bit words covering source ids 0..ndev. */
  private readonly words: number;
  private readonly contexts: number;
  private readonly priority: Uint32Array;
  private readonly level: Uint32Array;
  private readonly pending: Uint32Array;
  private readonly claimed: Uint32Array;
  /** contexts * words enable bits. */
  private readonly enable: Uint32Array;
  private readonly threshold: Uint32Array;
  /** Last level driven per context: 0, 1, or -1 when not yet driven. */
  private readonly out: Int8Array;

  constructor(
    private readonly harts: readonly HartInterruptLines[],
    readonly ndev: number = VIRT_PLIC_NDEV,
  ) {
    if (!Number.isInteger(ndev) || ndev < 1 || ndev > 1023) throw new Error(`PLIC: bad source count ${ndev}`);
    // The 0x600000 window has threshold/claim pages for 1024 contexts: 512 harts.
    if (harts.length < 1 || harts.length > 512) throw new Error(`PLIC: unsupported hart count ${harts.length}`);
    this.words = (ndev >>> 5) + 1;
    this.contexts = 2 * harts.length;
    this.priority = new Uint32Array(ndev + 1);
    this.level = new Uint32Array(this.words);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.enable = new Uint32Array(this.contexts * this.words);
    this.threshold = new Uint32Array(this.contexts);
    this.out = new Int8Array(this.contexts).fill(-1);
  }

  setLevel(source: number, level: boolean): void {
    if (source < 1 || source > this.ndev) return;
    const w = source >>> 5;
    const bit = 1 << (source & 31);
    if (level) {
      if ((this.level[w] & bit) !== 0) return;
      this.level[w] |= bit;
      if ((this.claimed[w] & bit) === 0) this.pending[w] |= bit;
    } else {
      if ((this.level[w] & bit) === 0) return;
      this.level[w] &= ~bit;
      this.pending[w] &= ~bit;
    }
    this.update();
  }

  read(offset: number, size: AccessSize): number {
    const lane = offset & 3;
    return extractSub(this.readWord(offset - lane), lane, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const lane = offset & 3;
    const word = offset - lane;
    // A narrow write to claim/complete is a completion of that value, not a merge with a claim.
    const merged = size === 4 || this.isClaimWord(word) ? value >>> 0 : mergeSub(this.readWord(word), lane, size, value);
    this.writeWord(word, merged);
  }

  private isClaimWord(off: number): boolean {
    return off >= CONTEXT_BASE && (off - CONTEXT_BASE) % CONTEXT_STRIDE === 4;
  }

  private readWord(off: number): number {
    // Priorities occupy 0x0 .. PENDING_BASE, one word per source.
    if (off < PENDING_BASE) {
      const src = off >>> 2;
      return src <= this.ndev ? this.priority[src] : 0;
    }
    if (off < ENABLE_BASE) {
      const w = (off - PENDING_BASE) >>> 2;
      return w < this.words ? this.pending[w] >>> 0 : 0;
    }
    if (off < CONTEXT_BASE) {
      const ctx = Math.floor((off - ENABLE_BASE) / ENABLE_STRIDE);
      const w = ((off - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
      return ctx < this.contexts && w < this.words ? this.enable[ctx * this.words + w] >>> 0 : 0;
    }
    const ctx = Math.floor((off - CONTEXT_BASE) / CONTEXT_STRIDE);
    if (ctx >= this.contexts) return 0;
    const reg = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (reg === 0) return this.threshold[ctx];
    if (reg === 4) return this.claim(ctx);
    return 0;
  }

  private writeWord(off: number, value: number): void {
    if (off < PENDING_BASE) {
      const src = off >>> 2;
      if (src >= 1 && src <= this.ndev) {
        this.priority[src] = value & PRIORITY_MASK;
        this.update();
      }
      return;
    }
    if (off < ENABLE_BASE) return; // pending bits are read-only
    if (off < CONTEXT_BASE) {
      const ctx = Math.floor((off - ENABLE_BASE) / ENABLE_STRIDE);
      const w = ((off - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
      if (ctx < this.contexts && w < this.words) {
        this.enable[ctx * this.words + w] = value & this.validMask(w);
        this.update();
      }
      return;
    }
    const ctx = Math.floor((off - CONTEXT_BASE) / CONTEXT_STRIDE);
    if (ctx >= this.contexts) return;
    const reg = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (reg === 0) {
      this.threshold[ctx] = value & PRIORITY_MASK;
      this.update();
    } else if (reg === 4) {
      this.complete(value);
    }
  }

  /** Bits of word w that name real sources (source 0 and ids above ndev are hardwired to 0). */
  private validMask(w: number): number {
    let m = 0xffffffff;
    if (w === 0) m &= ~1;
    const top = this.ndev - 32 * w; // highest valid bit index in this word
    if (top < 31) m &= top < 0 ? 0 : (2 ** (top + 1) - 1);
    return m >>> 0;
  }

  /** Highest-priority claimable source for ctx, or 0. */
  private best(ctx: number): number {
    let bestSrc = 0;
    let bestPrio = this.threshold[ctx];
    const base = ctx * this.words;
    for (let w = 0; w < this.words; w++) {
      let bits = (this.pending[w] & this.enable[base + w]) >>> 0;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits = (bits & (bits - 1)) >>> 0;
        const src = w * 32 + b;
        const p = this.priority[src];
        if (p > bestPrio) {
          bestPrio = p;
          bestSrc = src;
        }
      }
    }
    return bestSrc;
  }

  private claim(ctx: number): number {
    const src = this.best(ctx);
    if (src !== 0) {
      const w = src >>> 5;
      const bit = 1 << (src & 31);
      this.pending[w] &= ~bit;
      this.claimed[w] |= bit;
      this.update();
    }
    return src;
  }

  private complete(src: number): void {
    if (src < 1 || src > this.ndev) return;
    const w = src >>> 5;
    const bit = 1 << (src & 31);
    if ((this.claimed[w] & bit) === 0) return;
    this.claimed[w] &= ~bit;
    if ((this.level[w] & bit) !== 0) this.pending[w] |= bit;
    this.update();
  }

  /** Drives MEIP/SEIP of every hart from the current state (only on change). */
  private update(): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const v = this.best(ctx) !== 0 ? 1 : 0;
      if (v !== this.out[ctx]) {
        this.out[ctx] = v;
        this.harts[ctx >>> 1].setPending((ctx & 1) === 0 ? MIP_MEIP : MIP_SEIP, v === 1);
      }
    }
  }

  saveState(): StateRecord {
    return {
      version: STATE_VERSION,
      ndev: this.ndev,
      contexts: this.contexts,
      priority: Array.from(this.priority),
      level: Array.from(this.level),
      pending: Array.from(this.pending),
      claimed: Array.from(this.claimed),
      enable: Array.from(this.enable),
      threshold: Array.from(this.threshold),
    };
  }

  /**
   * Restores registers and source levels. Hart lines are not driven: their
   * levels are part of the CPU's saved mip. The cached outputs are recomputed
   * silently so later changes are reported correctly.
   */
  loadState(record: StateRecord): void {
    expectVersion(record, 'PLIC', STATE_VERSION);
    if (record.ndev !== this.ndev || record.contexts !== this.contexts) {
      throw new Error(`PLIC: state is for ${String(record.ndev)} sources / ${String(record.contexts)} contexts, this board has ${this.ndev} / ${this.contexts}`);
    }
    const priority = u32List(record.priority, this.priority.length, 'priority');
    const level = u32List(record.level, this.words, 'level');
    const pending = u32List(record.pending, this.words, 'pending');
    const claimed = u32List(record.claimed, this.words, 'claimed');
    const enable = u32List(record.enable, this.enable.length, 'enable');
    const threshold = u32List(record.threshold, this.contexts, 'threshold');
    for (let i = 0; i < priority.length; i++) this.priority[i] = i === 0 ? 0 : priority[i] & PRIORITY_MASK;
    for (let w = 0; w < this.words; w++) {
      const m = this.validMask(w);
      this.level[w] = level[w] & m;
      this.pending[w] = pending[w] & m;
      this.claimed[w] = claimed[w] & m;
    }
    for (let i = 0; i < enable.length; i++) this.enable[i] = enable[i] & this.validMask(i % this.words);
    for (let c = 0; c < this.contexts; c++) {
      this.threshold[c] = threshold[c] & PRIORITY_MASK;
      this.out[c] = this.best(c) !== 0 ? 1 : 0;
    }
  }
}

function u32List(v: unknown, n: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
    throw new Error(`PLIC: bad ${what} in state record`);
  }
  return v as number[];
}
