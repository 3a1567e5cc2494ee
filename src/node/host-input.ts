/** The live host's nondeterminism: OS entropy and the wall clock. */
import { randomFillSync } from 'node:crypto';
import type { InputSource } from '../machine/input.js';

export class HostInputSource implements InputSource {
  private readonly originNs = Date.now() * 1e6;
  private readonly originHr = process.hrtime.bigint();

  entropy(dst: Uint8Array): void {
    randomFillSync(dst);
  }

  hostTimeNs(): number {
    return this.originNs + Number(process.hrtime.bigint() - this.originHr);
  }
}
