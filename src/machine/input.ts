/**
 * The one seam through which nondeterminism enters the machine.
 *
 * Synchronous inputs are pulled by devices at the instant they need them
 * (entropy for virtio-rng, a host-clock reading). Asynchronous inputs
 * (console bytes, received network frames) are posted by the host and applied
 * by the machine at an instruction boundary. A tap (the recorder) sees every
 * input together with its landmark; a replayer supplies a source that returns
 * the recorded values and delivers asynchronous inputs at their landmarks.
 */
export interface InputSource {
  /** Fills `dst` with entropy. */
  entropy(dst: Uint8Array): void;
  /** Host wall-clock time in nanoseconds since the Unix epoch. */
  hostTimeNs(): number;
}

export type AsyncInput =
  | { readonly kind: 'console'; readonly data: Uint8Array }
  /** A frame for NIC `slot` (the NIC's index on the board, 0 = eth0). */
  | { readonly kind: 'net-rx'; readonly slot: number; readonly frame: Uint8Array }
  /** NIC `slot`'s cable was plugged in (`up`) or pulled: the host link came up or went down. */
  | { readonly kind: 'net-link'; readonly slot: number; readonly up: boolean }
  /**
   * The host discards free guest pages (zeroes them in RAM), e.g. pages a
   * checkpoint found free by reading the guest kernel's allocator. `runs`
   * holds pairs (first page, page count), page numbers counted from RAM's base.
   * An input because when it happens is the host's choice (a checkpoint's instant).
   */
  | { readonly kind: 'discard'; readonly runs: Uint32Array };

export type SyncInput =
  | { readonly kind: 'entropy'; readonly data: Uint8Array }
  | { readonly kind: 'clock'; readonly ns: number };

export interface Landmark {
  /** Instructions retired so far. */
  readonly instret: number;
  /** Guest pc (low 32 bits, as an unsigned number) at that point, to verify the landmark. */
  readonly pc: number;
}

export interface InputTap {
  sync(input: SyncInput, at: Landmark): void;
  async(input: AsyncInput, at: Landmark): void;
}

export class InputPort {
  tap: InputTap | null = null;
  private readonly pending: AsyncInput[] = [];

  constructor(
    private source: InputSource,
    private readonly landmark: () => Landmark,
  ) {}

  /** The source inputs are pulled from (a recorder wraps it; a replayer replaces it). */
  get current(): InputSource {
    return this.source;
  }

  setSource(source: InputSource): void {
    this.source = source;
  }

  entropy(dst: Uint8Array): void {
    this.source.entropy(dst);
    this.tap?.sync({ kind: 'entropy', data: dst.slice() }, this.landmark());
  }

  hostTimeNs(): number {
    const ns = this.source.hostTimeNs();
    this.tap?.sync({ kind: 'clock', ns }, this.landmark());
    return ns;
  }

  /** Host side: queue an asynchronous input; the machine applies it at the next boundary. */
  post(input: AsyncInput): void {
    this.pending.push(input);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Machine side: take queued inputs, reporting each to the tap with the current landmark. */
  drain(apply: (input: AsyncInput) => void): void {
    while (this.pending.length > 0) {
      const input = this.pending.shift() as AsyncInput;
      this.tap?.async(input, this.landmark());
      apply(input);
    }
  }
}

/** Deterministic default for tests: a seeded xorshift generator and a fixed epoch. */
export class SeededInputSource implements InputSource {
  private s: number;
  constructor(seed = 0x2545f491, private readonly epochNs = 1_767_225_600_000_000_000) {
    this.s = seed | 0 || 1;
  }
  entropy(dst: Uint8Array): void {
    for (let i = 0; i < dst.length; i++) {
      let x = this.s;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.s = x;
      dst[i] = x & 0xff;
    }
  }
  hostTimeNs(): number {
    return this.epochNs;
  }
  /** Generator position, so a restored machine draws the same entropy as the original. */
  saveState(): { version: number; s: number } {
    return { version: 1, s: this.s };
  }
  loadState(r: { version?: unknown; s?: unknown }): void {
    if (r.version !== 1 || typeof r.s !== 'number' || !Number.isInteger(r.s)) throw new Error('seeded input: unsupported state record');
    this.s = r.s | 0;
  }
}
