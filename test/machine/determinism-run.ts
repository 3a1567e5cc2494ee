// One scripted run of the standard guest for the determinism tests (determinism.test.ts and its
// interpreter variant, determinism.slow.test.ts): boot to the marker with 1-instruction precision,
// type a command at a fixed instruction count, hash the end state.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { GuestSession } from '../support/guest-session.js';
import { READY_MARKER } from '../../src/node/guest-images.js';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';

function ramHash(m: VirtMachine): string {
  return createHash('sha256').update(m.ram.u8).digest('hex');
}

function stateHash(m: VirtMachine): string {
  const json = JSON.stringify(m.saveState(), (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
  return createHash('sha256').update(json).digest('hex');
}

export interface ScriptedRun { atMarker: number; ram: string; state: string; output: string; blocks: number }

/** Boots to the marker with 1-instruction precision, then types a command at a fixed instruction count. */
export function scriptedRun(translate = true, engine?: string): ScriptedRun {
  const s = new GuestSession({ machine: { translate, ...(engine !== undefined ? { engine } : {}) } });
  s.runUntil(READY_MARKER, 300_000_000, 10_000);
  const atMarker = s.machine.instret;
  s.runUntil('# ');
  s.machine.run(3_000_000); // let time pass: timers fire while idle
  const out = s.command('echo $((123*456)); cat /proc/interrupts | head -3; head -c 8 /dev/urandom | od -An -tx1; /workloads/compute 2 64');
  s.machine.run(2_000_000);
  const blocks = s.machine.hart.translatedBlocks;
  const result = { atMarker, ram: ramHash(s.machine), state: stateHash(s.machine), output: out, blocks };
  s.close();
  return result;
}

/** `other` reached the marker at the same instruction as `reference` and ended with the same output, device state and RAM. */
export function expectSameGuest(other: ScriptedRun, reference: ScriptedRun): void {
  expect(other.atMarker).toBe(reference.atMarker);
  expect(other.output).toBe(reference.output);
  expect(other.state).toBe(reference.state);
  expect(other.ram).toBe(reference.ram);
}
