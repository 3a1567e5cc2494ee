/**
 * syscalls: the Linux system calls the guest's user space made. A call is an
 * ecall from U-mode (number in a7, arguments in a0-a5); it returns when an
 * sret lands on the instruction after that ecall in the same address space
 * with the same stack pointer (so threads and processes do not mix), and
 * the return value is a0 then. The process is named by its address space
 * (satp's root page-table number): that is what the hardware can tell.
 *
 * A call still in the kernel at the end of an interval is "pending"; a
 * return with no call in its interval is an "orphan". Merging two adjacent
 * intervals pairs the earlier one's pending calls with the later one's
 * orphan returns, so merged results equal one long run's.
 */
import { addrKey } from '../../machine/cpu/instrumentation.js';
import { peekVirtual } from '../guest-peek.js';
import { sizeOption, type PluginFactory } from '../plugin.js';
import { WRITES_BUFFER, syscallName } from './riscv64-syscalls.js';

export interface SyscallRecord {
  /** Instructions retired when the ecall was executed. */
  instret: number;
  /** Address space (satp root page number, hex): the process. */
  as: string;
  nr: number;
  name: string;
  /** a0-a5 in hex. */
  args: string[];
  /** Return value (signed), null while unknown (still in the kernel, or never returning: exit, execve). */
  ret: number | null;
  returnInstret: number | null;
  /** For write and pwrite64: the first `bytes` bytes of the buffer (one char per byte). */
  data?: string;
}

export interface SyscallsResult {
  calls: SyscallRecord[];
  /** Calls without a return in this result: [match key, index into calls]. */
  pending: Array<[string, number]>;
  /** Returns whose call lies before this result: match key, instret, value. */
  orphans: Array<{ key: string; instret: number; ret: number }>;
}

const signed = (lo: number, hi: number): number => hi * 4294967296 + (lo >>> 0);
const hex = (lo: number, hi: number): string => '0x' + ((hi >>> 0) * 4294967296 + (lo >>> 0)).toString(16);

export const syscalls: PluginFactory<SyscallsResult> = {
  name: 'syscalls',
  description: 'Linux system calls (ecall from U-mode) with names, arguments, return values, per address space',
  create(ctx, options) {
    const maxBytes = sizeOption(options, 'bytes', 64);
    const m = ctx.machine;
    const h = m.hart;
    const calls: SyscallRecord[] = [];
    const pending = new Map<string, number>();
    const orphans: SyscallsResult['orphans'] = [];
    const asOf = (): string => (h.satpLo >>> 0).toString(16);
    const keyOf = (pcLo: number, pcHi: number): string => `${asOf()}:${addrKey(h.xLo[2], h.xHi[2])}:${addrKey(pcLo, pcHi)}`;
    return {
      hooks: {
        trap(cause, interrupt, epcLo, epcHi, _tl, _th, from) {
          if (interrupt || cause !== 8 || from !== 0) return;
          const x = h.xLo, xh = h.xHi;
          const nr = x[17];
          const rec: SyscallRecord = {
            instret: m.instret, as: asOf(), nr, name: syscallName(nr),
            args: [10, 11, 12, 13, 14, 15].map((r) => hex(x[r], xh[r])), ret: null, returnInstret: null,
          };
          if (WRITES_BUFFER.has(nr)) {
            const len = Math.min(maxBytes, xh[12] !== 0 ? maxBytes : x[12] >>> 0);
            rec.data = String.fromCharCode(...peekVirtual(m, x[11], xh[11], len));
          }
          const ret = (epcLo + 4) | 0;
          pending.set(keyOf(ret, (ret >>> 0) < 4 ? epcHi + 1 : epcHi), calls.length);
          calls.push(rec);
        },
        xret(from, to, pcLo, pcHi) {
          if (from !== 1 || to !== 0) return;
          const key = keyOf(pcLo, pcHi);
          const i = pending.get(key);
          const ret = signed(h.xLo[10], h.xHi[10]);
          if (i !== undefined) {
            pending.delete(key);
            calls[i].ret = ret;
            calls[i].returnInstret = m.instret;
            return;
          }
          // a return from a call made before this interval: only after an ecall instruction
          const before = peekVirtual(m, (pcLo - 4) | 0, (pcLo >>> 0) < 4 ? pcHi - 1 : pcHi, 4);
          if (before.length === 4 && before[0] === 0x73 && before[1] === 0 && before[2] === 0 && before[3] === 0) orphans.push({ key, instret: m.instret, ret });
        },
      },
      finish() {
        return { calls, pending: [...pending.entries()].sort((a, b) => a[1] - b[1]), orphans };
      },
    };
  },
  merge(a, b) {
    const calls = a.calls.map((c) => ({ ...c }));
    const pending = a.pending.map(([k, i]) => [k, i] as [string, number]);
    const orphans = [...a.orphans];
    for (const o of b.orphans) {
      let j = -1;
      for (let k = pending.length - 1; k >= 0; k--) if (pending[k][0] === o.key) { j = k; break; }
      if (j < 0) { orphans.push(o); continue; }
      const c = calls[pending[j][1]];
      c.ret = o.ret;
      c.returnInstret = o.instret;
      pending.splice(j, 1);
    }
    const base = calls.length;
    for (const c of b.calls) calls.push(c);
    for (const [k, i] of b.pending) pending.push([k, base + i]);
    return { calls, pending, orphans };
  },
  report(r) {
    const byProcess: Record<string, Record<string, number>> = {};
    for (const c of r.calls) {
      const p = (byProcess[c.as] ??= {});
      p[c.name] = (p[c.name] ?? 0) + 1;
    }
    return { count: r.calls.length, byProcess, calls: r.calls, unmatchedReturns: r.orphans.length };
  },
  summary(r) {
    const counts = new Map<string, number>();
    for (const c of r.calls) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
    const top = [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 8).map(([k, v]) => `${k} ${v}`).join(', ');
    const procs = new Set(r.calls.map((c) => c.as)).size;
    return [`${r.calls.length} system calls from ${procs} address spaces${top ? `: ${top}` : ''}`];
  },
};
