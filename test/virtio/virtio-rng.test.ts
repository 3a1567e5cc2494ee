import { describe, expect, it } from 'vitest';
import { VirtioMmioTransport } from '../../src/machine/virtio/mmio-transport.js';
import { RNG_MAX_REQUEST, VirtioRng } from '../../src/machine/virtio/virtio-rng.js';
import { InputPort, SeededInputSource } from '../../src/machine/input.js';
import type { InputTap, SyncInput } from '../../src/machine/input.js';
import { RecordingIrq, TestDriver, newRam } from './virtio-driver.js';

function rig(seed = 7) {
  const mem = newRam();
  const irq = new RecordingIrq();
  const input = new InputPort(new SeededInputSource(seed), () => ({ instret: 42, pc: 0x1000 }));
  const rng = new VirtioRng(input);
  const t = new VirtioMmioTransport(rng, mem, irq, 8);
  const drv = new TestDriver(t, mem);
  drv.init(1);
  return { mem, irq, input, rng, t, drv };
}

describe('virtio-rng', () => {
  it('is device ID 4 with one queue', () => {
    const r = rig();
    expect(r.t.read(0x008, 4)).toBe(4);
    r.drv.setReg(0x030, 1);
    expect(r.drv.reg(0x034)).toBe(0);
  });

  it('fills guest buffers from InputPort.entropy, which the tap records', () => {
    const r = rig();
    const seen: SyncInput[] = [];
    const tap: InputTap = { sync: (i) => seen.push(i), async: () => {} };
    r.input.tap = tap;
    const a = r.drv.alloc(64);
    const b = r.drv.alloc(32);
    r.drv.submit(0, [
      { addr: a, len: 64, write: true },
      { addr: b, len: 32, write: true },
    ]);
    r.drv.notify(0);
    expect(r.drv.collect(0)).toEqual([{ id: 0, len: 96 }]);
    const expected = new Uint8Array(96);
    new SeededInputSource(7).entropy(expected);
    expect(r.mem.read(a, 64)).toEqual(expected.subarray(0, 64));
    expect(r.mem.read(b, 32)).toEqual(expected.subarray(64));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({ kind: 'entropy', data: expected });
    expect(r.irq.level(8)).toBe(true);
  });

  it('serves at most RNG_MAX_REQUEST bytes per request and ignores readable buffers', () => {
    const r = rig();
    const big = r.drv.alloc(RNG_MAX_REQUEST * 2);
    const ro = r.drv.alloc(16);
    r.drv.submit(0, [
      { addr: ro, len: 16, write: false },
      { addr: big, len: RNG_MAX_REQUEST * 2, write: true },
    ]);
    r.drv.notify(0);
    expect(r.drv.collect(0)[0].len).toBe(RNG_MAX_REQUEST);
    expect(r.mem.read(ro, 16)).toEqual(new Uint8Array(16));
  });

  it('is deterministic given the same seed, across a state round trip', () => {
    const one = rig(99);
    const a = one.drv.alloc(64);
    one.drv.submit(0, [{ addr: a, len: 64, write: true }]);
    one.drv.notify(0);
    const rec = one.t.saveState();
    const two = rig(99);
    two.t.loadState(structuredClone(rec));
    expect(two.t.saveState()).toEqual(rec);
    expect(one.rng.bytesServed).toBe(64);
  });
});

describe('virtqueue index wrap-around', () => {
  it('keeps working past 65536 requests on a 4-entry queue', () => {
    const mem = newRam();
    const input = new InputPort(new SeededInputSource(5), () => ({ instret: 0, pc: 0 }));
    const t = new VirtioMmioTransport(new VirtioRng(input, 4), mem, new RecordingIrq(), 1);
    const drv = new TestDriver(t, mem);
    drv.init(1, null, 4);
    const buf = drv.alloc(4);
    let total = 0;
    for (let i = 0; i < 66_000; i += 3) {
      for (let k = 0; k < 3; k++) drv.submit(0, [{ addr: buf, len: 1 + k, write: true }]);
      drv.notify(0);
      const used = drv.collect(0);
      if (used.length !== 3) throw new Error(`request ${i}: ${used.length} completions`);
      total += used.reduce((s, u) => s + u.len, 0);
      drv.ackInterrupt();
    }
    expect(total).toBe(22_000 * 6);
    expect(t.lastFault).toBeNull();
    expect(t.queues[0].usedIdx).toBe(66_000 & 0xffff);
  });
});
