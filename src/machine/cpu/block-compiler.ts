/**
 * Basic-block translator: turns a hot run of straight-line integer
 * instructions (ending at a branch or jump) into one JavaScript function, so
 * V8 compiles guest code to machine code instead of interpreting the decoder
 * for every instruction.
 *
 * A block lives inside one physical page and is keyed by its RAM offset; the
 * virtual pc is a runtime argument, so the same block serves every mapping.
 * It contains only instructions that cannot change privilege, CSRs or
 * translation state: integer ALU, M, loads, stores and the final control
 * transfer. Memory accesses use the hart's TLBs inline; a miss takes the
 * hart's slow path with pc and instret written back first, so a trap inside
 * a block is precise. After a slow path that ends the slice (MMIO), the block
 * returns early. The result is the number of instructions retired (0 when the
 * slice's budget cannot hold the whole block: the interpreter takes over);
 * the next pc is left in hart.nextLo/nextHi. Blocks are translated only once
 * their leader has run BLOCK_HOT times: cold code stays in the interpreter,
 * whose optimized loop beats freshly generated functions until V8 tiers them up.
 */
import { compressedTable } from './compressed.js';

/** (pcLo, pcHi, count, end, dKey) => instructions retired (0: the budget did not allow the first block). */
export type BlockFn = (pcLo: number, pcHi: number, count: number, end: number, dKey: number) => number;

export const MAX_BLOCK = 48;

const CARRY = (s: string): string => `(${s} < 0 ? -1 : ${s} > 0xffffffff ? 1 : 0)`;

/** JS for one instruction that does not end the block, or null when it cannot be in a block. */
function body(insn: number, d: number, k: number, ilen: number): string | null {
  const pc = `((base + ${d}) | 0)`;
  const npc = `((base + ${d + ilen}) | 0)`;
  const ret = `return ${k + 1};`;
  const at = `count + ${k}`;
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const f7 = insn >>> 25;
  const setRd = (lo: string, hi: string): string => (rd === 0 ? '' : `xl[${rd}] = ${lo}; xh[${rd}] = ${hi};`);
  switch (insn & 0x7f) {
    case 0x13: { // OP-IMM
      const imm = insn >> 20;
      if (f3 === 1 && (insn >>> 26) !== 0) return null;
      if (f3 === 5 && (insn >>> 26) !== 0 && (insn >>> 26) !== 0x10) return null;
      if (rd === 0) return '';
      switch (f3) {
        case 0:
          if (rs1 === 0) return setRd(`${imm}`, `${imm >> 31}`);
          if (imm === 0) return setRd(`xl[${rs1}]`, `xh[${rs1}]`);
          return `{ const s = (xl[${rs1}] >>> 0) + ${imm}; xl[${rd}] = s | 0; xh[${rd}] = (xh[${rs1}] + ${CARRY('s')}) | 0; }`;
        case 1: {
          if ((insn >>> 26) !== 0) return null;
          const sh = (insn >> 20) & 63;
          if (sh === 0) return setRd(`xl[${rs1}]`, `xh[${rs1}]`);
          if (sh < 32) return `{ const a = xl[${rs1}]; xh[${rd}] = (xh[${rs1}] << ${sh}) | (a >>> ${32 - sh}); xl[${rd}] = a << ${sh}; }`;
          return `{ xh[${rd}] = xl[${rs1}] << ${sh - 32}; xl[${rd}] = 0; }`;
        }
        case 2: return `{ const aHi = xh[${rs1}]; xl[${rd}] = (aHi < ${imm >> 31} || (aHi === ${imm >> 31} && (xl[${rs1}] >>> 0) < ${imm >>> 0})) ? 1 : 0; xh[${rd}] = 0; }`;
        case 3: return `{ const aHi = xh[${rs1}]; xl[${rd}] = ((aHi >>> 0) < ${(imm >> 31) >>> 0} || (aHi === ${imm >> 31} && (xl[${rs1}] >>> 0) < ${imm >>> 0})) ? 1 : 0; xh[${rd}] = 0; }`;
        case 4: return setRd(`xl[${rs1}] ^ ${imm}`, `xh[${rs1}] ^ ${imm >> 31}`);
        case 5: {
          const sh = (insn >> 20) & 63;
          const f6 = insn >>> 26;
          if (f6 !== 0 && f6 !== 0x10) return null;
          const arith = f6 === 0x10;
          if (sh === 0) return setRd(`xl[${rs1}]`, `xh[${rs1}]`);
          if (sh < 32) return `{ const h = xh[${rs1}]; xl[${rd}] = (xl[${rs1}] >>> ${sh}) | (h << ${32 - sh}); xh[${rd}] = h ${arith ? '>>' : '>>>'} ${sh}; }`;
          return arith
            ? `{ const h = xh[${rs1}]; xl[${rd}] = h >> ${sh - 32}; xh[${rd}] = h >> 31; }`
            : `{ xl[${rd}] = xh[${rs1}] >>> ${sh - 32}; xh[${rd}] = 0; }`;
        }
        case 6: return setRd(`xl[${rs1}] | ${imm}`, `xh[${rs1}] | ${imm >> 31}`);
        default: return setRd(`xl[${rs1}] & ${imm}`, `xh[${rs1}] & ${imm >> 31}`);
      }
    }
    case 0x33: { // OP
      if (f7 === 1) {
        // M extension through the hart (never traps)
        return `h.mulDiv(${rd}, xl[${rs1}], xh[${rs1}], xl[${rs2}], xh[${rs2}], ${f3});`;
      }
      if (rd === 0) return (f7 === 0 || (f7 === 0x20 && (f3 === 0 || f3 === 5))) ? '' : null;
      const A = `xl[${rs1}]`, AH = `xh[${rs1}]`, B = `xl[${rs2}]`, BH = `xh[${rs2}]`;
      if (f7 === 0) {
        switch (f3) {
          case 0: return `{ const s = (${A} >>> 0) + (${B} >>> 0); const hi = (${AH} + ${BH} + (s > 0xffffffff ? 1 : 0)) | 0; xl[${rd}] = s | 0; xh[${rd}] = hi; }`;
          case 1: return `{ const aLo = ${A}, aHi = ${AH}, sh = ${B} & 63; if (sh === 0) { xl[${rd}] = aLo; xh[${rd}] = aHi; } else if (sh < 32) { xh[${rd}] = (aHi << sh) | (aLo >>> (32 - sh)); xl[${rd}] = aLo << sh; } else { xh[${rd}] = aLo << (sh - 32); xl[${rd}] = 0; } }`;
          case 2: return `{ const aHi = ${AH}, bHi = ${BH}; xl[${rd}] = (aHi < bHi || (aHi === bHi && (${A} >>> 0) < (${B} >>> 0))) ? 1 : 0; xh[${rd}] = 0; }`;
          case 3: return `{ const aHi = ${AH}, bHi = ${BH}; xl[${rd}] = ((aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (${A} >>> 0) < (${B} >>> 0))) ? 1 : 0; xh[${rd}] = 0; }`;
          case 4: return `{ const hi = ${AH} ^ ${BH}; xl[${rd}] = ${A} ^ ${B}; xh[${rd}] = hi; }`;
          case 5: return `{ const aLo = ${A}, aHi = ${AH}, sh = ${B} & 63; if (sh === 0) { xl[${rd}] = aLo; xh[${rd}] = aHi; } else if (sh < 32) { xl[${rd}] = (aLo >>> sh) | (aHi << (32 - sh)); xh[${rd}] = aHi >>> sh; } else { xl[${rd}] = aHi >>> (sh - 32); xh[${rd}] = 0; } }`;
          case 6: return `{ const hi = ${AH} | ${BH}; xl[${rd}] = ${A} | ${B}; xh[${rd}] = hi; }`;
          default: return `{ const hi = ${AH} & ${BH}; xl[${rd}] = ${A} & ${B}; xh[${rd}] = hi; }`;
        }
      }
      if (f7 === 0x20 && f3 === 0) return `{ const s = (${A} >>> 0) - (${B} >>> 0); const hi = (${AH} - ${BH} - (s < 0 ? 1 : 0)) | 0; xl[${rd}] = s | 0; xh[${rd}] = hi; }`;
      if (f7 === 0x20 && f3 === 5) return `{ const aLo = ${A}, aHi = ${AH}, sh = ${B} & 63; if (sh === 0) { xl[${rd}] = aLo; xh[${rd}] = aHi; } else if (sh < 32) { xl[${rd}] = (aLo >>> sh) | (aHi << (32 - sh)); xh[${rd}] = aHi >> sh; } else { xl[${rd}] = aHi >> (sh - 32); xh[${rd}] = aHi >> 31; } }`;
      return null;
    }
    case 0x1b: { // OP-IMM-32
      const imm = insn >> 20;
      let v: string;
      if (f3 === 0) v = `(xl[${rs1}] + ${imm}) | 0`;
      else if (f3 === 1) { if ((insn >>> 25) !== 0) return null; v = `xl[${rs1}] << ${(insn >> 20) & 31}`; }
      else if (f3 === 5) {
        if (f7 === 0) v = `(xl[${rs1}] >>> ${(insn >> 20) & 31}) | 0`;
        else if (f7 === 0x20) v = `xl[${rs1}] >> ${(insn >> 20) & 31}`;
        else return null;
      } else return null;
      return rd === 0 ? '' : `{ const v = ${v}; xl[${rd}] = v; xh[${rd}] = v >> 31; }`;
    }
    case 0x3b: { // OP-32
      let v: string;
      const A = `xl[${rs1}]`, B = `xl[${rs2}]`;
      if (f7 === 0) {
        if (f3 === 0) v = `(${A} + ${B}) | 0`;
        else if (f3 === 1) v = `${A} << (${B} & 31)`;
        else if (f3 === 5) v = `(${A} >>> (${B} & 31)) | 0`;
        else return null;
      } else if (f7 === 0x20) {
        if (f3 === 0) v = `(${A} - ${B}) | 0`;
        else if (f3 === 5) v = `${A} >> (${B} & 31)`;
        else return null;
      } else if (f7 === 1) {
        if (f3 === 0) v = `Math.imul(${A}, ${B})`;
        else if (f3 >= 4) return `h.mulDivW(${rd}, ${A}, ${B}, ${f3});`;
        else return null;
      } else return null;
      return rd === 0 ? '' : `{ const v = ${v}; xl[${rd}] = v; xh[${rd}] = v >> 31; }`;
    }
    case 0x37: // LUI
      return setRd(`${insn & 0xfffff000}`, `${insn >> 31}`);
    case 0x17: { // AUIPC
      const imm = insn & 0xfffff000;
      return rd === 0 ? '' : `{ const s = (${pc} >>> 0) + ${imm}; xl[${rd}] = s | 0; xh[${rd}] = (pcHi + ${CARRY('s')}) | 0; }`;
    }
    case 0x03: { // LOAD
      if (f3 === 7) return null;
      const imm = insn >> 20;
      let fast: string;
      switch (f3) {
        case 0: fast = 'lo = m8[o]; hi = lo >> 31;'; break;
        case 1: fast = 'lo = (o & 1) === 0 ? m16[o >> 1] : (u8[o] | (m8[o + 1] << 8)); hi = lo >> 31;'; break;
        case 2: fast = 'lo = (o & 3) === 0 ? m32[o >> 2] : (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)); hi = lo >> 31;'; break;
        case 3: fast = 'if ((o & 3) === 0) { lo = m32[o >> 2]; hi = m32[(o >> 2) + 1]; } else { lo = u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24); hi = u8[o + 4] | (u8[o + 5] << 8) | (u8[o + 6] << 16) | (u8[o + 7] << 24); }'; break;
        case 4: fast = 'lo = u8[o]; hi = 0;'; break;
        case 5: fast = 'lo = (o & 1) === 0 ? u16[o >> 1] : (u8[o] | (u8[o + 1] << 8)); hi = 0;'; break;
        default: fast = 'lo = (o & 3) === 0 ? m32[o >> 2] : (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)); hi = 0;'; break;
      }
      return `{ const s = (xl[${rs1}] >>> 0) + ${imm}; const vaLo = s | 0; const vaHi = (xh[${rs1}] + ${CARRY('s')}) | 0;
  const vpn = vaLo >>> 12, ti = vpn & 1023; let lo, hi;
  if (rtLo[ti] === (vpn | dKey) && rtHi[ti] === vaHi && rtOff[ti] >= 0 && (vaLo & 0xfff) <= 0xff8) { const o = rtOff[ti] + (vaLo & 0xfff); ${fast} }
  else { h.pcLo = ${pc}; h.pcHi = pcHi; h.instret = ${at}; h.loadSlow(vaLo, vaHi, ${f3}); lo = h.tLo; hi = h.tHi;
    if (h.sliceStop) { ${setRd('lo', 'hi')} h.nextLo = ${npc}; h.nextHi = pcHi; ${ret} } }
  ${setRd('lo', 'hi')} }`;
    }
    case 0x23: { // STORE
      if (f3 > 3) return null;
      const imm = ((insn >> 25) << 5) | ((insn >> 7) & 31);
      let fast: string;
      switch (f3) {
        case 0: fast = 'u8[o] = v;'; break;
        case 1: fast = 'if ((o & 1) === 0) m16[o >> 1] = v; else { u8[o] = v; u8[o + 1] = v >> 8; }'; break;
        case 2: fast = 'if ((o & 3) === 0) m32[o >> 2] = v; else { u8[o] = v; u8[o + 1] = v >> 8; u8[o + 2] = v >> 16; u8[o + 3] = v >> 24; }'; break;
        default: fast = `const w = xh[${rs2}]; if ((o & 3) === 0) { m32[o >> 2] = v; m32[(o >> 2) + 1] = w; } else { u8[o] = v; u8[o + 1] = v >> 8; u8[o + 2] = v >> 16; u8[o + 3] = v >> 24; u8[o + 4] = w; u8[o + 5] = w >> 8; u8[o + 6] = w >> 16; u8[o + 7] = w >> 24; }`;
      }
      return `{ const s = (xl[${rs1}] >>> 0) + ${imm}; const vaLo = s | 0; const vaHi = (xh[${rs1}] + ${CARRY('s')}) | 0;
  const vpn = vaLo >>> 12, ti = vpn & 1023; const v = xl[${rs2}];
  if (wtLo[ti] === (vpn | dKey) && wtHi[ti] === vaHi && wtOff[ti] >= 0 && (vaLo & 0xfff) <= 0xff8) { const o = wtOff[ti] + (vaLo & 0xfff); ${fast} }
  else { h.pcLo = ${pc}; h.pcHi = pcHi; h.instret = ${at}; h.storeSlow(vaLo, vaHi, ${1 << f3}, v, xh[${rs2}]);
    if (h.sliceStop) { h.nextLo = ${npc}; h.nextHi = pcHi; ${ret} } } }`;
    }
    default:
      return null;
  }
}

/** A block-ending control transfer at page offset d, the block's (k+1)-th instruction. */
function terminator(insn: number, d: number, k: number, ilen: number): string | null {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const n = k + 1;
  const link = rd === 0 ? '' : `xl[${rd}] = (base + ${d + ilen}) | 0; xh[${rd}] = pcHi;`;
  const jump = (imm: number): string => `{ const s = (((base + ${d}) | 0) >>> 0) + ${imm}; h.nextLo = s | 0; h.nextHi = (pcHi + ${CARRY('s')}) | 0; }`;
  switch (insn & 0x7f) {
    case 0x6f: { // JAL
      const imm = (((insn >> 31) << 20) | (((insn >> 21) & 0x3ff) << 1) | (((insn >> 20) & 1) << 11) | (((insn >> 12) & 0xff) << 12));
      return `${link} ${jump(imm)} return ${n};`;
    }
    case 0x67: { // JALR
      if (f3 !== 0) return null;
      const imm = insn >> 20;
      return `{ const s = (xl[${rs1}] >>> 0) + ${imm}; const tHi = (xh[${rs1}] + ${CARRY('s')}) | 0; ${link} h.nextLo = (s | 0) & ~1; h.nextHi = tHi; return ${n}; }`;
    }
    case 0x63: { // BRANCH
      let cond: string;
      const AL = `xl[${rs1}]`, AH = `xh[${rs1}]`, BL = `xl[${rs2}]`, BH = `xh[${rs2}]`;
      switch (f3) {
        case 0: cond = `${AL} === ${BL} && ${AH} === ${BH}`; break;
        case 1: cond = `${AL} !== ${BL} || ${AH} !== ${BH}`; break;
        case 4: cond = `${AH} < ${BH} || (${AH} === ${BH} && (${AL} >>> 0) < (${BL} >>> 0))`; break;
        case 5: cond = `${AH} > ${BH} || (${AH} === ${BH} && (${AL} >>> 0) >= (${BL} >>> 0))`; break;
        case 6: cond = `(${AH} >>> 0) < (${BH} >>> 0) || (${AH} === ${BH} && (${AL} >>> 0) < (${BL} >>> 0))`; break;
        case 7: cond = `(${AH} >>> 0) > (${BH} >>> 0) || (${AH} === ${BH} && (${AL} >>> 0) >= (${BL} >>> 0))`; break;
        default: return null;
      }
      const imm = (((insn >> 31) << 12) | (((insn >> 25) & 0x3f) << 5) | (((insn >> 8) & 0xf) << 1) | (((insn >> 7) & 1) << 11));
      return `if (${cond}) ${jump(imm)} else { h.nextLo = (base + ${d + ilen}) | 0; h.nextHi = pcHi; } return ${n};`;
    }
    default:
      return null;
  }
}

export interface BlockContext {
  readonly u16: Uint16Array;
  /** Everything the generated code closes over, in the order of BLOCK_PARAMS. */
  readonly env: readonly unknown[];
}

export const BLOCK_PARAMS = ['h', 'xl', 'xh', 'm8', 'u8', 'm16', 'u16', 'm32', 'rtLo', 'rtHi', 'rtOff', 'wtLo', 'wtHi', 'wtOff'];

/**
 * Translates the block starting at RAM offset `off` (it stays within its
 * page), or returns null when its first instruction cannot be translated.
 */
export function compileBlock(ctx: BlockContext, off: number): BlockFn | null {
  const ct = compressedTable();
  const pageRam = off & ~0xfff;
  const entry = off & 0xfff;
  const parts: string[] = [];
  let po = entry;
  let k = 0;
  let ended = false;
  while (k < MAX_BLOCK && po < 4096) {
    let insn = ctx.u16[(pageRam + po) >> 1];
    let ilen = 4;
    if ((insn & 3) === 3) {
      if (po + 4 > 4096) break;
      insn = (insn | (ctx.u16[((pageRam + po) >> 1) + 1] << 16)) | 0;
    } else {
      insn = ct[insn];
      ilen = 2;
      if (insn === 0) break;
    }
    const t = terminator(insn, po, k, ilen);
    if (t !== null) { parts.push(t); k++; ended = true; break; }
    const b = body(insn, po, k, ilen);
    if (b === null) break;
    parts.push(b);
    k++;
    po += ilen;
  }
  if (k === 0) return null;
  // past the page end the next pc may carry into the high word
  if (!ended) parts.push(`{ const s = (base >>> 0) + ${po}; h.nextLo = s | 0; h.nextHi = (pcHi + (s > 0xffffffff ? 1 : 0)) | 0; return ${k}; }`);
  const src = `"use strict"; return function block(pcLo, pcHi, count, end, dKey) {
  if (end - count < ${k}) return 0;
  const base = (pcLo - ${entry}) | 0;
${parts.join('\n')}
};`;
  const factory = new Function(...BLOCK_PARAMS, src) as (...env: unknown[]) => BlockFn;
  return factory(...ctx.env);
}
