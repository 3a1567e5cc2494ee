/**
 * An in-memory snapshot of the whole machine (device/CPU state record and a
 * copy of RAM) for starting a recording or a replay mid-run. `SnapshotSource`
 * is the seam for other stores: a checkpoint repository can resolve the same
 * reference (id plus the hashes a recording stores) to a snapshot.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { decodeState, encodeState } from '../snapshot/state-codec.js';
import { ARCH_WORDS, captureArch, hashArch } from './arch-state.js';
import { hashRam } from './ram-hash.js';

export interface MachineSnapshot {
  readonly id: string;
  readonly instret: number;
  /** encodeState() of machine.saveState(): a private copy, never aliased with the live machine. */
  readonly state: Uint8Array;
  readonly ram: Uint8Array;
  readonly archHash: number;
  readonly ramHash: number;
}

export interface SnapshotRef {
  readonly id: string;
  readonly archHash: number;
  readonly ramHash: number;
}

/** Finds a snapshot by reference (in memory, a file, or later a checkpoint repository). */
export interface SnapshotSource {
  get(ref: SnapshotRef): MachineSnapshot;
}

export function takeSnapshot(m: VirtMachine, id: string): MachineSnapshot {
  const arch = new Int32Array(ARCH_WORDS);
  captureArch(m, arch);
  return {
    id,
    instret: m.instret,
    state: encodeState(m.saveState()),
    ram: m.ram.u8.slice(),
    archHash: hashArch(arch),
    ramHash: hashRam(m.ram).hash,
  };
}

/** Loads a snapshot into a machine built with the same configuration. */
export function restoreSnapshot(m: VirtMachine, s: MachineSnapshot): void {
  if (s.ram.length !== m.ram.size) throw new Error(`snapshot ${s.id}: ${s.ram.length} bytes of RAM, machine has ${m.ram.size}`);
  m.ram.u8.set(s.ram);
  m.loadState(decodeState(s.state));
  m.ram.clearDirty();
}

export function snapshotRef(s: MachineSnapshot): SnapshotRef {
  return { id: s.id, archHash: s.archHash, ramHash: s.ramHash };
}

/** Snapshots held in memory, keyed by id. */
export class MemorySnapshotSource implements SnapshotSource {
  private readonly byId = new Map<string, MachineSnapshot>();
  add(s: MachineSnapshot): void {
    this.byId.set(s.id, s);
  }
  get(ref: SnapshotRef): MachineSnapshot {
    const s = this.byId.get(ref.id);
    if (!s) throw new Error(`snapshot ${ref.id} is not available`);
    if (s.archHash !== ref.archHash || s.ramHash !== ref.ramHash) throw new Error(`snapshot ${ref.id} does not match the recording's reference (different content under the same id)`);
    return s;
  }
}
