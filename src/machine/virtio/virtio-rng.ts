/**
 * virtio-rng (device ID 4, virtio 1.1 §5.4): fills guest buffers with bytes
 * from InputPort.entropy(), so a recorder logs them and a replayer supplies them.
 */
import type { AccessSize } from '../bus.js';
import type { InputPort } from '../input.js';
import type { StateRecord } from '../state.js';
import { expectVersion } from '../state.js';
import { DescriptorChain } from './descriptor-chain.js';
import type { VirtioDevice, VirtioDeviceContext } from './virtio-device.js';
import { DEVICE_ID_RNG } from './virtio-constants.js';

/** Bytes served per request at most: keeps the replay log small (Linux asks for 64 at a time). */
export const RNG_MAX_REQUEST = 4096;

export class VirtioRng implements VirtioDevice {
  readonly deviceId = DEVICE_ID_RNG;
  readonly queueCount = 1;
  readonly features = 0n;
  readonly queueMaxSize: number;
  bytesServed = 0;

  private ctx!: VirtioDeviceContext;
  private chain!: DescriptorChain;
  private readonly scratch = new Uint8Array(RNG_MAX_REQUEST);

  constructor(
    private readonly input: InputPort,
    queueSize = 64,
  ) {
    this.queueMaxSize = queueSize;
  }

  attach(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
    this.chain = new DescriptorChain(ctx.mem, this.queueMaxSize);
  }

  readConfig(_offset: number, _size: AccessSize): number {
    return 0;
  }

  writeConfig(_offset: number, _size: AccessSize, _value: number): void {}

  activate(): void {
    this.queueNotify(0);
  }

  reset(): void {}

  queueNotify(queue: number): void {
    if (queue !== 0 || !this.ctx.running) return;
    const q = this.ctx.queue(0);
    const chain = this.chain;
    let completed = 0;
    while (q.pop(chain)) {
      const n = Math.min(chain.writableLength, RNG_MAX_REQUEST);
      if (n > 0) {
        const buf = this.scratch.subarray(0, n);
        this.input.entropy(buf);
        chain.writeFrom(0, buf);
        this.bytesServed += n;
      }
      q.push(chain.head, n);
      completed++;
    }
    if (completed > 0) this.ctx.notifyUsed(0);
  }

  saveState(): StateRecord {
    return { version: 1, bytesServed: this.bytesServed };
  }

  loadState(r: StateRecord): void {
    expectVersion(r, 'virtio-rng', 1);
    this.bytesServed = typeof r.bytesServed === 'number' ? r.bytesServed : 0;
  }
}
