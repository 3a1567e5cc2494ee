/**
 * WebAssembly code for the RV64M operations that wasm does not express as one
 * instruction, shared by the region compiler and the wasm interpreter so that
 * their semantics are defined once: MULHU from 32-bit limbs, and the divisions
 * with RISC-V's results where wasm would trap (division by zero, MIN / -1).
 */
import { Op, OP_COUNT } from '../decoded.js';
import { type Code, Op as W, ValType } from './wasm-writer.js';

const I32 = ValType.I32, I64 = ValType.I64;

/**
 * Leaves the high 64 bits of the unsigned 64x64 product of locals a and b on
 * the stack, from 32-bit limbs (p1, p2, mid: i64 scratch locals). Inline, not
 * a helper function, in regions: V8 (Node 20) does not inline wasm calls, and
 * compilers emit MULHU for every division by a constant.
 */
export function emitMulhu(c: Code, a: number, b: number, p1: number, p2: number, mid: number): void {
  const lo = (x: number): void => { c.get(x).i64(-1, 0).op(W.i64_and); };
  const hi = (x: number): void => { c.get(x).i64(32).op(W.i64_shr_u); };
  lo(a); hi(b); c.op(W.i64_mul).set(p1); // aL * bH
  hi(a); lo(b); c.op(W.i64_mul).set(p2); // aH * bL
  // mid = (aL * bL >>> 32) + (p1 & M) + (p2 & M)
  lo(a); lo(b); c.op(W.i64_mul).i64(32).op(W.i64_shr_u);
  lo(p1); c.op(W.i64_add); lo(p2); c.op(W.i64_add).set(mid);
  // aH * bH + (p1 >>> 32) + (p2 >>> 32) + (mid >>> 32)
  hi(a); hi(b); c.op(W.i64_mul);
  hi(p1); c.op(W.i64_add);
  hi(p2); c.op(W.i64_add);
  hi(mid); c.op(W.i64_add);
}

/** DIV, DIVU, REM or REMU of i64 locals a and b, result (i64) on the stack. */
export function emitDiv64(c: Code, op: number, a: number, b: number): void {
  c.get(b).op(W.i64_eqz).if(I64);
  if (op === Op.DIV || op === Op.DIVU) c.i64(-1); else c.get(a);
  c.else();
  if (op === Op.DIV) {
    // MIN / -1 overflows (wasm traps): the result is MIN
    c.get(a).i64(0, 0x80000000 | 0).op(W.i64_eq).get(b).i64(-1).op(W.i64_eq).op(W.i32_and).if(I64).get(a).else().get(a).get(b).op(W.i64_div_s).end();
  } else if (op === Op.DIVU) c.get(a).get(b).op(W.i64_div_u);
  else if (op === Op.REM) c.get(a).get(b).op(W.i64_rem_s); // rem_s(MIN, -1) is 0 in wasm, as in RISC-V
  else c.get(a).get(b).op(W.i64_rem_u);
  c.end();
}

/** DIVW, DIVUW, REMW or REMUW of i32 locals a and b, result sign-extended to i64 on the stack. */
export function emitDiv32(c: Code, op: number, a: number, b: number): void {
  c.get(b).op(W.i32_eqz).if(I32);
  if (op === Op.DIVW || op === Op.DIVUW) c.i32(-1); else c.get(a);
  c.else();
  if (op === Op.DIVW) {
    c.get(a).i32(0x80000000 | 0).op(W.i32_eq).get(b).i32(-1).op(W.i32_eq).op(W.i32_and).if(I32).get(a).else().get(a).get(b).op(W.i32_div_s).end();
  } else if (op === Op.DIVUW) c.get(a).get(b).op(W.i32_div_u);
  else if (op === Op.REMW) c.get(a).get(b).op(W.i32_rem_s);
  else c.get(a).get(b).op(W.i32_rem_u);
  c.end();
  c.op(W.i64_extend_i32_s);
}

/** How an integer operation that is one wasm instruction takes its operands (aluForm). */
export const enum AluForm {
  /** Not one wasm instruction. */
  NONE = 0,
  /** i64 op of x[rs1] and x[rs2]. */
  REG = 1,
  /** i64 op of x[rs1] and the immediate. */
  IMM = 2,
  /** i64 compare of x[rs1] and x[rs2], 0 or 1. */
  CMP_REG = 3,
  /** i64 compare of x[rs1] and the immediate, 0 or 1. */
  CMP_IMM = 4,
  /** i32 op of the low words of x[rs1] and x[rs2], sign-extended. */
  W_REG = 5,
  /** i32 op of the low word of x[rs1] and the immediate, sign-extended. */
  W_IMM = 6,
}

/** form << 16 | wasm opcode, per op: the one table both wasm emitters map the ALU ops from. */
const ALU = new Int32Array(OP_COUNT);
const alu = (form: AluForm, o: W, ...ops: Op[]): void => { for (const op of ops) ALU[op] = (form << 16) | o; };
alu(AluForm.IMM, W.i64_add, Op.ADDI); alu(AluForm.IMM, W.i64_xor, Op.XORI); alu(AluForm.IMM, W.i64_or, Op.ORI);
alu(AluForm.IMM, W.i64_and, Op.ANDI); alu(AluForm.IMM, W.i64_shl, Op.SLLI); alu(AluForm.IMM, W.i64_shr_u, Op.SRLI);
alu(AluForm.IMM, W.i64_shr_s, Op.SRAI);
alu(AluForm.CMP_IMM, W.i64_lt_s, Op.SLTI); alu(AluForm.CMP_IMM, W.i64_lt_u, Op.SLTIU);
// shifts: wasm takes the amount mod 64 (mod 32 for i32), as RISC-V
alu(AluForm.REG, W.i64_add, Op.ADD); alu(AluForm.REG, W.i64_sub, Op.SUB); alu(AluForm.REG, W.i64_shl, Op.SLL);
alu(AluForm.REG, W.i64_xor, Op.XOR); alu(AluForm.REG, W.i64_shr_u, Op.SRL); alu(AluForm.REG, W.i64_shr_s, Op.SRA);
alu(AluForm.REG, W.i64_or, Op.OR); alu(AluForm.REG, W.i64_and, Op.AND); alu(AluForm.REG, W.i64_mul, Op.MUL);
alu(AluForm.CMP_REG, W.i64_lt_s, Op.SLT); alu(AluForm.CMP_REG, W.i64_lt_u, Op.SLTU);
alu(AluForm.W_IMM, W.i32_add, Op.ADDIW); alu(AluForm.W_IMM, W.i32_shl, Op.SLLIW); alu(AluForm.W_IMM, W.i32_shr_u, Op.SRLIW);
alu(AluForm.W_IMM, W.i32_shr_s, Op.SRAIW);
alu(AluForm.W_REG, W.i32_add, Op.ADDW); alu(AluForm.W_REG, W.i32_sub, Op.SUBW); alu(AluForm.W_REG, W.i32_shl, Op.SLLW);
alu(AluForm.W_REG, W.i32_shr_u, Op.SRLW); alu(AluForm.W_REG, W.i32_shr_s, Op.SRAW); alu(AluForm.W_REG, W.i32_mul, Op.MULW);

/** The operand form of `op` when it is one wasm instruction (NONE otherwise). */
export const aluForm = (op: number): AluForm => (ALU[op] >>> 16) as AluForm;
/** The wasm opcode of `op` (when aluForm(op) is not NONE). */
export const aluOpcode = (op: number): W => (ALU[op] & 0xffff) as W;

/**
 * MULH or MULHSU from MULHU (locals a, b; the MULHU result on the stack):
 * mulh(a, b) = mulhu(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0); mulhsu drops the last term.
 */
export function emitMulhFixup(c: Code, op: number, a: number, b: number): void {
  c.get(b).get(a).i64(63).op(W.i64_shr_s).op(W.i64_and).op(W.i64_sub);
  if (op === Op.MULH) c.get(a).get(b).i64(63).op(W.i64_shr_s).op(W.i64_and).op(W.i64_sub);
}
