// Several NICs on the board: QEMU's default MACs, eth0 in the highest slot, net inputs routed by slot.
import { describe, expect, it } from 'vitest';
import { VirtMachine, defaultMac } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { NullNetBackend } from '../../src/machine/virtio/net-backend.js';

describe('NICs on the virt board', () => {
  it('get QEMU default MACs in order and take net inputs by slot', () => {
    const m = new VirtMachine({
      bios: null, kernel: Uint8Array.of(0x73, 0x00, 0x50, 0x10), memoryBytes: 16 << 20, rng: false,
      input: new SeededInputSource(), console: () => {},
      nics: [{ backend: new NullNetBackend() }, { backend: new NullNetBackend(), mac: Uint8Array.of(2, 0, 0, 0, 0, 9) }, { backend: new NullNetBackend() }],
    });
    expect(m.nets.map((n) => [...n.mac])).toEqual([[...defaultMac(0)], [2, 0, 0, 0, 0, 9], [...defaultMac(2)]]);
    expect([...defaultMac(1)]).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x57]);
    expect(m.net).toBe(m.nets[0]);
    // QEMU fills the highest slot first, so the first NIC is the first device Linux finds
    expect(m.slots.findIndex((s) => 'deviceId' in s && s.deviceId === 1)).toBe(5);
    m.input.post({ kind: 'net-link', slot: 1, up: false });
    m.input.post({ kind: 'net-rx', slot: 2, frame: new Uint8Array(60) });
    m.input.post({ kind: 'net-rx', slot: 9, frame: new Uint8Array(60) }); // no such NIC: ignored
    m.run(10);
    expect(m.nets.map((n) => n.linkUp)).toEqual([true, false, true]);
    expect(m.nets[2].stats.rxDropped).toBe(1); // driver not up yet
  });
});
