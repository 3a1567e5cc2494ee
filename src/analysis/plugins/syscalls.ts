/**
 * syscalls: the Linux system calls the guest's user space made, from the
 * derived system-call event (syscall-events.ts), with names, arguments,
 * return values and, for writes, the bytes written. The process is named by
 * its address space (satp's root page-table number): that is what the
 * hardware can tell.
 *
 * A call still in the kernel at the end of an interval is "pending"; a
 * return with no call in its interval is an "orphan". Merging two adjacent
 * intervals pairs the earlier one's pending calls with the later one's
 * orphan returns, so merged results equal one long run's.
 */
import { debugRead } from '../../machine/cpu/debug-memory.js';
import { syscallHooks } from '../syscall-events.js';
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

const hex = (lo: number, hi: number): string => '0x' + ((hi >>> 0) * 4294967296 + (lo >>> 0)).toString(16);

export const syscalls: PluginFactory<SyscallsResult> = {
  name: 'syscalls',
  description: 'Linux system calls (ecall from U-mode) with names, arguments, return values, per address space',
  create(ctx, options) {
    const maxBytes = sizeOption(options, 'bytes', 64);
    const m = ctx.machine;
    const calls: SyscallRecord[] = [];
    const orphans: SyscallsResult['orphans'] = [];
    const events = syscallHooks<number>(m, {
      enter(c) {
        const rec: SyscallRecord = { instret: c.instret, as: c.as, nr: c.nr, name: syscallName(c.nr), args: c.argLo.map((lo, i) => hex(lo, c.argHi[i])), ret: null, returnInstret: null };
        if (WRITES_BUFFER.has(c.nr)) {
          const len = Math.min(maxBytes, c.argHi[2] !== 0 ? maxBytes : c.argLo[2] >>> 0);
          rec.data = String.fromCharCode(...debugRead(m.hart, m.ram, c.argLo[1], c.argHi[1], len));
        }
        calls.push(rec);
        return calls.length - 1;
      },
      exit(i, ret, instret) {
        calls[i].ret = ret;
        calls[i].returnInstret = instret;
      },
      orphan(key, ret, instret) {
        orphans.push({ key, instret, ret });
      },
    });
    return {
      hooks: events.hooks,
      finish() {
        return { calls, pending: events.pending().sort((a, b) => a[1] - b[1]), orphans };
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
