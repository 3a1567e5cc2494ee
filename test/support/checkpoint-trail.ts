// Checkpoints taken along a guest run, each with the machine's fingerprint at the checkpoint and
// a few million instructions later; restoring every one into another machine must reproduce both
// (the exclusion tests: free pages, sub-page and similarity deltas, kernel free pages).
import { expect } from 'vitest';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';
import type { CaptureResult, MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import type { Repository } from '../../src/store/repository.js';
import { fingerprint } from '../checkpoint/fingerprint.js';

export class CheckpointTrail {
  readonly taken: CaptureResult[] = [];
  private readonly prints = new Map<number, { at: string; later: string }>();

  /** `after`: instructions run past each checkpoint before the second fingerprint. */
  constructor(private readonly ck: MachineCheckpointer, private readonly vm: VirtMachine, readonly after: number) {}

  /** Captures a checkpoint, fingerprints the machine, runs `after` instructions and fingerprints again. */
  take(): CaptureResult {
    const r = this.ck.capture();
    this.taken.push(r);
    const at = fingerprint(this.vm);
    this.vm.run(this.after);
    this.prints.set(r.meta.id, { at, later: fingerprint(this.vm) });
    return r;
  }

  /** Restores every checkpoint (newest first) into `into`: the fingerprint matches there and `after` instructions later. */
  expectRestores(into: VirtMachine, repo: Repository): void {
    for (const [id, p] of [...this.prints].reverse()) {
      restoreMachine(into, repo, id);
      expect(fingerprint(into), `restored checkpoint ${id}`).toBe(p.at);
      into.run(this.after);
      expect(fingerprint(into), `${this.after} instructions after checkpoint ${id}`).toBe(p.later);
    }
  }
}
