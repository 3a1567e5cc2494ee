/**
 * The JavaScript block tier: turns a hot run of straight-line decoded
 * instructions (decoded.ts; ending at a branch or jump) into one JavaScript
 * function, so V8 compiles guest code to machine code instead of
 * interpreting it.
 *
 * A block lives inside one physical page and is keyed by its RAM offset; the
 * virtual pc is a runtime argument, so the same block serves every mapping.
 * It contains only instructions that cannot change privilege, CSRs or
 * translation state: integer ALU, M, loads, stores, FENCE and the final
 * control transfer. Memory accesses use the hart's TLBs inline (tlb.ts); a
 * miss takes the runtime's slow path (runtime.ts) with pc and instret
 * written back first, so a trap inside a block is precise. After a slow
 * path that ends the slice (MMIO) or wrote a page holding code (possibly
 * this block's own), the block returns right after that instruction, as the
 * interpreter would. The budget is checked once, at entry: a block that does
 * not fit returns 0 and the interpreter runs instead.
 *
 * The semantics here must equal the interpreter's (hart.ts); the lockstep
 * tests (test/machine/lockstep*.test.ts) check it.
 */
import { Op, SLOT_SHIFT, endsBlock, lenOf, opOf, rdOf, rs1Of, rs2Of } from './decoded.js';
import type { Translator, TranslatorFactory } from './engines.js';
import type { BlockFn, HartRuntime } from './runtime.js';
import { TLB_FAST_MAX_OFFSET, TLB_MASK } from './tlb.js';

export type { BlockFn } from './runtime.js';

/** Longest block, in instructions. */
export const MAX_BLOCK = 48;

/** A runtime member name, checked against the contract. */
const R = <K extends keyof HartRuntime>(k: K): string => `rt.${k}`;

/** What generated code closes over, by name. */
interface BlockEnv {
  rt: HartRuntime;
  xl: Int32Array; xh: Int32Array;
  m8: Int8Array; u8: Uint8Array; m16: Int16Array; u16: Uint16Array; m32: Int32Array;
  rtLo: Int32Array; rtHi: Int32Array; rtOff: Int32Array;
  wtLo: Int32Array; wtHi: Int32Array; wtOff: Int32Array;
}
const ENV_NAMES: ReadonlyArray<keyof BlockEnv> = ['rt', 'xl', 'xh', 'm8', 'u8', 'm16', 'u16', 'm32', 'rtLo', 'rtHi', 'rtOff', 'wtLo', 'wtHi', 'wtOff'];

const CARRY = (s: string): string => `(${s} < 0 ? -1 : ${s} > 0xffffffff ? 1 : 0)`;
/** Sets the next pc to page offset `po` of the block's page (carrying into the high word past the end). */
const nextAt = (po: number): string => `{ const s = (base >>> 0) + ${po}; ${R('nextLo')} = s | 0; ${R('nextHi')} = (pcHi + (s > 0xffffffff ? 1 : 0)) | 0; }`;

const LOAD_FAST = [
  'lo = m8[o]; hi = lo >> 31;',
  'lo = (o & 1) === 0 ? m16[o >> 1] : (u8[o] | (m8[o + 1] << 8)); hi = lo >> 31;',
  'lo = (o & 3) === 0 ? m32[o >> 2] : (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)); hi = lo >> 31;',
  'if ((o & 3) === 0) { lo = m32[o >> 2]; hi = m32[(o >> 2) + 1]; } else { lo = u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24); hi = u8[o + 4] | (u8[o + 5] << 8) | (u8[o + 6] << 16) | (u8[o + 7] << 24); }',
  'lo = u8[o]; hi = 0;',
  'lo = (o & 1) === 0 ? u16[o >> 1] : (u8[o] | (u8[o + 1] << 8)); hi = 0;',
  'lo = (o & 3) === 0 ? m32[o >> 2] : (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)); hi = 0;',
];

const storeFast = (rs2: number): string[] => [
  'u8[o] = v;',
  'if ((o & 1) === 0) m16[o >> 1] = v; else { u8[o] = v; u8[o + 1] = v >> 8; }',
  'if ((o & 3) === 0) m32[o >> 2] = v; else { u8[o] = v; u8[o + 1] = v >> 8; u8[o + 2] = v >> 16; u8[o + 3] = v >> 24; }',
  `const w = xh[${rs2}]; if ((o & 3) === 0) { m32[o >> 2] = v; m32[(o >> 2) + 1] = w; } else { u8[o] = v; u8[o + 1] = v >> 8; u8[o + 2] = v >> 16; u8[o + 3] = v >> 24; u8[o + 4] = w; u8[o + 5] = w >> 8; u8[o + 6] = w >> 16; u8[o + 7] = w >> 24; }`,
];

const SHIFT64 = {
  sll: (rd: number, a: string, ah: string, sh: string): string => `{ const aLo = ${a}, aHi = ${ah}, sh = ${sh}; if (sh === 0) { xl[${rd}] = aLo; xh[${rd}] = aHi; } else if (sh < 32) { xh[${rd}] = (aHi << sh) | (aLo >>> (32 - sh)); xl[${rd}] = aLo << sh; } else { xh[${rd}] = aLo << (sh - 32); xl[${rd}] = 0; } }`,
  srl: (rd: number, a: string, ah: string, sh: string): string => `{ const aLo = ${a}, aHi = ${ah}, sh = ${sh}; if (sh === 0) { xl[${rd}] = aLo; xh[${rd}] = aHi; } else if (sh < 32) { xl[${rd}] = (aLo >>> sh) | (aHi << (32 - sh)); xh[${rd}] = aHi >>> sh; } else { xl[${rd}] = aHi >>> (sh - 32); xh[${rd}] = 0; } }`,
  sra: (rd: number, a: string, ah: string, sh: string): string => `{ const aLo = ${a}, aHi = ${ah}, sh = ${sh}; if (sh === 0) { xl[${rd}] = aLo; xh[${rd}] = aHi; } else if (sh < 32) { xl[${rd}] = (aLo >>> sh) | (aHi << (32 - sh)); xh[${rd}] = aHi >> sh; } else { xl[${rd}] = aHi >> (sh - 32); xh[${rd}] = aHi >> 31; } }`,
};

/**
 * JS for one non-terminating instruction (slot words w[b..]) at page offset
 * d, the block's (k+1)-th instruction; null when it cannot be in a block.
 */
function body(w: Int32Array, b: number, d: number, k: number): string | null {
  const w0 = w[b];
  const op = opOf(w0);
  const rd = rdOf(w0), rs1 = rs1Of(w0), rs2 = rs2Of(w0);
  const imm = w[b + 1];
  const ilen = lenOf(w0);
  const pc = `((base + ${d}) | 0)`;
  const ret = `return ${k + 1};`;
  const at = `count + ${k}`;
  const A = `xl[${rs1}]`, AH = `xh[${rs1}]`, B = `xl[${rs2}]`, BH = `xh[${rs2}]`;
  const set = (lo: string, hi: string): string => `xl[${rd}] = ${lo}; xh[${rd}] = ${hi};`;
  const w32 = (v: string): string => `{ const v = ${v}; xl[${rd}] = v; xh[${rd}] = v >> 31; }`;
  switch (op) {
    case Op.NOP: case Op.FENCE: return '';
    case Op.LUI: return set(`${imm}`, `${imm >> 31}`);
    case Op.AUIPC: return `{ const s = (${pc} >>> 0) + ${imm}; xl[${rd}] = s | 0; xh[${rd}] = (pcHi + ${CARRY('s')}) | 0; }`;
    case Op.ADDI:
      if (rs1 === 0) return set(`${imm}`, `${imm >> 31}`);
      if (imm === 0) return set(A, AH);
      return `{ const s = (${A} >>> 0) + ${imm}; xl[${rd}] = s | 0; xh[${rd}] = (${AH} + ${CARRY('s')}) | 0; }`;
    case Op.SLTI: return `{ const aHi = ${AH}; xl[${rd}] = (aHi < ${imm >> 31} || (aHi === ${imm >> 31} && (${A} >>> 0) < ${imm >>> 0})) ? 1 : 0; xh[${rd}] = 0; }`;
    case Op.SLTIU: return `{ const aHi = ${AH}; xl[${rd}] = ((aHi >>> 0) < ${(imm >> 31) >>> 0} || (aHi === ${imm >> 31} && (${A} >>> 0) < ${imm >>> 0})) ? 1 : 0; xh[${rd}] = 0; }`;
    case Op.XORI: return set(`${A} ^ ${imm}`, `${AH} ^ ${imm >> 31}`);
    case Op.ORI: return set(`${A} | ${imm}`, `${AH} | ${imm >> 31}`);
    case Op.ANDI: return set(`${A} & ${imm}`, `${AH} & ${imm >> 31}`);
    case Op.SLLI: return SHIFT64.sll(rd, A, AH, `${imm}`);
    case Op.SRLI: return SHIFT64.srl(rd, A, AH, `${imm}`);
    case Op.SRAI: return SHIFT64.sra(rd, A, AH, `${imm}`);
    case Op.ADD: return `{ const s = (${A} >>> 0) + (${B} >>> 0); const hi = (${AH} + ${BH} + (s > 0xffffffff ? 1 : 0)) | 0; xl[${rd}] = s | 0; xh[${rd}] = hi; }`;
    case Op.SUB: return `{ const s = (${A} >>> 0) - (${B} >>> 0); const hi = (${AH} - ${BH} - (s < 0 ? 1 : 0)) | 0; xl[${rd}] = s | 0; xh[${rd}] = hi; }`;
    case Op.SLL: return SHIFT64.sll(rd, A, AH, `${B} & 63`);
    case Op.SRL: return SHIFT64.srl(rd, A, AH, `${B} & 63`);
    case Op.SRA: return SHIFT64.sra(rd, A, AH, `${B} & 63`);
    case Op.SLT: return `{ const aHi = ${AH}, bHi = ${BH}; xl[${rd}] = (aHi < bHi || (aHi === bHi && (${A} >>> 0) < (${B} >>> 0))) ? 1 : 0; xh[${rd}] = 0; }`;
    case Op.SLTU: return `{ const aHi = ${AH}, bHi = ${BH}; xl[${rd}] = ((aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (${A} >>> 0) < (${B} >>> 0))) ? 1 : 0; xh[${rd}] = 0; }`;
    case Op.XOR: return `{ const hi = ${AH} ^ ${BH}; xl[${rd}] = ${A} ^ ${B}; xh[${rd}] = hi; }`;
    case Op.OR: return `{ const hi = ${AH} | ${BH}; xl[${rd}] = ${A} | ${B}; xh[${rd}] = hi; }`;
    case Op.AND: return `{ const hi = ${AH} & ${BH}; xl[${rd}] = ${A} & ${B}; xh[${rd}] = hi; }`;
    case Op.ADDIW: return w32(`(${A} + ${imm}) | 0`);
    case Op.SLLIW: return w32(`${A} << ${imm}`);
    case Op.SRLIW: return w32(`(${A} >>> ${imm}) | 0`);
    case Op.SRAIW: return w32(`${A} >> ${imm}`);
    case Op.ADDW: return w32(`(${A} + ${B}) | 0`);
    case Op.SUBW: return w32(`(${A} - ${B}) | 0`);
    case Op.SLLW: return w32(`${A} << (${B} & 31)`);
    case Op.SRLW: return w32(`(${A} >>> (${B} & 31)) | 0`);
    case Op.SRAW: return w32(`${A} >> (${B} & 31)`);
    case Op.MULW: return w32(`Math.imul(${A}, ${B})`);
    case Op.MUL: case Op.MULH: case Op.MULHSU: case Op.MULHU: case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU:
      return `${R('mulDiv')}(${rd}, ${A}, ${AH}, ${B}, ${BH}, ${op - Op.MUL});`;
    case Op.DIVW: case Op.DIVUW: case Op.REMW: case Op.REMUW:
      return `${R('mulDivW')}(${rd}, ${A}, ${B}, ${op - Op.DIVW + 4});`;
    case Op.LB: case Op.LH: case Op.LW: case Op.LD: case Op.LBU: case Op.LHU: case Op.LWU: {
      const f3 = op - Op.LB;
      const setRd = rd === 0 ? '' : set('lo', 'hi');
      return `{ const s = (${A} >>> 0) + ${imm}; const vaLo = s | 0; const vaHi = (${AH} + ${CARRY('s')}) | 0;
  const vpn = vaLo >>> 12, ti = vpn & ${TLB_MASK}; let lo, hi;
  if (rtLo[ti] === (vpn | dKey) && rtHi[ti] === vaHi && rtOff[ti] >= 0 && (vaLo & 0xfff) <= ${TLB_FAST_MAX_OFFSET}) { const o = rtOff[ti] + (vaLo & 0xfff); ${LOAD_FAST[f3]} }
  else { ${R('pcLo')} = ${pc}; ${R('pcHi')} = pcHi; ${R('instret')} = ${at}; ${R('loadSlow')}(vaLo, vaHi, ${f3}); lo = ${R('resLo')}; hi = ${R('resHi')};
    if (${R('sliceStop')}) { ${setRd} ${nextAt(d + ilen)} ${ret} } }
  ${setRd} }`;
    }
    case Op.SB: case Op.SH: case Op.SW: case Op.SD: {
      const f3 = op - Op.SB;
      return `{ const s = (${A} >>> 0) + ${imm}; const vaLo = s | 0; const vaHi = (${AH} + ${CARRY('s')}) | 0;
  const vpn = vaLo >>> 12, ti = vpn & ${TLB_MASK}; const v = ${B};
  if (wtLo[ti] === (vpn | dKey) && wtHi[ti] === vaHi && wtOff[ti] >= 0 && (vaLo & 0xfff) <= ${TLB_FAST_MAX_OFFSET}) { const o = wtOff[ti] + (vaLo & 0xfff); ${storeFast(rs2)[f3]} }
  else { ${R('pcLo')} = ${pc}; ${R('pcHi')} = pcHi; ${R('instret')} = ${at}; ${R('storeSlow')}(vaLo, vaHi, ${1 << f3}, v, ${BH});
    if (${R('sliceStop')} || ${R('codeExit')}) { ${nextAt(d + ilen)} ${ret} } } }`;
    }
    default:
      return null;
  }
}

/** The block-ending control transfer (slot words w[b..]) at page offset d, the block's (k+1)-th instruction. */
function terminator(w: Int32Array, b: number, d: number, k: number): string | null {
  const w0 = w[b];
  const op = opOf(w0);
  const rd = rdOf(w0), rs1 = rs1Of(w0), rs2 = rs2Of(w0);
  const imm = w[b + 1];
  const ilen = lenOf(w0);
  const n = k + 1;
  // the link value: pc + ilen, carrying past the top of the low word
  const link = rd === 0 ? '' : `{ const s = (base >>> 0) + ${d + ilen}; xl[${rd}] = s | 0; xh[${rd}] = (pcHi + (s > 0xffffffff ? 1 : 0)) | 0; }`;
  const jump = `{ const s = (((base + ${d}) | 0) >>> 0) + ${imm}; ${R('nextLo')} = s | 0; ${R('nextHi')} = (pcHi + ${CARRY('s')}) | 0; }`;
  const AL = `xl[${rs1}]`, AH = `xh[${rs1}]`, BL = `xl[${rs2}]`, BH = `xh[${rs2}]`;
  let cond: string;
  switch (op) {
    case Op.JAL: return `${link} ${jump} return ${n};`;
    case Op.JALR: return `{ const s = (${AL} >>> 0) + ${imm}; const tHi = (${AH} + ${CARRY('s')}) | 0; ${link} ${R('nextLo')} = (s | 0) & ~1; ${R('nextHi')} = tHi; return ${n}; }`;
    case Op.BEQ: cond = `${AL} === ${BL} && ${AH} === ${BH}`; break;
    case Op.BNE: cond = `${AL} !== ${BL} || ${AH} !== ${BH}`; break;
    case Op.BLT: cond = `${AH} < ${BH} || (${AH} === ${BH} && (${AL} >>> 0) < (${BL} >>> 0))`; break;
    case Op.BGE: cond = `${AH} > ${BH} || (${AH} === ${BH} && (${AL} >>> 0) >= (${BL} >>> 0))`; break;
    case Op.BLTU: cond = `(${AH} >>> 0) < (${BH} >>> 0) || (${AH} === ${BH} && (${AL} >>> 0) < (${BL} >>> 0))`; break;
    case Op.BGEU: cond = `(${AH} >>> 0) > (${BH} >>> 0) || (${AH} === ${BH} && (${AL} >>> 0) >= (${BL} >>> 0))`; break;
    default: return null;
  }
  return `if (${cond}) ${jump} else ${nextAt(d + ilen)} return ${n};`;
}

/** JavaScript source of the block at RAM offset `off`, and its length; null when its first instruction cannot be translated. */
export function blockSource(rt: HartRuntime, off: number): { src: string; count: number } | null {
  const pageRam = off & ~0xfff;
  const entry = off & 0xfff;
  const parts: string[] = [];
  let po = entry;
  let k = 0;
  let ended = false;
  while (k < MAX_BLOCK && po < 4096) {
    let w = rt.code.pages[pageRam >>> 12];
    let b = (po >>> 1) << SLOT_SHIFT;
    if ((w[b] & 0xff) === Op.UNDECODED) {
      // a 32-bit instruction crossing the page end is never cached: the block stops before it
      if (po === 0xffe && (rt.mem.u16[(pageRam + po) >> 1] & 3) === 3) break;
      w = rt.code.decode(pageRam + po);
      b = (po >>> 1) << SLOT_SHIFT;
    }
    const op = w[b] & 0xff;
    const t = terminator(w, b, po, k);
    if (t !== null) { parts.push(t); k++; ended = true; break; }
    if (endsBlock(op)) break;
    const s = body(w, b, po, k);
    if (s === null) break;
    parts.push(s);
    k++;
    po += lenOf(w[b]);
  }
  if (k === 0) return null;
  // past the page end the next pc may carry into the high word
  if (!ended) parts.push(`${nextAt(po)} return ${k};`);
  const src = `"use strict"; return function block(pcLo, pcHi, count, end, dKey) {
  if (end - count < ${k}) return 0;
  const base = (pcLo - ${entry}) | 0;
${parts.join('\n')}
};`;
  return { src, count: k };
}

/** Translates the block at RAM offset `off` (it stays within its page), or returns null. */
export function compileBlock(rt: HartRuntime, off: number): BlockFn | null {
  const s = blockSource(rt, off);
  if (s === null) return null;
  const env: BlockEnv = {
    rt, xl: rt.xLo, xh: rt.xHi, ...rt.mem,
    rtLo: rt.tlb.rtLo, rtHi: rt.tlb.rtHi, rtOff: rt.tlb.rtOff, wtLo: rt.tlb.wtLo, wtHi: rt.tlb.wtHi, wtOff: rt.tlb.wtOff,
  };
  const factory = new Function(...ENV_NAMES, s.src) as (...args: unknown[]) => BlockFn;
  return factory(...ENV_NAMES.map((n) => env[n]));
}

/** The JavaScript tier as a Translator (engine 'js'). */
export const jsBlockTranslator: TranslatorFactory = (rt: HartRuntime): Translator => ({
  translate: (off) => compileBlock(rt, off),
});
