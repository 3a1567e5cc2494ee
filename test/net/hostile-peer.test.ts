// A VM whose cable ends at a hostile peer (a TCP server on 127.0.0.1): garbage frames, runts,
// an oversized length, a truncated frame, a peer that vanishes and one that stalls. The VM never
// crashes, the guest sees the carrier drop and return like a pulled and replugged cable, every
// change is logged, and the guest stays responsive.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/node/net/frame-stream.js';
import { CliVm, freePort } from '../support/cli-vm.js';
import { mulberry32 } from '../support/prng.js';

function listen(port: number, onConn: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConn);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('hostile peer', () => {
  let vm: CliVm | null = null;
  const servers: Server[] = [];
  const conns: Socket[] = [];
  afterAll(async () => {
    await vm?.poweroff();
    conns.forEach((c) => c.destroy());
    servers.forEach((s) => s.close());
  });

  it('garbage, oversized, truncated, closing and stalling peers: link down and up, guest fine', async () => {
    const port = await freePort();
    const rnd = mulberry32(99);
    const accepted: Socket[] = [];
    const onConn = (s: Socket): void => { conns.push(s); accepted.push(s); s.on('error', () => {}); };
    servers.push(await listen(port, onConn));
    vm = new CliVm(['run', '-netdev', `stream,id=bad,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${port},reconnect=1`,
      '-device', 'virtio-net-device,netdev=bad']);
    expect((await vm.sh('cat /sys/class/net/eth0/carrier')).trim()).toBe('1');

    // 1: random frames (addressed to the guest and to anyone), runts, then a length of 4 GiB - 1
    const c1 = accepted[0];
    for (let i = 0; i < 50; i++) {
      const len = 14 + Math.floor(rnd() * 1500);
      const f = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      if (i % 2 === 0) f.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 0);
      c1.write(encodeFrame(f));
      c1.write(encodeFrame(Uint8Array.of(1, 2, 3)));
      c1.write(encodeFrame(new Uint8Array(0)));
    }
    // the frames reach the guest (its driver counts every frame, whatever its address)
    expect(Number(await vm.sh('i=0; while [ $(cat /sys/class/net/eth0/statistics/rx_packets) -eq 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; cat /sys/class/net/eth0/statistics/rx_packets'))).toBeGreaterThan(0);
    // no peer for a while: stop listening so the reconnection attempts fail
    servers[0].close(); // stops accepting at once (the callback would wait for c1 to end)
    c1.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xde, 0xad]));
    await vm.waitFor(/link down: bad stream from peer: frame length 4294967295 exceeds/, { where: 'messages' });
    expect((await vm.sh('sleep 0.5; cat /sys/class/net/eth0/carrier')).trim()).toBe('0');

    // 2: a peer again; the guest's carrier returns
    servers.push(await listen(port, onConn));
    await vm.waitFor(/link up: connected/, { where: 'messages', from: vm.messages.search(/link down: bad stream/) });
    expect((await vm.sh('sleep 0.5; cat /sys/class/net/eth0/carrier')).trim()).toBe('1');

    // 3: half a frame, then the peer vanishes
    const c2 = accepted[1];
    c2.end(Buffer.from([0, 0, 5, 0xdc, 1, 2, 3, 4]));
    await vm.waitFor(/link down: peer closed the connection \(8 bytes of a truncated frame discarded\)/, { where: 'messages' });

    // 4: a peer that connects and stalls mid-frame
    await vm.waitFor(/link up: connected[\s\S]*link down: peer closed[\s\S]*link up: connected/, { where: 'messages' });
    accepted[accepted.length - 1].write(Buffer.from([0, 0, 2, 0, 7]));
    const stats = await vm.sh('echo alive $((40+2)); cat /sys/class/net/eth0/carrier /sys/class/net/eth0/statistics/rx_packets');
    expect(stats).toMatch(/alive 42\s+1\s+\d+/);
    expect(Number(stats.trim().split(/\s+/).pop())).toBeGreaterThan(0);
    expect(await vm.poweroff()).toBe(0);
  });
});
