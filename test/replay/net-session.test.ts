// Received network frames are asynchronous inputs: recorded with their instruction and guest
// time, and replayed so the guest answers them identically.
import { describe, expect, it } from 'vitest';
import { SeededInputSource } from '../../src/machine/input.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { codecs, recordScript, replayLog } from './session.js';

const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const PEER_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x99];

/** "Who has 10.0.0.1? Tell 10.0.0.2" from the peer. */
function arpRequest(): Uint8Array {
  return Uint8Array.from([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...PEER_MAC, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, ...PEER_MAC, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1,
    ...new Array<number>(18).fill(0),
  ]);
}

class Collect {
  frames: string[] = [];
  send(f: Uint8Array): void { this.frames.push(Buffer.from(f).toString('hex')); }
}

describe('record and replay with network input', () => {
  it('frames posted at chosen instructions replay to the same replies and state', () => {
    const tx = new Collect();
    const rec = recordScript({ input: new SeededInputSource(3), guest: { net: tx } }, (g) => {
      g.type('ifconfig eth0 10.0.0.1 netmask 255.255.255.0 up; echo UP\n');
      g.runUntil('UP\r\n', 200_000_000, 500_000);
      g.runUntil('# ', 100_000_000, 500_000);
      for (let i = 0; i < 3; i++) {
        g.runFor(123_457 * (i + 1));
        g.machine.input.post({ kind: 'net-rx', slot: 0, frame: arpRequest() });
      }
      g.runFor(2_000_000);
      g.type('cat /sys/class/net/eth0/statistics/rx_packets; echo RX\n');
      g.runUntil('RX\r\n', 200_000_000, 500_000);
      g.runUntil('# ', 100_000_000, 500_000);
    });
    const replies = tx.frames.filter((f) => f.startsWith(Buffer.from(PEER_MAC).toString('hex') + Buffer.from(GUEST_MAC).toString('hex') + '0806'));
    expect(replies.length).toBe(3);
    const reader = new LogReader(rec.log, 'net.rvr', codecs);
    expect([...reader.all()].filter((e) => e.kind === 'net-rx').length).toBe(3);

    const tx2 = new Collect();
    const r = replayLog(rec.log, { guest: { net: tx2 } }, 'net.rvr');
    expect(r.result.divergence).toBeNull();
    expect(r.result.stop).toBe('end');
    expect(r.output).toBe(rec.output);
    expect(tx2.frames).toEqual(tx.frames);
    expect(r.final).toEqual(rec.final);
  });
});
