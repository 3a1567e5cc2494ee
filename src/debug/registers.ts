/**
 * The hart's registers as GDB's RISC-V target numbers them, and the target
 * description (qXfer:features:read:target.xml) that tells GDB so:
 * x0-x31 are 0-31, pc 32, f0-f31 33-64, CSRs 65 + CSR number (fflags 66,
 * frm 67, fcsr 68), and the virtual `priv` register after the CSRs (4161).
 */
import type { Hart } from '../machine/cpu/hart.js';
import { CSR } from '../machine/cpu/csr-numbers.js';

export const REG_PC = 32;
export const REG_F0 = 33;
export const REG_CSR0 = 65;
export const REG_PRIV = REG_CSR0 + 4096;
/** Registers in the `g` packet: x0-x31 and pc (the rest GDB reads with `p`). */
export const G_REGS = 33;

const X_NAMES = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
  's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const F_NAMES = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5', 'fa6', 'fa7',
  'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];

/** The CSRs a kernel developer reads (GDB shows them with `info registers` / `p $scause`). */
const CSRS: ReadonlyArray<[string, number]> = [
  ['sstatus', CSR.sstatus], ['sie', CSR.sie], ['stvec', CSR.stvec], ['sscratch', CSR.sscratch], ['sepc', CSR.sepc],
  ['scause', CSR.scause], ['stval', CSR.stval], ['sip', CSR.sip], ['satp', CSR.satp],
  ['mstatus', CSR.mstatus], ['misa', CSR.misa], ['medeleg', CSR.medeleg], ['mideleg', CSR.mideleg], ['mie', CSR.mie],
  ['mtvec', CSR.mtvec], ['mscratch', CSR.mscratch], ['mepc', CSR.mepc], ['mcause', CSR.mcause], ['mtval', CSR.mtval],
  ['mip', CSR.mip], ['mhartid', CSR.mhartid], ['cycle', CSR.cycle], ['time', CSR.time], ['instret', CSR.instret],
];
const CSR_SET = new Set(CSRS.map(([, n]) => n));

export function targetXml(): string {
  const reg = (name: string, n: number, bits: number, type: string, group?: string): string =>
    `<reg name="${name}" bitsize="${bits}" regnum="${n}" type="${type}"${group ? ` group="${group}"` : ''}/>`;
  const cpu = X_NAMES.map((nm, i) => reg(nm, i, 64, i === 1 ? 'code_ptr' : i === 2 || i === 8 ? 'data_ptr' : 'int')).join('') + reg('pc', REG_PC, 64, 'code_ptr');
  const fpu = F_NAMES.map((nm, i) => reg(nm, REG_F0 + i, 64, 'ieee_double', 'float')).join('')
    + reg('fflags', REG_CSR0 + CSR.fflags, 32, 'int', 'float') + reg('frm', REG_CSR0 + CSR.frm, 32, 'int', 'float') + reg('fcsr', REG_CSR0 + CSR.fcsr, 32, 'int', 'float');
  const csr = CSRS.map(([nm, n]) => reg(nm, REG_CSR0 + n, 64, 'int', 'system')).join('');
  return '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">'
    + '<architecture>riscv:rv64</architecture>'
    + `<feature name="org.gnu.gdb.riscv.cpu">${cpu}</feature>`
    + `<feature name="org.gnu.gdb.riscv.fpu">${fpu}</feature>`
    + `<feature name="org.gnu.gdb.riscv.csr">${csr}</feature>`
    + `<feature name="org.gnu.gdb.riscv.virtual">${reg('priv', REG_PRIV, 64, 'int', 'system')}</feature>`
    + '</target>';
}

const M64 = (1n << 64n) - 1n;

function pair(lo: number, hi: number): bigint {
  return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) & M64;
}

/** Size in bytes of register n; 0 when there is no such register. */
export function registerSize(n: number): number {
  if (n >= 0 && n <= REG_PC + 32) return 8;
  if (n === REG_CSR0 + CSR.fflags || n === REG_CSR0 + CSR.frm || n === REG_CSR0 + CSR.fcsr) return 4;
  if (n === REG_PRIV) return 8;
  if (n > REG_CSR0 && CSR_SET.has(n - REG_CSR0)) return 8;
  return 0;
}

/** Reads register n (GDB numbering); null when it does not exist. Reads have no side effects. */
export function readRegister(h: Hart, n: number): bigint | null {
  if (n >= 0 && n < 32) return n === 0 ? 0n : pair(h.xLo[n], h.xHi[n]);
  if (n === REG_PC) return pair(h.pcLo, h.pcHi);
  if (n >= REG_F0 && n < REG_F0 + 32) return pair(h.fLo[n - REG_F0], h.fHi[n - REG_F0]);
  if (n === REG_PRIV) return BigInt(h.priv);
  const csr = n - REG_CSR0;
  // the FP CSRs read directly (the instruction forms trap while mstatus.FS is off)
  if (csr === CSR.fflags) return BigInt(h.fflags);
  if (csr === CSR.frm) return BigInt(h.frm);
  if (csr === CSR.fcsr) return BigInt((h.frm << 5) | h.fflags);
  if (!CSR_SET.has(csr)) return null;
  // a debugger sees every CSR whatever the current privilege
  const saved = h.priv;
  h.priv = 3;
  try {
    if (!h.csrRead(csr)) return 0n;
    const [lo, hi] = h.csrResult();
    return pair(lo, hi);
  } finally {
    h.priv = saved;
  }
}

/** Writes register n; false when it does not exist or is read-only. */
export function writeRegister(h: Hart, n: number, v: bigint): boolean {
  const lo = Number(v & 0xffffffffn) | 0;
  const hi = Number((v >> 32n) & 0xffffffffn) | 0;
  if (n === 0) return true;
  if (n > 0 && n < 32) { h.xLo[n] = lo; h.xHi[n] = hi; return true; }
  if (n === REG_PC) { h.pcLo = lo & ~1; h.pcHi = hi; return true; }
  if (n >= REG_F0 && n < REG_F0 + 32) { h.fLo[n - REG_F0] = lo; h.fHi[n - REG_F0] = hi; return true; }
  const csr = n - REG_CSR0;
  if (csr === CSR.fflags) { h.fflags = lo & 0x1f; return true; }
  if (csr === CSR.frm) { h.frm = lo & 7; return true; }
  if (csr === CSR.fcsr) { h.fflags = lo & 0x1f; h.frm = (lo >>> 5) & 7; return true; }
  if (n === REG_PRIV || !CSR_SET.has(csr)) return false;
  return h.csrWrite(csr, lo, hi);
}
