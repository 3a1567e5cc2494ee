// Images handed to the board as sources that read themselves into RAM land exactly where and as
// the same images given as bytes do, and leave the same machine.
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../../src/machine/board/virt-machine.js';
import type { ImageSource } from '../../src/machine/board/image-source.js';
import { SeededInputSource } from '../../src/machine/input.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => ((i + seed) * 2654435761) >>> 24);
const source = (data: Uint8Array, reads: number[]): ImageSource => ({
  length: data.length,
  readInto(dst) { reads.push(dst.length); dst.set(data); },
});

describe('board image sources', () => {
  it('place firmware, kernel and initrd like bytes do', () => {
    const bios = bytes(70_000, 1), kernel = bytes(300_001, 2), initrd = bytes(123_457, 3);
    const common = { memoryBytes: 64 << 20, bootargs: 'console=ttyS0', input: new SeededInputSource(), console: () => {} };
    const a = new VirtMachine({ ...common, bios, kernel, initrd });
    const reads: number[] = [];
    const b = new VirtMachine({ ...common, bios: source(bios, reads), kernel: source(kernel, reads), initrd: source(initrd, reads) });
    expect(reads).toEqual([bios.length, kernel.length, initrd.length]);
    expect(Buffer.compare(a.ram.u8, b.ram.u8)).toBe(0);
    expect(b.dtb).toEqual(a.dtb);
    expect(b.saveState()).toEqual(a.saveState());
    expect(Object.keys(b.constructionMs)).toEqual(['warm-up', 'RAM', 'hart', 'devices', 'firmware', 'kernel', 'initrd', 'device tree', 'reset']);
  });

  it('refuses an image that does not fit before reading it', () => {
    const reads: number[] = [];
    expect(() => new VirtMachine({ memoryBytes: 16 << 20, bios: null, kernel: source(new Uint8Array(17 << 20), reads), input: new SeededInputSource(), console: () => {} })).toThrow(/does not fit in RAM/);
    expect(reads).toEqual([]);
  });
});
