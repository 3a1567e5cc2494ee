/**
 * Memory checkpoints: the whole machine (device/CPU state record and a copy
 * of RAM) held in memory, for tools that jump around one run many times
 * (a debugger's timeline, tests that record or replay from mid-run). They
 * are never written to disk; a repository checkpoint is the durable kind.
 * A recording may start at one (`RecordingStart` kind 'memory-checkpoint'):
 * `MemoryCheckpointSource` resolves the reference (id plus the hashes the
 * recording stores) and refuses content that does not match.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { decodeState, encodeState } from '../encoding/state-codec.js';
import { ARCH_WORDS, captureArch, hashArch } from './arch-state.js';
import { hashRam } from './ram-hash.js';

export interface MemoryCheckpoint {
  readonly id: string;
  readonly instret: number;
  /** encodeState() of machine.saveState(): a private copy, never aliased with the live machine. */
  readonly state: Uint8Array;
  readonly ram: Uint8Array;
  readonly archHash: number;
  readonly ramHash: number;
}

export interface MemoryCheckpointRef {
  readonly id: string;
  readonly archHash: number;
  readonly ramHash: number;
}

/** Finds a memory checkpoint by reference (in memory, a file, or later a checkpoint repository). */
export interface MemoryCheckpointSource {
  get(ref: MemoryCheckpointRef): MemoryCheckpoint;
}

export function takeMemoryCheckpoint(m: VirtMachine, id: string): MemoryCheckpoint {
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

/** Loads a memory checkpoint into a machine built with the same configuration. */
export function restoreMemoryCheckpoint(m: VirtMachine, s: MemoryCheckpoint): void {
  if (s.ram.length !== m.ram.size) throw new Error(`memory checkpoint ${s.id}: ${s.ram.length} bytes of RAM, machine has ${m.ram.size}`);
  m.ram.u8.set(s.ram);
  m.ram.presentAll(); // supersedes a lazy restore still loading
  m.loadState(decodeState(s.state));
  m.ram.clearDirty();
}

export function memoryCheckpointRef(s: MemoryCheckpoint): MemoryCheckpointRef {
  return { id: s.id, archHash: s.archHash, ramHash: s.ramHash };
}

/** Snapshots held in memory, keyed by id. */
export class MemoryCheckpointStore implements MemoryCheckpointSource {
  private readonly byId = new Map<string, MemoryCheckpoint>();
  add(s: MemoryCheckpoint): void {
    this.byId.set(s.id, s);
  }
  get(ref: MemoryCheckpointRef): MemoryCheckpoint {
    const s = this.byId.get(ref.id);
    if (!s) throw new Error(`memory checkpoint ${ref.id} is not available`);
    if (s.archHash !== ref.archHash || s.ramHash !== ref.ramHash) throw new Error(`memory checkpoint ${ref.id} does not match the recording's reference (different content under the same id)`);
    return s;
  }
}
