import { PAGE_SIZE } from '../../src/machine/memory.js';
import { mulberry32 } from '../support/prng.js';

/** Small deterministic PRNG (mulberry32). */
export const rng = mulberry32;

const WORDS = ['the', 'kernel', 'page', 'memory', 'init', 'proc', 'sys', 'busybox', 'error', 'device', 'virtio', 'return', 'null', 'struct', 'file'];

/**
 * Fills one page with memory-like content of a kind chosen by `r`:
 * zero, sparse (a few words), code-like (instruction-ish words from a
 * small vocabulary), text, pointer tables, random (compressed data).
 */
export function fillPage(ram: Uint8Array, page: number, r: () => number, kind = r()): void {
  const off = page * PAGE_SIZE;
  const dv = new DataView(ram.buffer, ram.byteOffset + off, PAGE_SIZE);
  ram.fill(0, off, off + PAGE_SIZE);
  if (kind < 0.35) return;
  if (kind < 0.5) {
    const n = 1 + Math.floor(r() * 20);
    for (let i = 0; i < n; i++) dv.setUint32(Math.floor(r() * 1024) * 4, (r() * 0xffffffff) >>> 0, true);
  } else if (kind < 0.7) {
    const vocab = Array.from({ length: 64 }, () => (r() * 0xffffffff) >>> 0);
    for (let i = 0; i < 1024; i++) dv.setUint32(i * 4, r() < 0.6 ? vocab[Math.floor(r() * 64)] : (r() * 0xffffffff) >>> 0, true);
  } else if (kind < 0.82) {
    let p = 0;
    while (p < PAGE_SIZE) {
      const w = WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.1 ? '\n' : ' ');
      for (let i = 0; i < w.length && p < PAGE_SIZE; i++) ram[off + p++] = w.charCodeAt(i);
    }
  } else if (kind < 0.92) {
    const base = 0xffffffd8 + Math.floor(r() * 8);
    for (let i = 0; i < 512; i++) {
      dv.setUint32(i * 8, 0x80000000 + Math.floor(r() * 0x1000000) * 8, true);
      dv.setUint32(i * 8 + 4, r() < 0.7 ? base : 0, true);
    }
  } else {
    for (let i = 0; i < 1024; i++) dv.setUint32(i * 4, (r() * 0xffffffff) >>> 0, true);
  }
}

/** A RAM image of `pages` pages, about 5% of them copies of earlier pages. */
export function makeRam(pages: number, seed: number): Uint8Array {
  const r = rng(seed);
  const ram = new Uint8Array(pages * PAGE_SIZE);
  for (let p = 0; p < pages; p++) {
    if (p > 0 && r() < 0.05) {
      const src = Math.floor(r() * p);
      ram.copyWithin(p * PAGE_SIZE, src * PAGE_SIZE, (src + 1) * PAGE_SIZE);
    } else {
      fillPage(ram, p, r);
    }
  }
  return ram;
}

/** Guest-like writes: small edits to `count` random pages; marks them in `dirty`. */
export function mutate(ram: Uint8Array, dirty: Uint8Array, count: number, r: () => number): void {
  const pages = ram.length / PAGE_SIZE;
  for (let i = 0; i < count; i++) {
    const p = Math.floor(r() * pages);
    dirty[p] = 1;
    const x = r();
    if (x < 0.6) {
      const n = 1 + Math.floor(r() * 16);
      for (let k = 0; k < n; k++) ram[p * PAGE_SIZE + Math.floor(r() * PAGE_SIZE)] = (r() * 256) | 0;
    } else if (x < 0.7) {
      ram.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
    } else {
      fillPage(ram, p, r);
    }
  }
}
