import { describe, expect, it } from 'vitest';
import { VirtioMmioTransport } from '../../src/machine/virtio/mmio-transport.js';
import { MAX_FRAME, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_HDR_SIZE, VirtioNet } from '../../src/machine/virtio/virtio-net.js';
import type { NetBackend } from '../../src/machine/virtio/net-backend.js';
import { LoopbackNetBackend, NullNetBackend } from '../../src/machine/virtio/net-backend.js';
import { featureBit } from '../../src/machine/virtio/virtio-constants.js';
import { RecordingIrq, TestDriver, newRam } from './virtio-driver.js';

class CapturingBackend implements NetBackend {
  readonly frames: Uint8Array[] = [];
  send(frame: Uint8Array): void {
    this.frames.push(frame);
  }
}

function frame(len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 31 + seed) & 0xff;
  return f;
}

function rig(backend: NetBackend = new CapturingBackend(), rxBacklog = 4) {
  const mem = newRam(1 << 21);
  const irq = new RecordingIrq();
  const net = new VirtioNet(backend, { mac: Uint8Array.of(2, 0, 0, 0xaa, 0xbb, 0xcc), rxBacklog });
  const t = new VirtioMmioTransport(net, mem, irq, 2);
  const drv = new TestDriver(t, mem);
  drv.init(2, null, 16);
  return { mem, irq, net, t, drv, backend };
}

/** Posts `n` receive buffers of `size` bytes, like virtio_net's add_recvbuf_small. */
function postRx(r: ReturnType<typeof rig>, n: number, size = 1526): number[] {
  const addrs: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.drv.alloc(size);
    addrs.push(a);
    r.drv.submit(0, [{ addr: a, len: size, write: true }]);
  }
  r.drv.notify(0);
  return addrs;
}

function transmit(r: ReturnType<typeof rig>, payload: Uint8Array, split = false): void {
  const hdr = r.drv.alloc(VIRTIO_NET_HDR_SIZE);
  const data = r.drv.alloc(payload.length);
  r.mem.write(data, payload);
  if (split) {
    const h = Math.floor(payload.length / 2);
    r.drv.submit(1, [
      { addr: hdr, len: VIRTIO_NET_HDR_SIZE, write: false },
      { addr: data, len: h, write: false },
      { addr: data + h, len: payload.length - h, write: false },
    ]);
  } else {
    r.drv.submit(1, [
      { addr: hdr, len: VIRTIO_NET_HDR_SIZE, write: false },
      { addr: data, len: payload.length, write: false },
    ]);
  }
  r.drv.notify(1);
}

describe('virtio-net', () => {
  it('is device ID 1 with the MAC and link status in config space', () => {
    const r = rig();
    expect(r.t.read(0x008, 4)).toBe(1);
    expect(r.drv.deviceFeatures & featureBit(VIRTIO_NET_F_MAC)).not.toBe(0n);
    expect(r.drv.deviceFeatures & featureBit(VIRTIO_NET_F_STATUS)).not.toBe(0n);
    expect([0, 1, 2, 3, 4, 5].map((i) => r.drv.readConfig(i, 1))).toEqual([2, 0, 0, 0xaa, 0xbb, 0xcc]);
    expect(r.drv.readConfig(6, 2)).toBe(1);
  });

  it('transmits frames without the virtio header', () => {
    const r = rig();
    const backend = r.backend as CapturingBackend;
    transmit(r, frame(60, 1));
    transmit(r, frame(1514, 2), true);
    expect(backend.frames).toEqual([frame(60, 1), frame(1514, 2)]);
    expect(r.drv.collect(1).map((u) => u.len)).toEqual([0, 0]);
    expect(r.net.stats.txFrames).toBe(2);
    expect(r.irq.level(2)).toBe(true);
  });

  it('drops a transmit chain shorter than the header, completing it', () => {
    const r = rig();
    const hdr = r.drv.alloc(8);
    r.drv.submit(1, [{ addr: hdr, len: 8, write: false }]);
    r.drv.notify(1);
    expect(r.drv.collect(1)).toHaveLength(1);
    expect(r.net.stats.txDropped).toBe(1);
  });

  it('null backend counts drops', () => {
    const backend = new NullNetBackend();
    const r = rig(backend);
    transmit(r, frame(100, 3));
    expect(backend.dropped).toBe(1);
    expect(backend.droppedBytes).toBe(100);
  });

  it('receives into posted buffers with a 12-byte header (num_buffers = 1)', () => {
    const r = rig();
    const [a] = postRx(r, 2);
    r.net.receive(frame(64, 4));
    const used = r.drv.collect(0);
    expect(used).toEqual([{ id: 0, len: VIRTIO_NET_HDR_SIZE + 64 }]);
    const hdr = r.mem.read(a, VIRTIO_NET_HDR_SIZE);
    expect([...hdr]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(r.mem.read(a + VIRTIO_NET_HDR_SIZE, 64)).toEqual(frame(64, 4));
    expect(r.irq.level(2)).toBe(true);
  });

  it('queues frames that find no buffer (bounded), delivering them when buffers arrive', () => {
    const r = rig(undefined, 2);
    r.net.receive(frame(60, 1));
    r.net.receive(frame(60, 2));
    r.net.receive(frame(60, 3)); // backlog full: dropped
    expect(r.net.backlogLength).toBe(2);
    expect(r.net.stats.rxDropped).toBe(1);
    const [a, b] = postRx(r, 3);
    expect(r.drv.collect(0)).toHaveLength(2);
    expect(r.mem.read(a + VIRTIO_NET_HDR_SIZE, 60)).toEqual(frame(60, 1));
    expect(r.mem.read(b + VIRTIO_NET_HDR_SIZE, 60)).toEqual(frame(60, 2));
    expect(r.net.backlogLength).toBe(0);
  });

  it('drops frames too large for the buffer or for any buffer, keeping the buffer', () => {
    const r = rig();
    postRx(r, 1, 200);
    r.net.receive(frame(500, 1));
    r.net.receive(frame(MAX_FRAME + 1, 1));
    expect(r.net.stats.rxDropped).toBe(2);
    r.net.receive(frame(100, 2));
    expect(r.drv.collect(0)).toEqual([{ id: 0, len: 112 }]);
  });

  it('drops frames while the driver is not running', () => {
    const mem = newRam();
    const net = new VirtioNet(new NullNetBackend());
    new VirtioMmioTransport(net, mem, new RecordingIrq(), 2);
    net.receive(frame(60, 0));
    expect(net.stats.rxDropped).toBe(1);
    expect(net.backlogLength).toBe(0);
  });

  it('loopback backend delivers transmitted frames to the receive queue', () => {
    const loop = new LoopbackNetBackend();
    const r = rig(loop);
    // A first frame with nowhere to go moves the tx heads away from the rx heads.
    transmit(r, frame(60, 4));
    expect(r.drv.collect(1)).toEqual([{ id: 0, len: 0 }]);
    loop.receiver = (f) => r.net.receive(f);
    const [a] = postRx(r, 1);
    transmit(r, frame(90, 5));
    // Each used ring names its own chain's head (rx 0, tx 2), even though rx ran inside tx.
    expect(r.drv.collect(1)).toEqual([{ id: 2, len: 0 }]);
    expect(r.drv.collect(0)).toEqual([{ id: 0, len: 102 }]);
    expect(r.mem.read(a + VIRTIO_NET_HDR_SIZE, 90)).toEqual(frame(90, 5));
  });

  it('link status changes raise a config interrupt and bump ConfigGeneration', () => {
    const r = rig();
    const gen = r.drv.reg(0x0fc);
    r.net.linkUp = false;
    expect(r.drv.readConfig(6, 2)).toBe(0);
    expect(r.drv.reg(0x0fc)).toBe(gen + 1);
    expect(r.drv.ackInterrupt()).toBe(2);
    r.net.receive(frame(60, 0));
    expect(r.net.stats.rxDropped).toBe(1);
  });

  it('a pulled cable loses the backlog and drops transmits; plugging it back in restores both directions', () => {
    const r = rig();
    const backend = r.backend as CapturingBackend;
    r.net.receive(frame(60, 1));
    expect(r.net.backlogLength).toBe(1);
    r.net.setLink(false);
    expect(r.net.backlogLength).toBe(0);
    expect(r.net.stats.rxDropped).toBe(1);
    expect(r.drv.ackInterrupt()).toBe(2);
    transmit(r, frame(60, 2));
    expect(backend.frames).toEqual([]);
    expect(r.net.stats.txDropped).toBe(1);
    expect(r.drv.collect(1).length).toBe(1); // the buffer is still returned
    r.net.setLink(true);
    expect(r.drv.readConfig(6, 2)).toBe(1);
    expect(r.net.stats.linkChanges).toBe(2);
    transmit(r, frame(60, 3));
    expect(backend.frames).toEqual([frame(60, 3)]);
  });

  it('rxRoom: posted receive buffers less the backlog; none without a link', () => {
    const r = rig();
    expect(r.net.rxRoom).toBe(0);
    postRx(r, 3);
    expect(r.net.rxRoom).toBe(3);
    r.net.receive(frame(60, 1));
    expect(r.net.rxRoom).toBe(2);
    r.net.setLink(false);
    expect(r.net.rxRoom).toBe(0);
  });

  it('state round trip keeps the rx backlog and queue positions', () => {
    const r = rig();
    r.net.receive(frame(70, 8));
    const rec = structuredClone(r.t.saveState());
    const ram = r.mem.u8.slice();
    const s = rig();
    s.mem.u8.set(ram);
    s.t.loadState(rec);
    expect(s.net.backlogLength).toBe(1);
    expect(s.t.saveState()).toEqual(rec);
    const drv2 = new TestDriver(s.t, s.mem, r.drv.alloc(0));
    Object.assign(drv2, { queues: r.drv.queues });
    const a = drv2.alloc(1526);
    drv2.submit(0, [{ addr: a, len: 1526, write: true }]);
    drv2.notify(0);
    expect(drv2.collect(0)).toEqual([{ id: 0, len: 82 }]);
    expect(s.mem.read(a + VIRTIO_NET_HDR_SIZE, 70)).toEqual(frame(70, 8));
  });
});

describe('virtio-net without a transport', () => {
  it('drops received frames instead of throwing', () => {
    const net = new VirtioNet(new NullNetBackend());
    net.receive(new Uint8Array(60));
    net.linkUp = false;
    expect(net.stats.rxDropped).toBe(1);
  });
});
