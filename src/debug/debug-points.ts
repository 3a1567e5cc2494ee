/**
 * The breakpoints and watchpoints a debugger set, as the hart's DebugHooks.
 * What happens on a hit is the owner's business (`onHit`): a live session
 * stops, a timeline scanning the past only notes it. The points attach to
 * the hart only while there are any, so a session without them runs at full
 * speed (translated blocks on).
 */
import type { Hart } from '../machine/cpu/hart.js';
import { addrKey, pageKey, type DebugHooks } from '../machine/cpu/debug-hooks.js';

export type WatchKind = 'write' | 'read' | 'access';

export interface Hit {
  readonly kind: 'breakpoint' | 'watch';
  /** The breakpoint's pc, or the watchpoint's start address (what GDB is told). */
  readonly addr: bigint;
  readonly watch?: WatchKind;
}

interface Watch {
  readonly start: bigint;
  readonly len: number;
  readonly kind: WatchKind;
}

const M64 = (1n << 64n) - 1n;

export function splitAddr(a: bigint): [number, number] {
  return [Number(a & 0xffffffffn) | 0, Number((a >> 32n) & 0xffffffffn) | 0];
}

export function joinAddr(lo: number, hi: number): bigint {
  return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) & M64;
}

export class DebugPoints implements DebugHooks {
  readonly breakpoints = new Set<number>();
  readonly breakpointPages = new Set<number>();
  readonly watchPages = new Set<number>();
  private readonly bpAddr = new Map<number, bigint>();
  private watches: Watch[] = [];
  /** Called on every hit; true stops the hart before the instruction. */
  onHit: (hit: Hit) => boolean = () => true;
  /** While false the points stay detached from the hart even when some are set (fast forward runs). */
  private armed = true;

  constructor(private readonly hart: Hart) {}

  get empty(): boolean {
    return this.breakpoints.size === 0 && this.watches.length === 0;
  }

  addBreakpoint(addr: bigint): void {
    const [lo, hi] = splitAddr(addr);
    this.breakpoints.add(addrKey(lo, hi));
    this.bpAddr.set(addrKey(lo, hi), addr);
    this.rebuildPages();
  }

  removeBreakpoint(addr: bigint): void {
    const [lo, hi] = splitAddr(addr);
    this.breakpoints.delete(addrKey(lo, hi));
    this.bpAddr.delete(addrKey(lo, hi));
    this.rebuildPages();
  }

  addWatch(start: bigint, len: number, kind: WatchKind): void {
    this.watches.push({ start: start & M64, len: Math.max(1, len), kind });
    this.rebuildPages();
  }

  removeWatch(start: bigint, len: number, kind: WatchKind): void {
    const i = this.watches.findIndex((w) => w.start === (start & M64) && w.len === Math.max(1, len) && w.kind === kind);
    if (i >= 0) this.watches.splice(i, 1);
    this.rebuildPages();
  }

  clear(): void {
    this.breakpoints.clear();
    this.bpAddr.clear();
    this.watches = [];
    this.rebuildPages();
  }

  /** Attach to (or detach from) the hart as the points and `armed` require. */
  setArmed(armed: boolean): void {
    this.armed = armed;
    this.sync();
  }

  private attached = false;

  private sync(): void {
    const want = this.armed && !this.empty;
    if (want !== this.attached) {
      this.attached = want;
      this.hart.setDebugHooks(want ? this : null);
    }
  }

  private rebuildPages(): void {
    this.breakpointPages.clear();
    for (const a of this.bpAddr.values()) {
      const [lo, hi] = splitAddr(a);
      this.breakpointPages.add(pageKey(lo, hi));
    }
    this.watchPages.clear();
    for (const w of this.watches) {
      for (let a = w.start & ~0xfffn; a < w.start + BigInt(w.len); a += 0x1000n) {
        const [lo, hi] = splitAddr(a);
        this.watchPages.add(pageKey(lo, hi));
      }
    }
    this.sync();
    if (this.attached) this.hart.debugHooksChanged();
  }

  breakpoint(pcLo: number, pcHi: number): boolean {
    const addr = this.bpAddr.get(addrKey(pcLo, pcHi)) ?? joinAddr(pcLo, pcHi);
    return this.onHit({ kind: 'breakpoint', addr });
  }

  access(vaLo: number, vaHi: number, size: number, write: boolean): boolean {
    const a = joinAddr(vaLo, vaHi);
    for (const w of this.watches) {
      if (w.kind === 'write' && !write) continue;
      if (w.kind === 'read' && write) continue;
      if (a < w.start + BigInt(w.len) && w.start < a + BigInt(size)) return this.onHit({ kind: 'watch', addr: w.start, watch: w.kind });
    }
    return false;
  }
}
