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
  it('two runs with the same inputs reach the marker at the same instruction and end in the same state, with the JS tier, the wasm tier or the interpreter', () => {
    const a = scriptedRun();
    const b = scriptedRun(true, 'wasm'); // a second run, with the other translator: equal to the first
    expect(b.blocks).toBeGreaterThan(0);
    expect(a.output).toContain('56088');
    expect(b.atMarker).toBe(a.atMarker);
    expect(b.output).toBe(a.output);
    expect(b.state).toBe(a.state);
    expect(b.ram).toBe(a.ram);

    // translators are invisible to the guest: the interpreter alone ends in the same state
    const c = scriptedRun(false);
    expect(a.blocks).toBeGreaterThan(0);
    expect(c.blocks).toBe(0);
    expect(c.atMarker).toBe(a.atMarker);
    expect(c.output).toBe(a.output);
    expect(c.state).toBe(a.state);
    expect(c.ram).toBe(a.ram);
  });
});
