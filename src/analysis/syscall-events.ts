/**
 * The derived Linux system-call event, for any plugin: an ecall from U-mode
 * is a call (number a7, arguments a0-a5); it returns when an sret lands on
 * the instruction after that ecall in the same address space with the same
 * stack pointer (so threads and processes do not mix), with a0 as the value.
 * Built from the machine's trap and xret hooks; a return whose call was made
 * before the hooks were attached (an earlier interval) is an orphan, told
 * with the key a call made then would have had.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { addrKey, type Instrumentation } from '../machine/cpu/instrumentation.js';
import { debugRead } from '../machine/cpu/debug-memory.js';

export interface SyscallEnter {
  /** Instructions retired at the ecall. */
  readonly instret: number;
  /** Address space: satp's root page number, hex (the process, as the hardware sees it). */
  readonly as: string;
  readonly nr: number;
  /** a0-a5 as (lo, hi) pairs. */
  readonly argLo: readonly number[];
  readonly argHi: readonly number[];
  /** Matches the call to its return (also across intervals). */
  readonly key: string;
}

export interface SyscallListener<T> {
  /** A call; what it returns is handed back at the return. */
  enter(call: SyscallEnter): T;
  exit(token: T, ret: number, instret: number): void;
  /** A return whose call this listener never saw. */
  orphan?(key: string, ret: number, instret: number): void;
}

/** The trap and xret hooks that produce system-call events; `pending()` lists calls not yet returned. */
export function syscallHooks<T>(m: VirtMachine, listener: SyscallListener<T>): { hooks: Instrumentation; pending(): Array<[string, T]> } {
  const h = m.hart;
  const pending = new Map<string, T>();
  const asOf = (): string => (h.satpLo >>> 0).toString(16);
  const keyOf = (pcLo: number, pcHi: number): string => `${asOf()}:${addrKey(h.xLo[2], h.xHi[2])}:${addrKey(pcLo, pcHi)}`;
  const hooks: Instrumentation = {
    trap(cause, interrupt, epcLo, epcHi, _tl, _th, from) {
      if (interrupt || cause !== 8 || from !== 0) return;
      const ret = (epcLo + 4) | 0;
      const key = keyOf(ret, (ret >>> 0) < 4 ? epcHi + 1 : epcHi);
      const x = h.xLo, xh = h.xHi;
      const token = listener.enter({ instret: m.instret, as: asOf(), nr: x[17], argLo: [x[10], x[11], x[12], x[13], x[14], x[15]], argHi: [xh[10], xh[11], xh[12], xh[13], xh[14], xh[15]], key });
      pending.set(key, token);
    },
    xret(from, to, pcLo, pcHi) {
      if (from !== 1 || to !== 0) return;
      const key = keyOf(pcLo, pcHi);
      const ret = h.xHi[10] * 4294967296 + (h.xLo[10] >>> 0);
      if (pending.has(key)) {
        const token = pending.get(key) as T;
        pending.delete(key);
        listener.exit(token, ret, m.instret);
        return;
      }
      // only a return to just after an ecall can be one
      const before = debugRead(m.hart, m.ram, (pcLo - 4) | 0, (pcLo >>> 0) < 4 ? pcHi - 1 : pcHi, 4);
      if (before.length === 4 && before[0] === 0x73 && before[1] === 0 && before[2] === 0 && before[3] === 0) listener.orphan?.(key, ret, m.instret);
    },
  };
  return { hooks, pending: () => [...pending.entries()] };
}
