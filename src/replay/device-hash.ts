/**
 * Fingerprint of the non-RAM machine state, per component (hart, CLINT, PLIC,
 * UART, test device, RTC, each virtio slot including disk overlays, and the
 * board's own fields), so a divergence hiding in a device can be named.
 * Taken with RAM fingerprints only: encoding the state costs more than the registers.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import type { StateRecord } from '../machine/state.js';
import { encodeState } from '../encoding/state-codec.js';
import { hashWords } from '../encoding/page-hash.js';

const lanes = new Uint32Array(4);

function hashRecord(r: StateRecord): number {
  const bytes = encodeState(r);
  const words = new Int32Array(((bytes.length + 15) & ~15) >>> 2);
  new Uint8Array(words.buffer).set(bytes);
  hashWords(words, 0, words.length, lanes);
  return (lanes[0] ^ bytes.length) >>> 0;
}

/** Each component's fingerprint, with its name (virtio slots one by one). */
function parts(m: VirtMachine): Array<{ name: string; state: StateRecord }> {
  const out: Array<{ name: string; state: StateRecord }> = [];
  for (const c of m.componentStates()) {
    if (Array.isArray(c.state)) c.state.forEach((s, i) => out.push({ name: `virtio slot ${i}`, state: s }));
    else out.push({ name: c.name, state: c.state });
  }
  return out;
}

export function componentNames(m: VirtMachine): string[] {
  return parts(m).map((p) => p.name);
}

export function hashDevices(m: VirtMachine): Uint32Array {
  return Uint32Array.from(parts(m), (p) => hashRecord(p.state));
}
