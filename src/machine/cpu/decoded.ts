/**
 * The decoded instruction representation every engine executes or translates
 * from (the interpreter, the JavaScript block tier, the WebAssembly tier).
 *
 * An instruction is decoded once (RVC expanded first) into four int32 words:
 *
 *   word 0  op | rd << 8 | rs1 << 16 | rs2 << 24, with the length (2 or 4)
 *           in bits 29..31 -- read with the accessors below
 *   word 1  immediate, sign-extended and already assembled (I, S, B, J, U
 *           forms; the shift amount for shifts; the CSR number for CSR ops)
 *   word 2  the 32-bit instruction (RVC expanded); for ILLEGAL the value
 *           mtval reports (the original parcel for a compressed encoding).
 *           Rare operations (FP, AMO, SYSTEM) are executed from this word.
 *   word 3  reserved (0)
 *
 * Slots are per 2-byte parcel of a physical page (see code-cache.ts), so a
 * decoded page is DECODED_PAGE_WORDS int32s. Op 0 (UNDECODED) means the slot
 * has not been decoded yet; a 32-bit instruction that crosses into the next
 * page is never cached (its slot stays UNDECODED).
 *
 * Validity is decided here: an encoding that is reserved (bad funct bits,
 * illegal shift amounts, ...) decodes to ILLEGAL, so engines need not check.
 * ALU operations whose rd is x0 decode to NOP (they have no other effect).
 */

/** Operation ids (stable: additive changes only; generated code and the WebAssembly tier switch on them). */
export const enum Op {
  UNDECODED = 0,
  ILLEGAL = 1,
  NOP = 2,
  LUI = 3, AUIPC = 4,
  JAL = 5, JALR = 6,
  BEQ = 7, BNE = 8, BLT = 9, BGE = 10, BLTU = 11, BGEU = 12,
  LB = 13, LH = 14, LW = 15, LD = 16, LBU = 17, LHU = 18, LWU = 19,
  SB = 20, SH = 21, SW = 22, SD = 23,
  ADDI = 24, SLTI = 25, SLTIU = 26, XORI = 27, ORI = 28, ANDI = 29, SLLI = 30, SRLI = 31, SRAI = 32,
  ADD = 33, SUB = 34, SLL = 35, SLT = 36, SLTU = 37, XOR = 38, SRL = 39, SRA = 40, OR = 41, AND = 42,
  ADDIW = 43, SLLIW = 44, SRLIW = 45, SRAIW = 46,
  ADDW = 47, SUBW = 48, SLLW = 49, SRLW = 50, SRAW = 51,
  MUL = 52, MULH = 53, MULHSU = 54, MULHU = 55, DIV = 56, DIVU = 57, REM = 58, REMU = 59,
  MULW = 60, DIVW = 61, DIVUW = 62, REMW = 63, REMUW = 64,
  FENCE = 65, FENCE_I = 66,
  /** Executed by the hart's rare path from word 2 (they may trap, touch CSRs or change privilege). */
  LOAD_FP = 67, STORE_FP = 68, FP = 69, AMO = 70, SYSTEM = 71, CSR = 72,
}

/** Number of operation ids (tables indexed by op have this length). */
export const OP_COUNT = 73;

/** Int32 words per decoded instruction slot. */
export const SLOT_WORDS = 4;
/** log2(SLOT_WORDS): slot word index = (page offset >> 1) << SLOT_SHIFT. */
export const SLOT_SHIFT = 2;
/** Parcel slots in a 4 KiB page. */
export const PAGE_SLOTS = 2048;
/** Int32 words of one decoded page. */
export const DECODED_PAGE_WORDS = PAGE_SLOTS * SLOT_WORDS;

/** Word index of the slot for page offset `pageOff` (0..4094, even). */
export const slotIndex = (pageOff: number): number => (pageOff >>> 1) << SLOT_SHIFT;

/** Field accessors on word 0. */
export const opOf = (w0: number): number => w0 & 0xff;
export const rdOf = (w0: number): number => (w0 >>> 8) & 31;
export const rs1Of = (w0: number): number => (w0 >>> 16) & 31;
export const rs2Of = (w0: number): number => (w0 >>> 24) & 31;
export const lenOf = (w0: number): number => w0 >>> 29;

/** Packs word 0. */
export const packWord0 = (op: number, rd: number, rs1: number, rs2: number, len: number): number =>
  (op | (rd << 8) | (rs1 << 16) | (rs2 << 24) | (len << 29)) | 0;

/** True for operations that end a basic block (control transfers and everything the rare path executes). */
export function endsBlock(op: number): boolean {
  return op === Op.JAL || op === Op.JALR || (op >= Op.BEQ && op <= Op.BGEU) || op >= Op.FENCE_I || op <= Op.ILLEGAL;
}

/** Loads in funct3 order: LB LH LW LD LBU LHU LWU; `op - Op.LB` is the funct3. */
export const isLoad = (op: number): boolean => op >= Op.LB && op <= Op.LWU;
/** Stores SB SH SW SD; `1 << (op - Op.SB)` is the size in bytes. */
export const isStore = (op: number): boolean => op >= Op.SB && op <= Op.SD;
/** Branches in order BEQ BNE BLT BGE BLTU BGEU. */
export const isBranch = (op: number): boolean => op >= Op.BEQ && op <= Op.BGEU;

/** Names for disassembly, errors and docs (indexed by op). */
export const OP_NAMES: readonly string[] = [
  'undecoded', 'illegal', 'nop', 'lui', 'auipc', 'jal', 'jalr',
  'beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu',
  'lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu', 'sb', 'sh', 'sw', 'sd',
  'addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'slli', 'srli', 'srai',
  'add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and',
  'addiw', 'slliw', 'srliw', 'sraiw', 'addw', 'subw', 'sllw', 'srlw', 'sraw',
  'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw',
  'fence', 'fence.i', 'load-fp', 'store-fp', 'fp', 'amo', 'system', 'csr',
];
