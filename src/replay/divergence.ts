/** A replay that stopped matching its recording, with the window it happened in. */
export type DivergenceKind = 'landmark' | 'event' | 'arch' | 'ram' | 'device' | 'time' | 'stopped';

export interface Divergence {
  readonly kind: DivergenceKind;
  readonly message: string;
  /** Last instruction count at which replay and recording were seen to agree. */
  readonly lastMatch: number;
  /**
   * Last instruction count at which registers and RAM were both verified (a RAM fingerprint).
   * A difference confined to RAM can hide from register checks, so the divergence itself lies in
   * (lastFullMatch, firstMismatch]; it became visible in the registers after lastMatch.
   */
  readonly lastFullMatch: number;
  /** Instruction count at which the mismatch was seen. */
  readonly firstMismatch: number;
  /** Differing architectural fields (register names with both values) or device components, when known. */
  readonly fields?: readonly string[];
  /** Guest-physical start of the first differing RAM region, when known. */
  readonly region?: number;
  readonly regionBytes?: number;
}

export class DivergenceError extends Error {
  constructor(readonly divergence: Divergence) {
    super(formatDivergence(divergence));
    this.name = 'DivergenceError';
  }
}

export function formatDivergence(d: Divergence): string {
  let s = `replay diverged (${d.kind}) between instret ${d.lastMatch} and ${d.firstMismatch}: ${d.message}`;
  if (d.lastFullMatch < d.lastMatch) s += `\n  (registers matched up to ${d.lastMatch}; registers and RAM last matched at ${d.lastFullMatch})`;
  if (d.fields && d.fields.length > 0) s += `\n  first differing: ${d.fields.join('\n                   ')}`;
  if (d.region !== undefined) s += `\n  first differing RAM region: 0x${d.region.toString(16)} (+${(d.regionBytes ?? 0) >>> 10} KiB)`;
  return s;
}
