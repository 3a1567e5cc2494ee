/**
 * Fingerprint of the non-RAM machine state, per component (hart, CLINT, PLIC,
 * UART, test device, RTC, each virtio slot including disk overlays, and the
 * board's own fields), so a divergence hiding in a device can be named.
 * Taken with RAM fingerprints only: encoding the state costs more than the registers.
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import type { StateRecord } from '../machine/state.js';
import { encodeState } from '../snapshot/state-codec.js';
import { hashWords } from '../snapshot/page-hash.js';

const lanes = new Uint32Array(4);

function hashRecord(r: StateRecord): number {
  const bytes = encodeState(r);
  const words = new Int32Array(((bytes.length + 15) & ~15) >>> 2);
  new Uint8Array(words.buffer).set(bytes);
  hashWords(words, 0, words.length, lanes);
  return (lanes[0] ^ bytes.length) >>> 0;
}

export const DEVICE_COMPONENTS = ['board', 'hart', 'clint', 'plic', 'uart', 'test', 'rtc'] as const;

export function componentName(i: number): string {
  return i < DEVICE_COMPONENTS.length ? DEVICE_COMPONENTS[i] : `virtio slot ${i - DEVICE_COMPONENTS.length}`;
}

export function hashDevices(m: VirtMachine): Uint32Array {
  const s = m.saveState();
  const { hart, clint, plic, uart, test, rtc, slots, ...board } = s as unknown as Record<string, StateRecord> & { slots: StateRecord[] };
  const parts: StateRecord[] = [board as unknown as StateRecord, hart, clint, plic, uart, test, rtc, ...slots];
  return Uint32Array.from(parts, hashRecord);
}
