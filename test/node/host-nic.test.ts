// HostNic: what arrives from a peer reaches the machine only through its input port, in order,
// as far as the guest has receive buffers; link changes keep their place among the frames; a
// full queue pauses the peer.
import { describe, expect, it } from 'vitest';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';
import type { AsyncInput } from '../../src/machine/input.js';
import { emptyStats, type FrameTransport, type TransportEvents } from '../../src/node/net/frame-transport.js';
import { HostNic } from '../../src/node/net/host-nic.js';

class FakeTransport implements FrameTransport {
  readonly description = 'fake';
  readonly stats = emptyStats();
  connected = true;
  events!: TransportEvents;
  paused = false;
  sent: Uint8Array[] = [];
  start(events: TransportEvents): Promise<void> { this.events = events; events.link(true, 'connected'); return Promise.resolve(); }
  send(f: Uint8Array): void { this.sent.push(f); }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
  close(): void {}
}

/** The two things HostNic reads of a machine: the device's link and room, and the input port. */
function fakeMachine(): { m: VirtMachine; dev: { linkUp: boolean; rxRoom: number }; posted: AsyncInput[]; apply(): void } {
  const dev = { linkUp: true, rxRoom: 0 };
  const posted: AsyncInput[] = [];
  const m = { nets: [dev], input: { post: (i: AsyncInput) => posted.push(i) } } as unknown as VirtMachine;
  // what the machine does at the next slice boundary
  const apply = (): void => {
    for (const i of posted) if (i.kind === 'net-link') dev.linkUp = i.up;
  };
  return { m, dev, posted, apply };
}

const frame = (n: number, len = 60): Uint8Array => new Uint8Array(len).fill(n);
const spec = { id: 't', mac: new Uint8Array(6), netdev: { type: 'user' as const, forwards: [] } };

describe('HostNic', () => {
  it('posts frames only as far as the guest has buffers, in order; runts never', async () => {
    const t = new FakeTransport();
    const nic = new HostNic(0, spec, t, () => {});
    await nic.start();
    const { m, dev, posted } = fakeMachine();
    let woken = 0;
    nic.attach(m, () => woken++);
    t.events.frame(frame(1));
    t.events.frame(frame(2, 13)); // runt
    t.events.frame(frame(3));
    t.events.frame(frame(4));
    expect(woken).toBe(3);
    nic.pump();
    expect(posted).toEqual([]); // no buffers yet
    dev.rxRoom = 2;
    expect(nic.ready).toBe(true);
    nic.pump();
    expect(posted.map((i) => i.kind === 'net-rx' && i.frame[0])).toEqual([1, 3]);
    expect(nic.queued).toBe(1);
    expect(nic.stats.dropped).toBe(1);
    nic.send(frame(9));
    expect(t.sent.length).toBe(1);
  });

  it('a link change keeps its place: frames before it go if they can, frames after it wait for it', async () => {
    const t = new FakeTransport();
    const logs: string[] = [];
    const nic = new HostNic(0, spec, t, (s) => logs.push(s));
    await nic.start();
    const { m, dev, posted, apply } = fakeMachine();
    nic.attach(m, () => {});
    dev.rxRoom = 1;
    t.events.frame(frame(1));
    t.events.frame(frame(2));
    t.events.link(false, 'peer closed');
    t.events.link(true, 'connected');
    t.events.frame(frame(3));
    nic.pump();
    // frame 1 fits, frame 2 is lost with the link, then the link goes down
    expect(posted.map((i) => (i.kind === 'net-rx' ? i.frame[0] : `${i.kind}:${(i as { up: boolean }).up}`))).toEqual([1, 'net-link:false']);
    expect(nic.stats.dropped).toBe(1);
    nic.pump(); // the machine has not applied the change yet: nothing more
    expect(posted.length).toBe(2);
    apply();
    nic.pump();
    expect(posted.slice(2).map((i) => i.kind)).toEqual(['net-link']);
    apply();
    dev.rxRoom = 4;
    nic.pump();
    expect(posted.slice(3).map((i) => i.kind === 'net-rx' && i.frame[0])).toEqual([3]);
    expect(logs.join('\n')).toMatch(/link down: peer closed[\s\S]*link up: connected/);
  });

  it('pauses the peer when frames pile up and resumes once the guest drains them', async () => {
    const t = new FakeTransport();
    const nic = new HostNic(0, spec, t, () => {});
    await nic.start();
    const { m, dev } = fakeMachine();
    nic.attach(m, () => {});
    nic.pump();
    for (let i = 0; i < 300; i++) t.events.frame(frame(i & 0xff));
    expect(t.paused).toBe(true);
    dev.rxRoom = 240;
    nic.pump();
    expect(nic.queued).toBe(60);
    expect(t.paused).toBe(false);
  });
});
