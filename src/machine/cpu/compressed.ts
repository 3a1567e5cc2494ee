/**
 * RVC: every 16-bit instruction expands to one 32-bit instruction. The whole
 * table (64 Ki entries) is built once so the interpreter decodes only 32-bit
 * forms; 0 marks an illegal encoding (0 is itself illegal as a 32-bit word).
 */

const rtype = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) | 0;
const itype = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) | 0;
const stype = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) | 0;
const btype = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) | 0;
const jal = (imm: number, rd: number): number =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) | 0;

const bit = (x: number, i: number): number => (x >> i) & 1;
const sext = (x: number, bits: number): number => (x << (32 - bits)) >> (32 - bits);

export function expandCompressed(h: number): number {
  const op = h & 3;
  const f3 = (h >> 13) & 7;
  const rdp = ((h >> 2) & 7) + 8; // rd'/rs2'
  const rs1p = ((h >> 7) & 7) + 8;
  const rd = (h >> 7) & 31;
  const rs2 = (h >> 2) & 31;
  if (op === 0) {
    switch (f3) {
      case 0: { // c.addi4spn
        const imm = (bit(h, 5) << 3) | (bit(h, 6) << 2) | (((h >> 7) & 0xf) << 6) | (((h >> 11) & 3) << 4);
        if (imm === 0) return 0;
        return itype(imm, 2, 0, rdp, 0x13);
      }
      case 1: { // c.fld
        const imm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return itype(imm, rs1p, 3, rdp, 0x07);
      }
      case 2: { // c.lw
        const imm = (((h >> 10) & 7) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6);
        return itype(imm, rs1p, 2, rdp, 0x03);
      }
      case 3: { // c.ld
        const imm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return itype(imm, rs1p, 3, rdp, 0x03);
      }
      case 5: { // c.fsd
        const imm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return stype(imm, rdp, rs1p, 3, 0x27);
      }
      case 6: { // c.sw
        const imm = (((h >> 10) & 7) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6);
        return stype(imm, rdp, rs1p, 2, 0x23);
      }
      case 7: { // c.sd
        const imm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return stype(imm, rdp, rs1p, 3, 0x23);
      }
      default:
        return 0;
    }
  }
  if (op === 1) {
    const imm6 = sext((bit(h, 12) << 5) | ((h >> 2) & 31), 6);
    switch (f3) {
      case 0: // c.addi (c.nop when rd=0)
        return itype(imm6, rd, 0, rd, 0x13);
      case 1: // c.addiw
        if (rd === 0) return 0;
        return itype(imm6, rd, 0, rd, 0x1b);
      case 2: // c.li
        return itype(imm6, 0, 0, rd, 0x13);
      case 3: {
        if (rd === 2) { // c.addi16sp
          const imm = sext((bit(h, 12) << 9) | (bit(h, 6) << 4) | (bit(h, 5) << 6) | (((h >> 3) & 3) << 7) | (bit(h, 2) << 5), 10);
          if (imm === 0) return 0;
          return itype(imm, 2, 0, 2, 0x13);
        }
        if (imm6 === 0) return 0; // reserved
        return ((imm6 << 12) | (rd << 7) | 0x37) | 0; // c.lui
      }
      case 4: {
        const f2 = (h >> 10) & 3;
        const sh = (bit(h, 12) << 5) | ((h >> 2) & 31);
        if (f2 === 0) return itype(sh, rs1p, 5, rs1p, 0x13); // c.srli
        if (f2 === 1) return itype(sh | 0x400, rs1p, 5, rs1p, 0x13); // c.srai
        if (f2 === 2) return itype(imm6, rs1p, 7, rs1p, 0x13); // c.andi
        const f = (bit(h, 12) << 2) | ((h >> 5) & 3);
        switch (f) {
          case 0: return rtype(0x20, rdp, rs1p, 0, rs1p, 0x33); // c.sub
          case 1: return rtype(0, rdp, rs1p, 4, rs1p, 0x33); // c.xor
          case 2: return rtype(0, rdp, rs1p, 6, rs1p, 0x33); // c.or
          case 3: return rtype(0, rdp, rs1p, 7, rs1p, 0x33); // c.and
          case 4: return rtype(0x20, rdp, rs1p, 0, rs1p, 0x3b); // c.subw
          case 5: return rtype(0, rdp, rs1p, 0, rs1p, 0x3b); // c.addw
          default: return 0;
        }
      }
      case 5: { // c.j
        const imm = sext((bit(h, 12) << 11) | (bit(h, 11) << 4) | (((h >> 9) & 3) << 8) | (bit(h, 8) << 10) |
          (bit(h, 7) << 6) | (bit(h, 6) << 7) | (((h >> 3) & 7) << 1) | (bit(h, 2) << 5), 12);
        return jal(imm, 0);
      }
      case 6:
      case 7: { // c.beqz / c.bnez
        const imm = sext((bit(h, 12) << 8) | (((h >> 10) & 3) << 3) | (((h >> 5) & 3) << 6) | (((h >> 3) & 3) << 1) | (bit(h, 2) << 5), 9);
        return btype(imm, 0, rs1p, f3 === 6 ? 0 : 1);
      }
    }
  }
  if (op === 2) {
    switch (f3) {
      case 0: { // c.slli
        const sh = (bit(h, 12) << 5) | ((h >> 2) & 31);
        return itype(sh, rd, 1, rd, 0x13);
      }
      case 1: { // c.fldsp
        const imm = (bit(h, 12) << 5) | (((h >> 5) & 3) << 3) | (((h >> 2) & 7) << 6);
        return itype(imm, 2, 3, rd, 0x07);
      }
      case 2: { // c.lwsp
        if (rd === 0) return 0;
        const imm = (bit(h, 12) << 5) | (((h >> 4) & 7) << 2) | (((h >> 2) & 3) << 6);
        return itype(imm, 2, 2, rd, 0x03);
      }
      case 3: { // c.ldsp
        if (rd === 0) return 0;
        const imm = (bit(h, 12) << 5) | (((h >> 5) & 3) << 3) | (((h >> 2) & 7) << 6);
        return itype(imm, 2, 3, rd, 0x03);
      }
      case 4: {
        if (bit(h, 12) === 0) {
          if (rs2 === 0) { // c.jr
            if (rd === 0) return 0;
            return itype(0, rd, 0, 0, 0x67);
          }
          return rtype(0, rs2, 0, 0, rd, 0x33); // c.mv
        }
        if (rs2 === 0) {
          if (rd === 0) return 0x00100073; // c.ebreak
          return itype(0, rd, 0, 1, 0x67); // c.jalr
        }
        return rtype(0, rs2, rd, 0, rd, 0x33); // c.add
      }
      case 5: { // c.fsdsp
        const imm = (((h >> 10) & 7) << 3) | (((h >> 7) & 7) << 6);
        return stype(imm, rs2, 2, 3, 0x27);
      }
      case 6: { // c.swsp
        const imm = (((h >> 9) & 15) << 2) | (((h >> 7) & 3) << 6);
        return stype(imm, rs2, 2, 2, 0x23);
      }
      case 7: { // c.sdsp
        const imm = (((h >> 10) & 7) << 3) | (((h >> 7) & 7) << 6);
        return stype(imm, rs2, 2, 3, 0x23);
      }
    }
  }
  return 0;
}

let table: Int32Array | null = null;

/** The expansion of every 16-bit pattern (entries whose low bits are 11 are unused). */
export function compressedTable(): Int32Array {
  if (table === null) {
    table = new Int32Array(65536);
    for (let h = 0; h < 65536; h++) if ((h & 3) !== 3) table[h] = expandCompressed(h);
  }
  return table;
}
