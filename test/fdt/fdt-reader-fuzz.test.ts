import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildVirtDeviceTree } from '../../src/machine/fdt/virt-device-tree.js';
import { FdtError, parseFdt } from '../../src/machine/fdt/fdt-reader.js';

/** Parsing either succeeds or fails with an FdtError: never any other exception. */
function parsesOrFdtError(bytes: Uint8Array): void {
  try {
    parseFdt(bytes);
  } catch (e) {
    if (!(e instanceof FdtError)) throw new Error(`unexpected ${String(e)}`);
    expect(e.message).toMatch(/^FDT: /);
    // The reader's safety net for unforeseen exceptions must never be what caught it.
    expect(e.message).not.toMatch(/malformed device tree \(/);
  }
}

const valid = buildVirtDeviceTree({ memoryBytes: 256 << 20, bootargs: 'console=ttyS0', initrd: { start: 0x88200000, end: 0x88300000 } });

describe('FDT reader on hostile input', () => {
  it('parses the valid tree', () => {
    expect(() => parseFdt(valid)).not.toThrow();
  });

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), parsesOrFdtError), { numRuns: 2000 });
  });

  it('random bytes behind a valid magic and plausible header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 40, maxLength: 512 }), fc.integer({ min: 0, max: 20 }), (b, v) => {
        const dv = new DataView(b.buffer);
        dv.setUint32(0, 0xd00dfeed);
        dv.setUint32(4, b.length);
        dv.setUint32(20, 16 + (v % 3));
        dv.setUint32(24, 16);
        parsesOrFdtError(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid trees (byte flips, truncation, header fields)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat(valid.length)),
        fc.option(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.nat(0xffffffff))),
        (flips, cut, header) => {
          const b = valid.slice(0, cut ?? valid.length);
          for (const [i, v] of flips) if (i < b.length) b[i] = v;
          if (header !== null && b.length >= 40) new DataView(b.buffer).setUint32(header[0] * 4, header[1]);
          parsesOrFdtError(b);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutated struct tokens', () => {
    const dv = new DataView(valid.buffer, valid.byteOffset);
    const structOff = dv.getUint32(8);
    const structSize = dv.getUint32(36);
    fc.assert(
      fc.property(fc.nat(structSize / 4 - 1), fc.constantFrom(1, 2, 3, 4, 9, 0, 0xffffffff, 0x7fffffff), (word, v) => {
        const b = valid.slice();
        new DataView(b.buffer).setUint32(structOff + word * 4, v);
        parsesOrFdtError(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives clear messages for common faults', () => {
    expect(() => parseFdt(new Uint8Array(10))).toThrow(/too short/);
    expect(() => parseFdt(new Uint8Array(64))).toThrow(/magic/);
    const t = valid.slice(0, valid.length - 10);
    expect(() => parseFdt(t)).toThrow(/total size/);
    const deep = valid.slice();
    new DataView(deep.buffer).setUint32(20, 15);
    expect(() => parseFdt(deep)).toThrow(/too old/);
  });
});
