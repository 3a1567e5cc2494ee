/** Where virtio-net transmits frames. */
export interface NetBackend {
  /** `frame` (an Ethernet frame, no virtio header) belongs to the backend after the call. */
  send(frame: Uint8Array): void;
}

/** Drops every frame, counting them. */
export class NullNetBackend implements NetBackend {
  dropped = 0;
  droppedBytes = 0;
  send(frame: Uint8Array): void {
    this.dropped++;
    this.droppedBytes += frame.length;
  }
}

/**
 * Hands transmitted frames to a receiver (usually the same device's
 * `receive`), synchronously: the frames are a function of guest behaviour,
 * so replay reproduces them without logging.
 */
export class LoopbackNetBackend implements NetBackend {
  looped = 0;
  constructor(public receiver: ((frame: Uint8Array) => void) | null = null) {}
  send(frame: Uint8Array): void {
    this.looped++;
    this.receiver?.(frame);
  }
}
