// The one decoder: fields and immediates of the base formats, RVC decoding equal to decoding
// its expansion, reserved encodings to ILLEGAL (with the original bits for mtval).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressedTable } from '../../src/machine/cpu/compressed.js';
import { Op, SLOT_WORDS, lenOf, opOf, rdOf, rs1Of, rs2Of } from '../../src/machine/cpu/decoded.js';
import { decode32, decodeInto } from '../../src/machine/cpu/decoder.js';

function dec(parcel: number, word = parcel): Int32Array {
  const w = new Int32Array(SLOT_WORDS);
  decodeInto(w, 0, parcel & 0xffff, word);
  return w;
}
const fields = (w: Int32Array): unknown => ({ op: opOf(w[0]), rd: rdOf(w[0]), rs1: rs1Of(w[0]), rs2: rs2Of(w[0]), len: lenOf(w[0]), imm: w[1] });

describe('decoder', () => {
  it('decodes the base formats', () => {
    expect(fields(dec(0xfff10093 & 0xffff, 0xfff10093 | 0))).toEqual({ op: Op.ADDI, rd: 1, rs1: 2, rs2: 31, len: 4, imm: -1 }); // addi x1, x2, -1
    expect(fields(dec(0x00a5b023 & 0xffff, 0x00a5b023))).toMatchObject({ op: Op.SD, rs1: 11, rs2: 10, imm: 0 }); // sd a0, 0(a1)
    expect(fields(dec(0xfe0a1ee3 & 0xffff, 0xfe0a1ee3 | 0))).toMatchObject({ op: Op.BNE, rs1: 20, rs2: 0, imm: -4 }); // bne s4, x0, -4
    expect(fields(dec(0x0000006f))).toMatchObject({ op: Op.JAL, rd: 0, imm: 0 });
    expect(fields(dec(0x12345537 & 0xffff, 0x12345537))).toMatchObject({ op: Op.LUI, rd: 10, imm: 0x12345000 });
    expect(fields(dec(0x40b55513 & 0xffff, 0x40b55513))).toMatchObject({ op: Op.SRAI, rd: 10, rs1: 10, imm: 11 }); // srai a0, a0, 11
    expect(opOf(dec(0x00000013).at(0)!)).toBe(Op.NOP); // addi x0, x0, 0
  });

  it('marks reserved encodings illegal, with the bits mtval reports', () => {
    const w = dec(0x0000);
    expect([opOf(w[0]), lenOf(w[0]), w[2]]).toEqual([Op.ILLEGAL, 2, 0]);
    const v = dec(0xffff, 0xffffffff | 0);
    expect([opOf(v[0]), lenOf(v[0]), v[2]]).toEqual([Op.ILLEGAL, 4, -1]);
    expect(opOf(dec(0x7093, 0x02007093)[0])).toBe(Op.ANDI); // andi x1, x0, 32
    expect(opOf(dec(0x1093, 0x04001093)[0])).toBe(Op.ILLEGAL); // slli with a reserved bit 26
  });

  it('decodes every RVC parcel like its 32-bit expansion, with length 2', () => {
    const ct = compressedTable();
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }).filter((p) => (p & 3) !== 3 && ct[p] !== 0), (p) => {
      const w = dec(p);
      const e = new Int32Array(SLOT_WORDS);
      decode32(e, 0, ct[p], 2);
      expect(Array.from(w)).toEqual(Array.from(e));
      expect(lenOf(w[0])).toBe(2);
    }), { numRuns: 2000 });
  });
});
