// The determinism contract: same inputs, same instructions, same state.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
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

/** Boots to the marker with 1-instruction precision, then types a command at a fixed instruction count. */
function scriptedRun(translate = true, engine?: string): { atMarker: number; ram: string; state: string; output: string; blocks: number } {
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

describe('determinism', () => {
  let reference: ReturnType<typeof scriptedRun> | undefined;
  it('two runs with the same inputs reach the marker at the same instruction and end in the same state, with or without the block translator', () => {
    const a = scriptedRun();
    const b = scriptedRun();
    expect(a.output).toContain('56088');
    expect(b.atMarker).toBe(a.atMarker);
    expect(b.output).toBe(a.output);
    expect(b.state).toBe(a.state);
    expect(b.ram).toBe(a.ram);

    // the block translator is invisible to the guest: the interpreter alone ends in the same state
    const c = scriptedRun(false);
    expect(a.blocks).toBeGreaterThan(0);
    expect(c.blocks).toBe(0);
    expect(c.atMarker).toBe(a.atMarker);
    expect(c.output).toBe(a.output);
    expect(c.state).toBe(a.state);
    expect(c.ram).toBe(a.ram);
    reference = c;
  });

  it('the WebAssembly tier ends in the same state as the interpreter', () => {
    const c = reference ?? scriptedRun(false);
    const d = scriptedRun(true, 'wasm');
    expect(d.blocks).toBeGreaterThan(0);
    expect(d.atMarker).toBe(c.atMarker);
    expect(d.output).toBe(c.output);
    expect(d.state).toBe(c.state);
    expect(d.ram).toBe(c.ram);
  }, 300_000);
});
