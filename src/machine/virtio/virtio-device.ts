/**
 * What a virtio device model (blk, net, rng) provides to the MMIO transport,
 * and what the transport provides back to it.
 */
import type { GuestMemory } from '../memory.js';
import type { Stateful } from '../state.js';
import type { AccessSize } from '../bus.js';
import type { Virtqueue } from './virtqueue.js';

export interface VirtioDeviceContext {
  readonly mem: GuestMemory;
  queue(index: number): Virtqueue;
  /** Features the driver accepted (valid once FEATURES_OK). */
  readonly negotiated: bigint;
  /** True once the driver set DRIVER_OK and the device does not need a reset. */
  readonly running: boolean;
  /** Raises the used-buffer interrupt for `queue` unless the driver suppressed it. */
  notifyUsed(queue: number): void;
  /** Config space changed: bumps ConfigGeneration and raises the config interrupt. */
  configChanged(): void;
  /** The device found the driver's state unusable: sets DEVICE_NEEDS_RESET. */
  fail(reason: string): void;
}

export interface VirtioDevice extends Stateful {
  /** Virtio device ID (1 net, 2 block, 4 entropy). */
  readonly deviceId: number;
  /** Device-specific feature bits; the transport adds VERSION_1 and INDIRECT_DESC. */
  readonly features: bigint;
  readonly queueCount: number;
  /** QueueNumMax for every queue. */
  readonly queueMaxSize: number;
  /** Called once by the transport before any other call. */
  attach(ctx: VirtioDeviceContext): void;
  /** Reads config space (offset relative to 0x100); out-of-range bytes read 0. */
  readConfig(offset: number, size: AccessSize): number;
  writeConfig(offset: number, size: AccessSize, value: number): void;
  /** The driver wrote QueueNotify (the device is running). */
  queueNotify(queue: number): void;
  /** DRIVER_OK was set. */
  activate(): void;
  /** Status was written 0: drop all driver-visible state (not the backing storage). */
  reset(): void;
}

/** Little-endian read of `size` bytes of a config-space byte image. */
export function readConfigBytes(bytes: Uint8Array, offset: number, size: AccessSize): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) {
    const o = offset + i;
    v = v * 256 + (o >= 0 && o < bytes.length ? bytes[o] : 0);
  }
  return v;
}
