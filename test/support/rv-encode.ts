/** RV64 instruction encoders for hand-assembled test programs (32-bit words). */

/** The base formats (immediates are byte offsets for B). */
export const rtype = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
export const itype = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
export const stype = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
export const btype = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;

export const lui = (rd: number, imm20: number): number => ((imm20 << 12) | (rd << 7) | 0x37) >>> 0;
export const auipc = (rd: number, imm20: number): number => ((imm20 << 12) | (rd << 7) | 0x17) >>> 0;
export const addi = (rd: number, rs1: number, imm: number): number => itype(imm, rs1, 0, rd, 0x13);
export const ld = (rd: number, rs1: number, imm: number): number => itype(imm, rs1, 3, rd, 0x03);
const store = (f3: number) => (rs2: number, rs1: number, imm: number): number => stype(imm, rs2, rs1, f3);
export const sw = store(2);
export const sd = store(3);
export const bne = (rs1: number, rs2: number, off: number): number => btype(off, rs2, rs1, 1);
export const jal = (rd: number, imm: number): number =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
export const csrrs = (rd: number, csr: number, rs1: number): number => ((csr << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x73) >>> 0;
export const csrrw = (rd: number, csr: number, rs1: number): number => ((csr << 20) | (rs1 << 15) | (1 << 12) | (rd << 7) | 0x73) >>> 0;
export const sfenceVma = (rs1: number, rs2: number): number => ((0x09 << 25) | (rs2 << 20) | (rs1 << 15) | 0x73) >>> 0;
