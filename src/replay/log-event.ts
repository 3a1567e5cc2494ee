/**
 * What a recording holds, in the order it happened. Every event carries its
 * landmark (instructions retired, low 32 bits of pc). Events before `start`
 * were pulled while the machine was being built and have no landmark.
 * Asynchronous inputs and markers also carry guest time in ticks, because
 * idle skips advance time without retiring instructions.
 */
export type LogEvent =
  | { readonly kind: 'entropy'; readonly instret: number; readonly pc: number; readonly data: Uint8Array }
  | { readonly kind: 'clock'; readonly instret: number; readonly pc: number; readonly ns: number }
  | { readonly kind: 'console'; readonly instret: number; readonly pc: number; readonly ticks: number; readonly data: Uint8Array }
  | { readonly kind: 'net-rx'; readonly instret: number; readonly pc: number; readonly ticks: number; readonly slot: number; readonly frame: Uint8Array }
  /** A NIC's host link went up or down (the guest sees the link status change). */
  | { readonly kind: 'net-link'; readonly instret: number; readonly pc: number; readonly ticks: number; readonly slot: number; readonly up: boolean }
  /** The host discarded free guest pages here (`runs`: pairs of first page and count, from RAM's base). */
  | { readonly kind: 'discard'; readonly instret: number; readonly pc: number; readonly ticks: number; readonly runs: Uint32Array }
  /** Recording begins here: the machine is built (and restored, when starting from a checkpoint). */
  | { readonly kind: 'start'; readonly instret: number; readonly pc: number; readonly ticks: number }
  /** Architectural fingerprint (see arch-state.ts): `words` holds the full checkpoint. */
  | { readonly kind: 'arch'; readonly instret: number; readonly pc: number; readonly hash: number; readonly words: Int32Array }
  /** RAM per region and the other machine state per component (device-hash.ts). */
  | { readonly kind: 'ram'; readonly instret: number; readonly pc: number; readonly regionShift: number; readonly regions: Uint32Array; readonly hash: number; readonly devices: Uint32Array }
  /** A checkpoint was taken here; replay can start from it. */
  | { readonly kind: 'checkpoint'; readonly instret: number; readonly pc: number; readonly ticks: number; readonly id: string }
  | { readonly kind: 'end'; readonly instret: number; readonly pc: number; readonly reason: string; readonly code: number }
  /**
   * A call of machine.run(n) (realtime clock only): there the machine reads the host clock at
   * every slice of a run, so the replay must slice exactly as the recording did.
   */
  | { readonly kind: 'run'; readonly instret: number; readonly pc: number; readonly n: number; readonly idleReturn: boolean };

export type LogEventKind = LogEvent['kind'];

/** The asynchronous inputs (posted by the host, applied at the next slice boundary). */
export function isAsyncInputEvent(e: LogEvent): e is Extract<LogEvent, { kind: 'console' | 'net-rx' | 'net-link' | 'discard' }> {
  return e.kind === 'console' || e.kind === 'net-rx' || e.kind === 'net-link' || e.kind === 'discard';
}

export function isSyncEvent(e: LogEvent): e is Extract<LogEvent, { kind: 'entropy' | 'clock' }> {
  return e.kind === 'entropy' || e.kind === 'clock';
}

export function describeEvent(e: LogEvent): string {
  const at = `instret ${e.instret} pc 0x${(e.pc >>> 0).toString(16)}`;
  switch (e.kind) {
    case 'entropy': return `entropy (${e.data.length} bytes) at ${at}`;
    case 'console': return `console input (${e.data.length} bytes) at ${at}`;
    case 'net-rx': return `net frame (${e.frame.length} bytes) at ${at}`;
    case 'net-link': return `net link ${e.up ? 'up' : 'down'} (NIC ${e.slot}) at ${at}`;
    case 'discard': { let n = 0; for (let i = 1; i < e.runs.length; i += 2) n += e.runs[i]; return `discard of ${n} free pages at ${at}`; }
    case 'checkpoint': return `checkpoint "${e.id}" at ${at}`;
    default: return `${e.kind} at ${at}`;
  }
}
