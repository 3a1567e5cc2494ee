/**
 * The one RV64GC decoder: turns an instruction (a 32-bit word, or a 16-bit
 * parcel expanded through the RVC table) into the slot words described in
 * decoded.ts. Every engine reads its output; nothing else looks at
 * instruction bits to find an operation, its registers or its immediate.
 */
import { expandCompressed } from './compressed.js';
import { Op, packWord0 } from './decoded.js';

/** Branch ops by funct3 (0: reserved) and OP ops by funct3 (funct7 0). */
const BRANCH_OPS = [Op.BEQ, Op.BNE, 0, 0, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU];
const OP_OPS = [Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND];

/** Sign-extended immediates of the base formats. */
export const immI = (insn: number): number => insn >> 20;
export const immS = (insn: number): number => ((insn >> 25) << 5) | ((insn >> 7) & 31);
export const immB = (insn: number): number =>
  ((insn >> 31) << 12) | (((insn >> 25) & 0x3f) << 5) | (((insn >> 8) & 0xf) << 1) | (((insn >> 7) & 1) << 11);
export const immU = (insn: number): number => insn & 0xfffff000;
export const immJ = (insn: number): number =>
  ((insn >> 31) << 20) | (((insn >> 21) & 0x3ff) << 1) | (((insn >> 20) & 1) << 11) | (((insn >> 12) & 0xff) << 12);

/**
 * Decodes one instruction whose first parcel is `parcel` (16 bits) and, for
 * a 32-bit instruction, whose full word is `word` (ignored for RVC), into
 * w[b..b+3]. Returns the instruction length (2 or 4).
 */
export function decodeInto(w: Int32Array, b: number, parcel: number, word: number): number {
  let insn: number;
  let len: number;
  if ((parcel & 3) === 3) { insn = word | 0; len = 4; } else {
    // expanded on demand: each slot is decoded once, and a 64 Ki-entry table cost ~15 ms of startup
    insn = expandCompressed(parcel & 0xffff);
    len = 2;
    if (insn === 0) { set(w, b, Op.ILLEGAL, 0, 0, 0, 2, 0, parcel & 0xffff); return 2; }
  }
  decode32(w, b, insn, len);
  return len;
}

function set(w: Int32Array, b: number, op: number, rd: number, rs1: number, rs2: number, len: number, imm: number, raw: number): void {
  w[b] = packWord0(op, rd, rs1, rs2, len);
  w[b + 1] = imm | 0;
  w[b + 2] = raw | 0;
  w[b + 3] = 0;
}

/** Decodes an (expanded) 32-bit instruction of length `len` into w[b..b+3]. */
export function decode32(w: Int32Array, b: number, insn: number, len: number): void {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const f7 = insn >>> 25;
  const ill = (): void => set(w, b, Op.ILLEGAL, 0, 0, 0, len, 0, insn);
  // ALU results into x0 are dropped: NOP (their encodings were checked first)
  const alu = (op: number, imm: number): void => set(w, b, rd === 0 ? Op.NOP : op, rd, rs1, rs2, len, imm, insn);
  switch (insn & 0x7f) {
    case 0x37: return alu(Op.LUI, immU(insn));
    case 0x17: return alu(Op.AUIPC, immU(insn));
    case 0x6f: return set(w, b, Op.JAL, rd, 0, 0, len, immJ(insn), insn);
    case 0x67: return f3 !== 0 ? ill() : set(w, b, Op.JALR, rd, rs1, 0, len, immI(insn), insn);
    case 0x63: {
      const op = BRANCH_OPS[f3];
      return op === 0 ? ill() : set(w, b, op, 0, rs1, rs2, len, immB(insn), insn);
    }
    case 0x03: return f3 === 7 ? ill() : set(w, b, Op.LB + f3, rd, rs1, 0, len, immI(insn), insn);
    case 0x23: return f3 > 3 ? ill() : set(w, b, Op.SB + f3, 0, rs1, rs2, len, immS(insn), insn);
    case 0x13: {
      const imm = immI(insn);
      const f6 = insn >>> 26;
      switch (f3) {
        case 0: return alu(Op.ADDI, imm);
        case 1: return f6 !== 0 ? ill() : alu(Op.SLLI, imm & 63);
        case 2: return alu(Op.SLTI, imm);
        case 3: return alu(Op.SLTIU, imm);
        case 4: return alu(Op.XORI, imm);
        case 5: return f6 === 0 ? alu(Op.SRLI, imm & 63) : f6 === 0x10 ? alu(Op.SRAI, imm & 63) : ill();
        case 6: return alu(Op.ORI, imm);
        default: return alu(Op.ANDI, imm);
      }
    }
    case 0x33: {
      if (f7 === 0) return alu(OP_OPS[f3], 0);
      if (f7 === 0x20) return f3 === 0 ? alu(Op.SUB, 0) : f3 === 5 ? alu(Op.SRA, 0) : ill();
      if (f7 === 1) return alu(Op.MUL + f3, 0);
      return ill();
    }
    case 0x1b: {
      const sh = (insn >> 20) & 31;
      if (f3 === 0) return alu(Op.ADDIW, immI(insn));
      if (f3 === 1) return f7 !== 0 ? ill() : alu(Op.SLLIW, sh);
      if (f3 === 5) return f7 === 0 ? alu(Op.SRLIW, sh) : f7 === 0x20 ? alu(Op.SRAIW, sh) : ill();
      return ill();
    }
    case 0x3b: {
      if (f7 === 0) return f3 === 0 ? alu(Op.ADDW, 0) : f3 === 1 ? alu(Op.SLLW, 0) : f3 === 5 ? alu(Op.SRLW, 0) : ill();
      if (f7 === 0x20) return f3 === 0 ? alu(Op.SUBW, 0) : f3 === 5 ? alu(Op.SRAW, 0) : ill();
      if (f7 === 1) return f3 === 0 ? alu(Op.MULW, 0) : f3 >= 4 ? alu(Op.DIVW + f3 - 4, 0) : ill();
      return ill();
    }
    case 0x0f: return f3 === 0 ? set(w, b, Op.FENCE, 0, 0, 0, len, 0, insn) : f3 === 1 ? set(w, b, Op.FENCE_I, 0, 0, 0, len, 0, insn) : ill();
    case 0x07: return set(w, b, Op.LOAD_FP, rd, rs1, 0, len, immI(insn), insn);
    case 0x27: return set(w, b, Op.STORE_FP, 0, rs1, rs2, len, immS(insn), insn);
    case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: return set(w, b, Op.FP, rd, rs1, rs2, len, 0, insn);
    case 0x2f: return set(w, b, Op.AMO, rd, rs1, rs2, len, 0, insn);
    case 0x73: return f3 === 0 ? set(w, b, Op.SYSTEM, rd, rs1, rs2, len, 0, insn) : set(w, b, Op.CSR, rd, rs1, 0, len, insn >>> 20, insn);
    default: return ill();
  }
}
