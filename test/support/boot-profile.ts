/**
 * What a guest run executes, for tuning the engines' tier-up
 * (`npm run bench:boot -- --profile`): instructions by how often their block
 * leader runs, by privilege, and what a perfect tier-up with a given hot
 * threshold could cover; traps, xRETs, satp writes, sfence.vma, MMIO and DMA
 * from the instrumentation hooks; TLB fills, page walks, code-page drops and
 * slice ends from the hart's counters (cpu/hart-stats.ts).
 *
 * A block is what the hart calls one: it starts at a leader (after a jump, a
 * branch, a trap or xRET, an instruction off the inline path such as a CSR or
 * AMO, an MMIO access, or a new slice) and runs to the next leader. Leaders are
 * keyed by physical address, as the hart keys heat and translations.
 * Instrumentation makes the hart interpret, so this observes the interpreter's
 * view; the guest computes the same either way.
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { addrHex, type Instrumentation } from '../../src/machine/cpu/instrumentation.js';
import { HART_STAT_NAMES } from '../../src/machine/cpu/hart-stats.js';

/** Hot thresholds a perfect tier-up is evaluated at (executions of a leader before its block runs translated). */
export const PROFILE_THRESHOLDS = [1, 10, 100, 1000, 2000, 20000] as const;
/** Buckets of the histogram by leader executions over the whole run. */
export const PROFILE_BUCKETS = [1, 10, 100, 1000, 20000] as const;

const PRIV_NAMES: Record<number, string> = { 0: 'U', 1: 'S', 3: 'M' };

/** Instructions after which the hart starts a new block (control transfers and everything it runs through execSlot). */
function endsBlock(insn: number): boolean {
  const op = insn & 0x7f;
  switch (op) {
    case 0x63: case 0x6f: case 0x67: case 0x73: case 0x2f: // branch, jal, jalr, system/CSR, AMO
    case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: // FP
      return true;
    case 0x0f: return ((insn >>> 12) & 7) === 1; // fence.i
    default: return false;
  }
}

export interface BootProfile {
  instructions: number;
  leaders: number;
  blocksRun: number;
  byPriv: Record<string, number>;
  /** Instructions in blocks whose leader ran at least N times over the run. */
  byLeaderCount: Array<{ atLeast: number; instructions: number }>;
  /** Instructions a perfect tier-up with threshold T would run translated (every execution from the T-th on). */
  coverage: Array<{ threshold: number; instructions: number; blocks: number; translated: number }>;
  /** Mean instructions per block execution. */
  meanBlock: number;
  traps: Record<string, number>;
  events: Record<string, number>;
  hart: Record<string, number>;
  top: Array<{ where: string; priv: string; runs: number; instructions: number }>;
}

/** Kernel code symbols (lo 32 bits of the address -> name), from guest/images/vmlinux-symbols.gz, for naming hot blocks. */
export function kernelSymbols(imagesDir: string): { starts: Uint32Array; names: string[] } | null {
  const path = join(imagesDir, 'vmlinux-symbols.gz');
  if (!existsSync(path)) return null;
  const elf = gunzipSync(readFileSync(path));
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.length);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true), shnum = dv.getUint16(0x3c, true);
  const syms: Array<[number, string]> = [];
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    if (dv.getUint32(sh + 4, true) !== 2) continue; // SHT_SYMTAB
    const off = Number(dv.getBigUint64(sh + 0x18, true)), size = Number(dv.getBigUint64(sh + 0x20, true));
    const link = dv.getUint32(sh + 0x28, true);
    const strOff = Number(dv.getBigUint64(shoff + link * shentsize + 0x18, true));
    for (let p = off; p + 24 <= off + size; p += 24) {
      const type = dv.getUint8(p + 4) & 0xf;
      if (type !== 2 && type !== 0) continue; // STT_FUNC, or STT_NOTYPE (assembly such as memcpy)
      const name = dv.getUint32(p, true);
      let end = strOff + name;
      while (elf[end] !== 0) end++;
      const text = elf.toString('latin1', strOff + name, end);
      if (text === '' || text.startsWith('$')) continue; // mapping symbols ($x...)
      syms.push([dv.getUint32(p + 8, true), text]);
    }
  }
  syms.sort((a, b) => a[0] - b[0]);
  return { starts: Uint32Array.from(syms.map((s) => s[0])), names: syms.map((s) => s[1]) };
}

export class BootProfiler implements Instrumentation {
  private insns = 0;
  private readonly byPriv = new Float64Array(4);
  /** Leader physical address -> index into the arrays below. */
  private readonly index = new Map<number, number>();
  private runs = new Float64Array(1 << 15);
  private insnsOf = new Float64Array(1 << 15);
  private pcLoOf = new Int32Array(1 << 15);
  private pcHiOf = new Int32Array(1 << 15);
  private privOf = new Uint8Array(1 << 15);
  private readonly covered = new Float64Array(PROFILE_THRESHOLDS.length);
  private readonly coveredBlocks = new Float64Array(PROFILE_THRESHOLDS.length);
  private blocks = 0;
  private cur = -1;
  private curRun = 0;
  private curLen = 0;
  private nextIsLeader = true;
  private fallLo = -1;
  private fallHi = -1;
  private readonly traps = new Map<string, number>();
  private readonly events = new Map<string, number>();

  private count(name: string, map = this.events): void {
    map.set(name, (map.get(name) ?? 0) + 1);
  }

  private endBlock(): void {
    if (this.cur < 0) return;
    this.insnsOf[this.cur] += this.curLen;
    for (let t = 0; t < PROFILE_THRESHOLDS.length; t++) {
      if (this.curRun >= PROFILE_THRESHOLDS[t]) { this.covered[t] += this.curLen; this.coveredBlocks[t]++; }
    }
    this.cur = -1;
  }

  insn(pcLo: number, pcHi: number, pa: number, insn: number, len: number, priv: number): void {
    this.insns++;
    this.byPriv[priv]++;
    if (this.nextIsLeader || pcLo !== this.fallLo || pcHi !== this.fallHi) {
      this.endBlock();
      let k = this.index.get(pa);
      if (k === undefined) {
        k = this.index.size;
        if (k === this.runs.length) this.grow();
        this.index.set(pa, k);
        this.pcLoOf[k] = pcLo;
        this.pcHiOf[k] = pcHi;
        this.privOf[k] = priv;
      }
      this.cur = k;
      this.curRun = ++this.runs[k];
      this.curLen = 0;
      this.blocks++;
    }
    this.curLen++;
    this.nextIsLeader = endsBlock(insn);
    if ((insn & 0xfe007fff) === 0x12000073) this.count('sfence.vma');
    const n = (pcLo + len) | 0;
    this.fallLo = n;
    this.fallHi = (n >>> 0) < len ? (pcHi + 1) | 0 : pcHi;
  }

  private grow(): void {
    const g = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => { const b = make(a.length * 2); b.set(a); return b; };
    this.runs = g(this.runs, (n) => new Float64Array(n));
    this.insnsOf = g(this.insnsOf, (n) => new Float64Array(n));
    this.pcLoOf = g(this.pcLoOf, (n) => new Int32Array(n));
    this.pcHiOf = g(this.pcHiOf, (n) => new Int32Array(n));
    this.privOf = g(this.privOf, (n) => new Uint8Array(n));
  }

  trap(cause: number, interrupt: boolean, _epcLo: number, _epcHi: number, _tvalLo: number, _tvalHi: number, from: number, to: number): void {
    this.nextIsLeader = true;
    this.count(`${interrupt ? 'irq' : 'exc'} ${cause} ${PRIV_NAMES[from]}->${PRIV_NAMES[to]}`, this.traps);
  }

  xret(from: number, to: number): void {
    this.count(`${from === 3 ? 'mret' : 'sret'} ->${PRIV_NAMES[to]}`);
  }

  csrWrite(csr: number): void {
    if (csr === 0x180) this.count('satp write');
  }

  mmio(pa: number, _size: number, _value: number, write: boolean): void {
    this.nextIsLeader = true; // the hart ends the slice after a device access
    this.count(`mmio ${write ? 'write' : 'read'} ${deviceName(pa)}`);
  }

  dma(_pa: number, length: number, write: boolean): void {
    this.count(`dma ${write ? 'write' : 'read'}`);
    this.events.set(`dma ${write ? 'write' : 'read'} bytes`, (this.events.get(`dma ${write ? 'write' : 'read'} bytes`) ?? 0) + length);
  }

  /** The findings; `hartStats` from hart.stats, `symbols` to name kernel blocks. */
  result(hartStats: Float64Array, symbols: ReturnType<typeof kernelSymbols>): BootProfile {
    this.endBlock();
    const n = this.index.size;
    const byLeaderCount = PROFILE_BUCKETS.map((atLeast) => {
      let s = 0;
      for (let k = 0; k < n; k++) if (this.runs[k] >= atLeast) s += this.insnsOf[k];
      return { atLeast, instructions: s };
    });
    const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => this.insnsOf[b] - this.insnsOf[a]).slice(0, 15);
    const hart: Record<string, number> = {};
    HART_STAT_NAMES.forEach((name, i) => { hart[name] = hartStats[i]; });
    return {
      instructions: this.insns,
      leaders: n,
      blocksRun: this.blocks,
      byPriv: { M: this.byPriv[3], S: this.byPriv[1], U: this.byPriv[0] },
      byLeaderCount,
      coverage: PROFILE_THRESHOLDS.map((threshold, t) => {
        let translated = 0;
        for (let k = 0; k < n; k++) if (this.runs[k] >= threshold) translated++;
        return { threshold, instructions: this.covered[t], blocks: this.coveredBlocks[t], translated };
      }),
      meanBlock: this.insns / Math.max(1, this.blocks),
      traps: Object.fromEntries([...this.traps].sort((a, b) => b[1] - a[1])),
      events: Object.fromEntries([...this.events].sort((a, b) => b[1] - a[1])),
      hart,
      top: order.map((k) => ({ where: this.name(this.pcLoOf[k], this.pcHiOf[k], this.privOf[k], symbols), priv: PRIV_NAMES[this.privOf[k]], runs: this.runs[k], instructions: this.insnsOf[k] })),
    };
  }

  private name(pcLo: number, pcHi: number, priv: number, symbols: ReturnType<typeof kernelSymbols>): string {
    const hex = addrHex(pcLo, pcHi);
    if (priv === 3) return `${hex} (OpenSBI)`;
    if (priv === 0) return `${hex} (user)`;
    if (symbols === null || pcHi !== -1) return hex; // kernel symbols name virtual addresses 0xffffffff8…
    const lo = pcLo >>> 0;
    let a = 0, b = symbols.starts.length - 1, best = -1;
    while (a <= b) { const m = (a + b) >> 1; if (symbols.starts[m] <= lo) { best = m; a = m + 1; } else b = m - 1; }
    return best < 0 ? hex : `${hex} ${symbols.names[best]}+0x${(lo - symbols.starts[best]).toString(16)}`;
  }
}

function deviceName(pa: number): string {
  if (pa >= 0x10000000 && pa < 0x10000100) return 'uart';
  if (pa >= 0x2000000 && pa < 0x2010000) return 'clint';
  if (pa >= 0xc000000 && pa < 0x10000000) return 'plic';
  if (pa >= 0x10001000 && pa < 0x10009000) return 'virtio';
  if (pa >= 0x101000 && pa < 0x102000) return 'rtc';
  if (pa >= 0x100000 && pa < 0x101000) return 'test';
  return '0x' + pa.toString(16);
}

/** The profile as Markdown-ish text for a benchmark's output. */
export function formatBootProfile(p: BootProfile): string {
  const pct = (x: number): string => `${(100 * x / p.instructions).toFixed(1)}%`;
  const M = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
  const lines: string[] = [];
  lines.push(`instructions ${M(p.instructions)}; privilege M ${pct(p.byPriv.M)}, S ${pct(p.byPriv.S)}, U ${pct(p.byPriv.U)}`);
  lines.push(`block leaders ${p.leaders}; blocks run ${M(p.blocksRun)}; mean block ${p.meanBlock.toFixed(2)} instructions`);
  lines.push('| leader ran ≥ N times | instructions in its blocks |');
  lines.push('|---|---|');
  for (const b of p.byLeaderCount) lines.push(`| ${b.atLeast} | ${M(b.instructions)} (${pct(b.instructions)}) |`);
  lines.push('| perfect tier-up at threshold T | instructions run translated | block executions translated | blocks to translate |');
  lines.push('|---|---|---|---|');
  for (const c of p.coverage) lines.push(`| ${c.threshold} | ${M(c.instructions)} (${pct(c.instructions)}) | ${M(c.blocks)} | ${c.translated} |`);
  lines.push('hart counters: ' + Object.entries(p.hart).map(([k, v]) => `${k} ${v}`).join(', '));
  lines.push('traps: ' + Object.entries(p.traps).map(([k, v]) => `${k}: ${v}`).join(', '));
  lines.push('events: ' + Object.entries(p.events).map(([k, v]) => `${k}: ${v}`).join(', '));
  lines.push('top blocks by instructions:');
  for (const t of p.top) lines.push(`  ${t.where} [${t.priv}] runs ${t.runs}, ${M(t.instructions)} (${pct(t.instructions)})`);
  return lines.join('\n');
}
