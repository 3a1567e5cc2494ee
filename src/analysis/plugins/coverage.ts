/**
 * coverage: the distinct instruction addresses (virtual pcs) and basic-block
 * starts executed, per privilege level. Option list=1 writes the addresses
 * themselves into the report (else only the counts).
 */
import { addrKey, keyHex } from '../../machine/cpu/instrumentation.js';
import type { PluginFactory } from '../plugin.js';

type Priv = 'U' | 'S' | 'M';
const PRIVS: Priv[] = ['U', 'S', 'M'];
const privName = (p: number): Priv => (p === 0 ? 'U' : p === 1 ? 'S' : 'M');

/** Sorted address keys (instrumentation addrKey) per privilege. */
export type CoverageResult = Record<Priv, { pcs: number[]; blocks: number[] }>;

function union(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else { out.push(a[i]); i++; j++; }
  }
  return out;
}

export const coverage: PluginFactory<CoverageResult> = {
  name: 'coverage',
  description: 'distinct pcs and basic blocks executed, per privilege level',
  create() {
    const pcs = [new Set<number>(), new Set<number>(), new Set<number>(), new Set<number>()];
    const blocks = [new Set<number>(), new Set<number>(), new Set<number>(), new Set<number>()];
    return {
      hooks: {
        insn(pcLo, pcHi, _pa, _insn, _len, priv) { pcs[priv].add(addrKey(pcLo, pcHi)); },
        block(pcLo, pcHi, priv) { blocks[priv].add(addrKey(pcLo, pcHi)); },
      },
      finish() {
        const out = {} as CoverageResult;
        for (const p of [0, 1, 3]) out[privName(p)] = { pcs: [...pcs[p]].sort((a, b) => a - b), blocks: [...blocks[p]].sort((a, b) => a - b) };
        return out;
      },
    };
  },
  merge(a, b) {
    const out = {} as CoverageResult;
    for (const p of PRIVS) out[p] = { pcs: union(a[p].pcs, b[p].pcs), blocks: union(a[p].blocks, b[p].blocks) };
    return out;
  },
  report(r, options) {
    const out: Record<string, unknown> = {};
    for (const p of PRIVS) {
      out[p] = options.list === '1'
        ? { pcs: r[p].pcs.length, blocks: r[p].blocks.length, pcList: r[p].pcs.map(keyHex), blockList: r[p].blocks.map(keyHex) }
        : { pcs: r[p].pcs.length, blocks: r[p].blocks.length };
    }
    return out;
  },
  summary(r) {
    return [PRIVS.map((p) => `${p}: ${r[p].pcs.length.toLocaleString('en-US')} pcs in ${r[p].blocks.length.toLocaleString('en-US')} blocks`).join('; ')];
  },
};
