// Runs every reference vector (produced by tools/fpu-vectors/gen.c on qemu-riscv64) through execFp
// and compares result bits and accrued flags exactly.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { execFp, type FpContext } from '../../src/machine/cpu/fpu.js';

type Ty = 'S' | 'D' | 'X';
interface OpInfo { opcode: number; f7: number; rs2: number; rm: number; src: Ty[]; dst: Ty }

function opTable(): Map<string, OpInfo> {
  const m = new Map<string, OpInfo>();
  for (const [suffix, fmt, t] of [['s', 0, 'S'], ['d', 1, 'D']] as const) {
    const add = (name: string, f7: number, rs2: number, rm: number, src: Ty[], dst: Ty, opcode = 0x53): void => {
      m.set(name, { opcode, f7: f7 | fmt, rs2, rm, src, dst });
    };
    add(`fadd.${suffix}`, 0x00, 0, -1, [t, t], t);
    add(`fsub.${suffix}`, 0x04, 0, -1, [t, t], t);
    add(`fmul.${suffix}`, 0x08, 0, -1, [t, t], t);
    add(`fdiv.${suffix}`, 0x0c, 0, -1, [t, t], t);
    add(`fsqrt.${suffix}`, 0x2c, 0, -1, [t], t);
    add(`fsgnj.${suffix}`, 0x10, 0, 0, [t, t], t);
    add(`fsgnjn.${suffix}`, 0x10, 0, 1, [t, t], t);
    add(`fsgnjx.${suffix}`, 0x10, 0, 2, [t, t], t);
    add(`fmin.${suffix}`, 0x14, 0, 0, [t, t], t);
    add(`fmax.${suffix}`, 0x14, 0, 1, [t, t], t);
    add(`fle.${suffix}`, 0x50, 0, 0, [t, t], 'X');
    add(`flt.${suffix}`, 0x50, 0, 1, [t, t], 'X');
    add(`feq.${suffix}`, 0x50, 0, 2, [t, t], 'X');
    add(`fclass.${suffix}`, 0x70, 0, 1, [t], 'X');
    ['w', 'wu', 'l', 'lu'].forEach((k, i) => {
      add(`fcvt.${k}.${suffix}`, 0x60, i, -1, [t], 'X');
      add(`fcvt.${suffix}.${k}`, 0x68, i, -1, ['X'], t);
    });
    [['fmadd', 0x43], ['fmsub', 0x47], ['fnmsub', 0x4b], ['fnmadd', 0x4f]].forEach(([n, oc]) => {
      add(`${n as string}.${suffix}`, 0, 0, -1, [t, t, t], t, oc as number);
    });
  }
  m.set('fmv.x.w', { opcode: 0x53, f7: 0x70, rs2: 0, rm: 0, src: ['S'], dst: 'X' });
  m.set('fmv.x.d', { opcode: 0x53, f7: 0x71, rs2: 0, rm: 0, src: ['D'], dst: 'X' });
  m.set('fmv.w.x', { opcode: 0x53, f7: 0x78, rs2: 0, rm: 0, src: ['X'], dst: 'S' });
  m.set('fmv.d.x', { opcode: 0x53, f7: 0x79, rs2: 0, rm: 0, src: ['X'], dst: 'D' });
  m.set('fcvt.s.d', { opcode: 0x53, f7: 0x20, rs2: 1, rm: -1, src: ['D'], dst: 'S' });
  m.set('fcvt.d.s', { opcode: 0x53, f7: 0x21, rs2: 0, rm: -1, src: ['S'], dst: 'D' });
  return m;
}

function newCtx(): FpContext {
  return { xLo: new Int32Array(32), xHi: new Int32Array(32), fLo: new Int32Array(32), fHi: new Int32Array(32), fflags: 0, frm: 0 };
}

function hex64(s: string): [number, number] {
  const v = BigInt('0x' + s);
  return [Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0];
}

interface Outcome { total: number; failures: string[]; byOp: Map<string, [number, number]> }

export function runVectors(lines: string[]): Outcome {
  const ops = opTable();
  const failures: string[] = [];
  const byOp = new Map<string, [number, number]>();
  const ctx = newCtx();
  let total = 0;
  lines.forEach((line, idx) => {
    if (line === '') return;
    const [name, rmS, aS, bS, cS, resS, flS] = line.split(' ') as [string, string, string, string, string, string, string];
    const info = ops.get(name);
    if (!info) throw new Error(`unknown op ${name}`);
    total++;
    const vrm = rmS === '-' ? 0 : Number(rmS);
    // alternate between a static rm field and DYN with frm, so both paths see every vector kind
    let rmField = info.rm;
    ctx.frm = (vrm + 1) % 5;
    if (rmField < 0) {
      if (idx % 2 === 0) rmField = vrm;
      else {
        rmField = 7;
        ctx.frm = vrm;
      }
    }
    const regs = [1, 2, 3];
    [aS, bS, cS].forEach((s, i) => {
      if (s === '-') return;
      const ty = info.src[i]!;
      if (ty === 'X') {
        const [lo, hi] = hex64(s);
        ctx.xLo[regs[i]!] = lo;
        ctx.xHi[regs[i]!] = hi;
      } else if (ty === 'S') {
        ctx.fLo[regs[i]!] = Number.parseInt(s, 16) | 0;
        ctx.fHi[regs[i]!] = -1;
      } else {
        const [lo, hi] = hex64(s);
        ctx.fLo[regs[i]!] = lo;
        ctx.fHi[regs[i]!] = hi;
      }
    });
    const rd = 5;
    ctx.fLo[rd] = 0x12345678;
    ctx.fHi[rd] = 0x9abcdef;
    ctx.xLo[rd] = 0x12345678;
    ctx.xHi[rd] = 0x9abcdef;
    ctx.fflags = 0;
    const insn = (info.opcode === 0x53 ? info.f7 << 25 : ((3 << 27) | ((info.f7 & 1) << 25))) |
      ((info.src.length >= 2 ? 2 : info.rs2) << 20) | (1 << 15) | (rmField << 12) | (rd << 7) | info.opcode;
    const ok = execFp(ctx, insn);
    let got: string;
    if (!ok) got = 'illegal';
    else if (info.dst === 'X') got = (BigInt(ctx.xHi[rd]! >>> 0) << 32n | BigInt(ctx.xLo[rd]! >>> 0)).toString(16).padStart(16, '0');
    else if (info.dst === 'S') got = ctx.fHi[rd] === -1 ? (ctx.fLo[rd]! >>> 0).toString(16).padStart(8, '0') : 'unboxed';
    else got = (BigInt(ctx.fHi[rd]! >>> 0) << 32n | BigInt(ctx.fLo[rd]! >>> 0)).toString(16).padStart(16, '0');
    const gotFl = ctx.fflags.toString(16).padStart(2, '0');
    const stat = byOp.get(name) ?? [0, 0];
    stat[1]++;
    if (got === resS && gotFl === flS) stat[0]++;
    else failures.push(`${line}  => got ${got} ${gotFl} (rm field ${rmField}, frm ${ctx.frm})`);
    byOp.set(name, stat);
  });
  return { total, failures, byOp };
}

// FPU_VECTORS=/path/to/other.txt.gz runs a larger sample made by tools/fpu-vectors/regen.sh
const extra = process.env['FPU_VECTORS'];
const fixture = extra ?? new URL('./fixtures/fpu-vectors.txt.gz', import.meta.url);

describe('FPU reference vectors (qemu-riscv64)', () => {
  it('matches every vector bit-exactly, flags included', () => {
    const lines = gunzipSync(readFileSync(fixture)).toString('utf8').split('\n');
    const { total, failures, byOp } = runVectors(lines);
    expect(total).toBeGreaterThan(10000);
    expect(byOp.size).toBe(58);
    if (extra) console.log(`${total} vectors, ${failures.length} failures`);
    expect(failures.slice(0, 30)).toEqual([]);
  });
});
