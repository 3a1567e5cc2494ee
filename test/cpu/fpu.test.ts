import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { execFp, type FpContext } from '../../src/machine/cpu/fpu.js';
import { F32, F64, sfAdd, sfDiv, sfFma, sfMul, sfSqrt, sfStatus } from '../../src/machine/cpu/fpu-softfloat.js';

const NV = 16, DZ = 8, NX = 1;

function ctx(): FpContext {
  return { xLo: new Int32Array(32), xHi: new Int32Array(32), fLo: new Int32Array(32), fHi: new Int32Array(32), fflags: 0, frm: 0 };
}

/** R-type OP-FP encoding. */
function opfp(f7: number, rs2: number, rs1: number, rm: number, rd: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x53) >>> 0;
}

function r4(opcode: number, fmt: number, rs3: number, rs2: number, rs1: number, rm: number, rd: number): number {
  return ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode) >>> 0;
}

function setS(c: FpContext, r: number, bits: number): void {
  c.fLo[r] = bits | 0;
  c.fHi[r] = -1;
}

function setD(c: FpContext, r: number, v: bigint): void {
  c.fLo[r] = Number(v & 0xffffffffn) | 0;
  c.fHi[r] = Number(v >> 32n) | 0;
}

function getD(c: FpContext, r: number): bigint {
  return (BigInt(c.fHi[r]! >>> 0) << 32n) | BigInt(c.fLo[r]! >>> 0);
}

function getX(c: FpContext, r: number): bigint {
  return (BigInt(c.xHi[r]! >>> 0) << 32n) | BigInt(c.xLo[r]! >>> 0);
}

function snapshot(c: FpContext): string {
  return JSON.stringify([[...c.xLo], [...c.xHi], [...c.fLo], [...c.fHi], c.fflags, c.frm]);
}

const FADD_S = 0x00, FADD_D = 0x01, FSGNJ_S = 0x10, FMIN_S = 0x14, FMIN_D = 0x15, FCMP_S = 0x50, FCMP_D = 0x51;
const FCVT_INT_S = 0x60, FCVT_INT_D = 0x61, FMVX_S = 0x70, FMVX_D = 0x71, FCVT_S_D = 0x20, FCVT_D_S = 0x21;

describe('NaN-boxing', () => {
  it('reads an improperly boxed single as the canonical NaN (quiet: no NV)', () => {
    const c = ctx();
    c.fLo[1] = 0x3f800000; // 1.0f but not boxed
    c.fHi[1] = 0;
    setS(c, 2, 0x3f800000);
    expect(execFp(c, opfp(FADD_S, 2, 1, 0, 3))).toBe(true);
    expect(c.fLo[3]! >>> 0).toBe(0x7fc00000);
    expect(c.fHi[3]).toBe(-1);
    expect(c.fflags).toBe(0);
  });

  it('applies to FSGNJ, FCLASS and FCVT.D.S but not to FMV.X.W', () => {
    const c = ctx();
    setD(c, 1, 0x40091eb851eb851fn); // a double in f1: as a single it is unboxed
    setS(c, 2, 0x80000000); // -0.0f
    execFp(c, opfp(FSGNJ_S, 2, 1, 0, 3));
    expect([c.fLo[3]! >>> 0, c.fHi[3]]).toEqual([0xffc00000, -1]);
    execFp(c, opfp(FMVX_S, 0, 1, 1, 5)); // FCLASS.S
    expect(getX(c, 5)).toBe(1n << 9n);
    execFp(c, opfp(FCVT_D_S, 0, 1, 0, 4));
    expect(getD(c, 4)).toBe(0x7ff8000000000000n);
    execFp(c, opfp(FMVX_S, 0, 1, 0, 6)); // FMV.X.W: raw low bits, sign-extended
    expect(getX(c, 6)).toBe(0x51eb851fn);
    c.fLo[1] = 0x80000001 | 0;
    execFp(c, opfp(FMVX_S, 0, 1, 0, 6));
    expect(getX(c, 6)).toBe(0xffffffff80000001n);
    expect(c.fflags).toBe(0);
  });

  it('writes every single-precision result NaN-boxed', () => {
    const c = ctx();
    c.xLo[1] = 7;
    execFp(c, opfp(0x68, 0, 1, 0, 2)); // FCVT.S.W
    expect([c.fLo[2], c.fHi[2]]).toEqual([0x40e00000, -1]);
    c.xLo[1] = 0x12345678;
    c.xHi[1] = 0x11111111;
    execFp(c, opfp(0x78, 0, 1, 0, 3)); // FMV.W.X
    expect([c.fLo[3], c.fHi[3]]).toEqual([0x12345678, -1]);
    setD(c, 4, 0x3ff0000000000000n);
    execFp(c, opfp(FCVT_S_D, 1, 4, 0, 5));
    expect([c.fLo[5], c.fHi[5]]).toEqual([0x3f800000, -1]);
  });
});

describe('illegal encodings leave everything untouched', () => {
  const cases: [string, number, number][] = [
    ['FADD.S rm=5', opfp(FADD_S, 2, 1, 5, 3), 0],
    ['FADD.D rm=6', opfp(FADD_D, 2, 1, 6, 3), 0],
    ['FADD.D DYN with frm=5', opfp(FADD_D, 2, 1, 7, 3), 5],
    ['FSQRT.S DYN with frm=7', opfp(0x2c, 0, 1, 7, 3), 7],
    ['FMADD.D rm=5', r4(0x43, 1, 3, 2, 1, 5, 4), 0],
    ['FNMADD.S DYN frm=6', r4(0x4f, 0, 3, 2, 1, 7, 4), 6],
    ['FMADD.H (fmt 2)', r4(0x43, 2, 3, 2, 1, 0, 4), 0],
    ['FMADD.Q (fmt 3)', r4(0x43, 3, 3, 2, 1, 0, 4), 0],
    ['FADD.H', opfp(0x02, 2, 1, 0, 3), 0],
    ['FADD.Q', opfp(0x03, 2, 1, 0, 3), 0],
    ['FSGNJ.S funct3=3', opfp(FSGNJ_S, 2, 1, 3, 3), 0],
    ['FMIN.D funct3=2', opfp(FMIN_D, 2, 1, 2, 3), 0],
    ['FEQ.S funct3=3', opfp(FCMP_S, 2, 1, 3, 3), 0],
    ['FSQRT.D rs2=1', opfp(0x2d, 1, 1, 0, 3), 0],
    ['FCVT.S.D rs2=0', opfp(FCVT_S_D, 0, 1, 0, 3), 0],
    ['FCVT.D.S rs2=1', opfp(FCVT_D_S, 1, 1, 0, 3), 0],
    ['FCVT.W.S rs2=4', opfp(FCVT_INT_S, 4, 1, 0, 3), 0],
    ['FCVT.L.D rm=5', opfp(FCVT_INT_D, 2, 1, 5, 3), 0],
    ['FCVT.D.L DYN frm=5', opfp(0x69, 2, 1, 7, 3), 5],
    ['FCVT.D.W rm=6', opfp(0x69, 0, 1, 6, 3), 0],
    ['FMV.X.W funct3=2', opfp(FMVX_S, 0, 1, 2, 3), 0],
    ['FCLASS.D rs2=1', opfp(FMVX_D, 1, 1, 1, 3), 0],
    ['FMV.W.X funct3=1', opfp(0x78, 0, 1, 1, 3), 0],
    ['unknown funct7', opfp(0x7c, 0, 1, 0, 3), 0],
    ['not an FP opcode', 0x00000013, 0],
  ];
  for (const [name, insn, frm] of cases) {
    it(name, () => {
      const c = ctx();
      for (let i = 0; i < 32; i++) {
        c.xLo[i] = i === 0 ? 0 : i * 3;
        c.fLo[i] = 0x3f800000 + i;
        c.fHi[i] = -1;
      }
      c.frm = frm;
      c.fflags = 2;
      const before = snapshot(c);
      expect(execFp(c, insn)).toBe(false);
      expect(snapshot(c)).toBe(before);
    });
  }

  it('accepts DYN with every valid frm', () => {
    for (let frm = 0; frm <= 4; frm++) {
      const c = ctx();
      c.frm = frm;
      expect(execFp(c, opfp(FADD_D, 2, 1, 7, 3))).toBe(true);
    }
  });
});

describe('integer destination x0 is never written', () => {
  const c = ctx();
  setS(c, 1, 0x7f800001); // sNaN
  setD(c, 2, 0x4415af1d78b58c40n); // 1e20
  const ops: [string, number, number][] = [
    ['FEQ.S', opfp(FCMP_S, 1, 1, 2, 0), NV],
    ['FLE.D', opfp(FCMP_D, 2, 2, 0, 0), 0],
    ['FCLASS.S', opfp(FMVX_S, 0, 1, 1, 0), 0],
    ['FMV.X.W', opfp(FMVX_S, 0, 1, 0, 0), 0],
    ['FMV.X.D', opfp(FMVX_D, 0, 2, 0, 0), 0],
    ['FCVT.W.S', opfp(FCVT_INT_S, 0, 1, 0, 0), NV],
    ['FCVT.LU.D', opfp(FCVT_INT_D, 3, 2, 1, 0), NV],
    ['FCVT.W.D', opfp(FCVT_INT_D, 0, 2, 1, 0), NV],
  ];
  for (const [name, insn, flags] of ops) {
    it(`${name} with rd=0 executes (flags ${flags}) but leaves x0 alone`, () => {
      c.fflags = 0;
      expect(execFp(c, insn)).toBe(true);
      expect([c.xLo[0], c.xHi[0]]).toEqual([0, 0]);
      expect(c.fflags).toBe(flags);
    });
  }
});

describe('spec corner cases', () => {
  it('FMIN/FMAX 2019 semantics', () => {
    const c = ctx();
    setD(c, 1, 0x8000000000000000n); // -0
    setD(c, 2, 0n); // +0
    execFp(c, opfp(FMIN_D, 2, 1, 0, 3));
    expect(getD(c, 3)).toBe(0x8000000000000000n);
    execFp(c, opfp(FMIN_D, 1, 2, 1, 3)); // FMAX(+0, -0)
    expect(getD(c, 3)).toBe(0n);
    setS(c, 4, 0x7f800001); // sNaN
    setS(c, 5, 0x3f800000);
    execFp(c, opfp(FMIN_S, 5, 4, 1, 6));
    expect(c.fLo[6]).toBe(0x3f800000);
    expect(c.fflags).toBe(NV);
    c.fflags = 0;
    setS(c, 7, 0x7fc00001);
    execFp(c, opfp(FMIN_S, 7, 7, 0, 6));
    expect(c.fLo[6]).toBe(0x7fc00000);
    expect(c.fflags).toBe(0);
  });

  it('FLT signals on quiet NaN, FEQ does not', () => {
    const c = ctx();
    setS(c, 1, 0x7fc00000);
    execFp(c, opfp(FCMP_S, 1, 1, 2, 5));
    expect([getX(c, 5), c.fflags]).toEqual([0n, 0]);
    execFp(c, opfp(FCMP_S, 1, 1, 1, 5));
    expect([getX(c, 5), c.fflags]).toEqual([0n, NV]);
  });

  it('conversion saturation and sign extension', () => {
    const c = ctx();
    setS(c, 1, 0x4f32d05e); // ~3e9
    execFp(c, opfp(FCVT_INT_S, 1, 1, 1, 5)); // FCVT.WU.S: fits, sign-extended from bit 31
    expect(getX(c, 5)).toBe(0xffffffffb2d05e00n);
    execFp(c, opfp(FCVT_INT_S, 0, 1, 1, 5)); // FCVT.W.S: out of range
    expect([getX(c, 5), c.fflags]).toEqual([0x7fffffffn, NV]);
    c.fflags = 0;
    setD(c, 2, 0xbff0000000000000n); // -1.0
    execFp(c, opfp(FCVT_INT_D, 3, 2, 1, 5)); // FCVT.LU.D
    expect([getX(c, 5), c.fflags]).toEqual([0n, NV]);
    c.fflags = 0;
    setD(c, 2, 0xbfe0000000000000n); // -0.5 rounds to 0 under RTZ: inexact, not invalid
    execFp(c, opfp(FCVT_INT_D, 1, 2, 1, 5));
    expect([getX(c, 5), c.fflags]).toEqual([0n, NX]);
    c.fflags = 0;
    setD(c, 2, 0x7ff4000000000000n); // sNaN
    execFp(c, opfp(FCVT_INT_D, 1, 2, 1, 5)); // WU: NaN gives 2^32-1 sign-extended
    expect([getX(c, 5), c.fflags]).toEqual([0xffffffffffffffffn, NV]);
  });

  it('FMA: inf*0 + qNaN signals invalid; 1/0 signals DZ', () => {
    const c = ctx();
    setD(c, 1, 0x7ff0000000000000n);
    setD(c, 2, 0n);
    setD(c, 3, 0x7ff8000000000000n);
    execFp(c, r4(0x43, 1, 3, 2, 1, 0, 4));
    expect([getD(c, 4), c.fflags]).toEqual([0x7ff8000000000000n, NV]);
    c.fflags = 0;
    setD(c, 1, 0x3ff0000000000000n);
    execFp(c, opfp(0x0d, 2, 1, 0, 4));
    expect([getD(c, 4), c.fflags]).toEqual([0x7ff0000000000000n, DZ]);
  });

  it('static rm overrides frm', () => {
    const c = ctx();
    c.frm = 3; // RUP
    setD(c, 1, 0x3ff0000000000000n);
    setD(c, 2, 0x3ca0000000000001n); // just over half an ulp of 1.0
    execFp(c, opfp(FADD_D, 2, 1, 1, 3)); // RTZ
    expect(getD(c, 3)).toBe(0x3ff0000000000000n);
    execFp(c, opfp(FADD_D, 2, 1, 7, 3)); // DYN = RUP
    expect(getD(c, 3)).toBe(0x3ff0000000000001n);
  });
});

// The native fast paths must agree with the exact slow path on every operand.
describe('fast path agrees with the exact soft-float path (RNE)', () => {
  const bits64 = fc.oneof(
    fc.bigInt(0n, (1n << 64n) - 1n),
    fc.double({ noNaN: true }).map((d) => new BigUint64Array(new Float64Array([d]).buffer)[0]!),
  );
  const bits32 = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.float({ noNaN: true }).map((f) => new Uint32Array(new Float32Array([f]).buffer)[0]!),
  );
  const dOps: [string, number, (a: bigint, b: bigint) => bigint][] = [
    ['FADD.D', 0x01, (a, b) => sfAdd(F64, a, b, 0)],
    ['FSUB.D', 0x05, (a, b) => sfAdd(F64, a, b ^ (1n << 63n), 0)],
    ['FMUL.D', 0x09, (a, b) => sfMul(F64, a, b, 0)],
    ['FDIV.D', 0x0d, (a, b) => sfDiv(F64, a, b, 0)],
    ['FSQRT.D', 0x2d, (a) => sfSqrt(F64, a, 0)],
  ];
  for (const [name, f7, ref] of dOps) {
    it(name, () => {
      fc.assert(fc.property(bits64, bits64, (a, b) => {
        const c = ctx();
        setD(c, 1, a);
        setD(c, 2, b);
        execFp(c, opfp(f7, f7 === 0x2d ? 0 : 2, 1, 0, 3));
        sfStatus.flags = 0;
        const want = ref(a, b);
        expect([getD(c, 3).toString(16), c.fflags]).toEqual([want.toString(16), sfStatus.flags]);
      }), { numRuns: 3000 });
    });
  }
  it('FMADD.D (round-to-odd emulation)', () => {
    const near = fc.tuple(bits64, bits64, fc.integer({ min: -3, max: 3 }), fc.boolean()).map(([a, b, d, useNear]) => {
      // c close to -(a*b) exercises cancellation
      const p = new Float64Array([-(new Float64Array(new BigUint64Array([a, b]).buffer).reduce((x, y) => x * y))]);
      const cb = BigInt.asUintN(64, new BigUint64Array(p.buffer)[0]! + BigInt(d));
      return [a, b, useNear ? cb : BigInt.asUintN(64, b * 0x9e3779b97f4a7c15n)] as const;
    });
    fc.assert(fc.property(near, ([a, b, cc]) => {
      const c = ctx();
      setD(c, 1, a);
      setD(c, 2, b);
      setD(c, 3, cc);
      execFp(c, r4(0x43, 1, 3, 2, 1, 0, 4));
      sfStatus.flags = 0;
      const want = sfFma(F64, a, b, cc, 0);
      expect([getD(c, 4).toString(16), c.fflags]).toEqual([want.toString(16), sfStatus.flags]);
    }), { numRuns: 20000 });
  });
  const sOps: [string, number, (a: bigint, b: bigint) => bigint][] = [
    ['FADD.S', 0x00, (a, b) => sfAdd(F32, a, b, 0)],
    ['FMUL.S', 0x08, (a, b) => sfMul(F32, a, b, 0)],
    ['FDIV.S', 0x0c, (a, b) => sfDiv(F32, a, b, 0)],
    ['FSQRT.S', 0x2c, (a) => sfSqrt(F32, a, 0)],
  ];
  for (const [name, f7, ref] of sOps) {
    it(name, () => {
      fc.assert(fc.property(bits32, bits32, (a, b) => {
        const c = ctx();
        setS(c, 1, a);
        setS(c, 2, b);
        execFp(c, opfp(f7, f7 === 0x2c ? 0 : 2, 1, 0, 3));
        sfStatus.flags = 0;
        const want = ref(BigInt(a), BigInt(b));
        expect([(c.fLo[3]! >>> 0).toString(16), c.fflags]).toEqual([want.toString(16), sfStatus.flags]);
      }), { numRuns: 3000 });
    });
  }
});
