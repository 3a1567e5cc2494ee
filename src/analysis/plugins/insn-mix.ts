/**
 * insn-mix: instructions executed per privilege level, by class and by
 * mnemonic, plus how many were compressed, and how many did not retire
 * (they raised an exception). retired = executed - faulted, summed over
 * privileges, equals the instructions the interval retired.
 */
import { insnClass, insnName } from '../insn-names.js';
import type { PluginFactory } from '../plugin.js';

const PRIVS = ['U', 'S', 'M'] as const;
type PrivName = (typeof PRIVS)[number];
const privIndex = (p: number): number => (p === 3 ? 2 : p);

export interface PrivMix {
  executed: number;
  retired: number;
  faulted: number;
  compressed: number;
  classes: Record<string, number>;
  opcodes: Record<string, number>;
}
export interface InsnMixResult {
  privileges: Record<PrivName, PrivMix>;
  interrupts: number;
}

function sorted(o: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

function addInto(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return sorted(out);
}

export const insnMix: PluginFactory<InsnMixResult> = {
  name: 'insn-mix',
  description: 'instruction classes and mnemonics per privilege level',
  create() {
    // mnemonic per encoding word (cached), counts per (privilege, mnemonic)
    const nameOf = new Map<number, number>();
    const names: string[] = [];
    const nameIdx = new Map<string, number>();
    let counts = [new Float64Array(64), new Float64Array(64), new Float64Array(64)];
    const compressed = new Float64Array(3);
    const faulted = new Float64Array(3);
    let interrupts = 0;
    let lastPcLo = 0, lastPcHi = 0, lastPriv = -1;
    const idFor = (insn: number): number => {
      const name = insnName(insn);
      let i = nameIdx.get(name);
      if (i === undefined) {
        i = names.length;
        names.push(name);
        nameIdx.set(name, i);
        if (i >= counts[0].length) counts = counts.map((c) => { const n = new Float64Array(c.length * 2); n.set(c); return n; });
      }
      nameOf.set(insn, i);
      return i;
    };
    return {
      hooks: {
        insn(pcLo, pcHi, _pa, insn, len, priv) {
          let i = nameOf.get(insn);
          if (i === undefined) i = idFor(insn);
          const p = privIndex(priv);
          counts[p][i]++;
          if (len === 2) compressed[p]++;
          lastPcLo = pcLo; lastPcHi = pcHi; lastPriv = priv;
        },
        trap(_cause, interrupt, epcLo, epcHi, _tl, _th, from) {
          if (interrupt) { interrupts++; return; }
          // the instruction just reported raised it (a fetch fault has no insn event)
          if (epcLo === lastPcLo && epcHi === lastPcHi && from === lastPriv) { faulted[privIndex(from)]++; lastPriv = -1; }
        },
      },
      finish() {
        const privileges = {} as Record<PrivName, PrivMix>;
        PRIVS.forEach((pn, p) => {
          const classes: Record<string, number> = {};
          const opcodes: Record<string, number> = {};
          let executed = 0;
          names.forEach((n, i) => {
            const c = counts[p][i];
            if (c === 0) return;
            executed += c;
            opcodes[n] = c;
            const k = insnClass(n);
            classes[k] = (classes[k] ?? 0) + c;
          });
          privileges[pn] = { executed, retired: executed - faulted[p], faulted: faulted[p], compressed: compressed[p], classes: sorted(classes), opcodes: sorted(opcodes) };
        });
        return { privileges, interrupts };
      },
    };
  },
  merge(a, b) {
    const privileges = {} as Record<PrivName, PrivMix>;
    for (const p of PRIVS) {
      const x = a.privileges[p], y = b.privileges[p];
      privileges[p] = {
        executed: x.executed + y.executed, retired: x.retired + y.retired, faulted: x.faulted + y.faulted, compressed: x.compressed + y.compressed,
        classes: addInto(x.classes, y.classes), opcodes: addInto(x.opcodes, y.opcodes),
      };
    }
    return { privileges, interrupts: a.interrupts + b.interrupts };
  },
  summary(r) {
    const lines: string[] = [];
    const total = PRIVS.reduce((s, p) => s + r.privileges[p].retired, 0);
    lines.push(`${total.toLocaleString('en-US')} instructions retired, ${r.interrupts} interrupts`);
    for (const p of PRIVS) {
      const m = r.privileges[p];
      if (m.executed === 0) continue;
      const top = Object.entries(m.classes).sort((x, y) => y[1] - x[1]).slice(0, 6).map(([k, v]) => `${k} ${((100 * v) / m.executed).toFixed(1)}%`).join(', ');
      lines.push(`${p}: ${m.executed.toLocaleString('en-US')} (${((100 * m.compressed) / m.executed).toFixed(0)}% compressed): ${top}`);
    }
    return lines;
  },
};
