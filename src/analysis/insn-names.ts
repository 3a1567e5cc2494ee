/**
 * Names a 32-bit RV64IMAFD/Zicsr/Zifencei encoding (compressed instructions
 * arrive expanded) and puts it in a class, for instruction-mix statistics.
 * Unknown encodings are "illegal" (they trap; the hart decides).
 */
export type InsnClass = 'alu' | 'mul' | 'div' | 'load' | 'store' | 'branch' | 'jump' | 'amo' | 'fp-load' | 'fp-store' | 'fp' | 'csr' | 'system' | 'fence' | 'illegal';

const OP = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and'];
const OPIMM = ['addi', 'slli', 'slti', 'sltiu', 'xori', 'srli', 'ori', 'andi'];
const MULDIV = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'];
const BRANCH = ['beq', 'bne', '', '', 'blt', 'bge', 'bltu', 'bgeu'];
const LOADS = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu', ''];
const STORES = ['sb', 'sh', 'sw', 'sd'];
const CSRS = ['', 'csrrw', 'csrrs', 'csrrc', '', 'csrrwi', 'csrrsi', 'csrrci'];
const AMO: Record<number, string> = { 0: 'amoadd', 1: 'amoswap', 2: 'lr', 3: 'sc', 4: 'amoxor', 8: 'amoor', 12: 'amoand', 16: 'amomin', 20: 'amomax', 24: 'amominu', 28: 'amomaxu' };
const FMT = ['s', 'd', 'h', 'q'];

function fpName(insn: number): string {
  const f7 = insn >>> 25;
  const fmt = FMT[f7 & 3];
  const f3 = (insn >> 12) & 7;
  const rs2 = (insn >> 20) & 31;
  switch (f7 >>> 2) {
    case 0x00: return `fadd.${fmt}`;
    case 0x01: return `fsub.${fmt}`;
    case 0x02: return `fmul.${fmt}`;
    case 0x03: return `fdiv.${fmt}`;
    case 0x0b: return `fsqrt.${fmt}`;
    case 0x04: return `${['fsgnj', 'fsgnjn', 'fsgnjx'][f3] ?? 'fsgnj?'}.${fmt}`;
    case 0x05: return `${f3 === 0 ? 'fmin' : 'fmax'}.${fmt}`;
    case 0x08: return `fcvt.${fmt}.${FMT[rs2 & 3]}`;
    case 0x14: return `${['fle', 'flt', 'feq'][f3] ?? 'fcmp?'}.${fmt}`;
    case 0x18: return `fcvt.${['w', 'wu', 'l', 'lu'][rs2 & 3]}.${fmt}`;
    case 0x1a: return `fcvt.${fmt}.${['w', 'wu', 'l', 'lu'][rs2 & 3]}`;
    case 0x1c: return f3 === 0 ? `fmv.x.${fmt === 's' ? 'w' : fmt}` : `fclass.${fmt}`;
    case 0x1e: return `fmv.${fmt === 's' ? 'w' : fmt}.x`;
    default: return 'illegal';
  }
}

/** The mnemonic of a 32-bit encoding ("illegal" when it is not one this hart implements). */
export function insnName(insn: number): string {
  const f3 = (insn >> 12) & 7;
  const f7 = insn >>> 25;
  switch (insn & 0x7f) {
    case 0x37: return 'lui';
    case 0x17: return 'auipc';
    case 0x6f: return 'jal';
    case 0x67: return 'jalr';
    case 0x63: return BRANCH[f3] || 'illegal';
    case 0x03: return LOADS[f3] || 'illegal';
    case 0x23: return STORES[f3] ?? 'illegal';
    case 0x13: return f3 === 5 && (insn >>> 26) === 0x10 ? 'srai' : OPIMM[f3];
    case 0x1b: return f3 === 0 ? 'addiw' : f3 === 1 ? 'slliw' : f3 === 5 ? (f7 === 0x20 ? 'sraiw' : 'srliw') : 'illegal';
    case 0x33:
      if (f7 === 1) return MULDIV[f3];
      if (f7 === 0x20) return f3 === 0 ? 'sub' : f3 === 5 ? 'sra' : 'illegal';
      return f7 === 0 ? OP[f3] : 'illegal';
    case 0x3b:
      if (f7 === 1) return f3 === 0 ? 'mulw' : f3 >= 4 ? `${MULDIV[f3]}w` : 'illegal';
      if (f7 === 0x20) return f3 === 0 ? 'subw' : f3 === 5 ? 'sraw' : 'illegal';
      return f7 === 0 ? (f3 === 0 ? 'addw' : f3 === 1 ? 'sllw' : f3 === 5 ? 'srlw' : 'illegal') : 'illegal';
    case 0x0f: return f3 === 0 ? 'fence' : f3 === 1 ? 'fence.i' : 'illegal';
    case 0x73: {
      if (f3 !== 0) return CSRS[f3] || 'illegal';
      if (f7 === 0x09) return 'sfence.vma';
      switch (insn >>> 20) {
        case 0x000: return 'ecall';
        case 0x001: return 'ebreak';
        case 0x102: return 'sret';
        case 0x302: return 'mret';
        case 0x105: return 'wfi';
        default: return 'illegal';
      }
    }
    case 0x2f: {
      const n = AMO[insn >>> 27];
      return n && (f3 === 2 || f3 === 3) ? `${n}.${f3 === 2 ? 'w' : 'd'}` : 'illegal';
    }
    case 0x07: return f3 === 2 ? 'flw' : f3 === 3 ? 'fld' : 'illegal';
    case 0x27: return f3 === 2 ? 'fsw' : f3 === 3 ? 'fsd' : 'illegal';
    case 0x43: return `fmadd.${FMT[f7 & 3]}`;
    case 0x47: return `fmsub.${FMT[f7 & 3]}`;
    case 0x4b: return `fnmsub.${FMT[f7 & 3]}`;
    case 0x4f: return `fnmadd.${FMT[f7 & 3]}`;
    case 0x53: return fpName(insn);
    default: return 'illegal';
  }
}

/** The class of a mnemonic from insnName. */
export function insnClass(name: string): InsnClass {
  if (name === 'illegal') return 'illegal';
  if (name.startsWith('mul')) return 'mul';
  if (name.startsWith('div') || name.startsWith('rem')) return 'div';
  if (name === 'jal' || name === 'jalr') return 'jump';
  if (name[0] === 'b') return 'branch';
  if (name === 'flw' || name === 'fld') return 'fp-load';
  if (name === 'fsw' || name === 'fsd') return 'fp-store';
  if (name[0] === 'f') return name.startsWith('fence') ? 'fence' : 'fp';
  if (name.startsWith('amo') || name.startsWith('lr.') || name.startsWith('sc.')) return 'amo';
  if (name.startsWith('csr')) return 'csr';
  if (name === 'ecall' || name === 'ebreak' || name === 'sret' || name === 'mret' || name === 'wfi' || name === 'sfence.vma') return 'system';
  if (LOADS.includes(name)) return 'load';
  if (STORES.includes(name)) return 'store';
  return 'alu';
}
