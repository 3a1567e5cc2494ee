// Two Retrovisor VMs on one cable: QEMU's -netdev socket (TCP listen/connect on 127.0.0.1,
// length-prefixed frames) and socket,udp= (one datagram per frame). Static addresses; they ping.
import { afterEach, describe, expect, it } from 'vitest';
import { CliVm, freePort } from '../support/cli-vm.js';

async function pair(a: string[], b: string[]): Promise<[CliVm, CliVm]> {
  const vmA = new CliVm(['run', ...a]);
  // the listening side is up before the other connects
  await vmA.waitFor(/link (up|down)/, { where: 'messages' });
  const vmB = new CliVm(['run', ...b]);
  await Promise.all([vmA.booted(), vmB.booted()]);
  await vmA.sh('ip addr add 10.0.0.1/24 dev eth0');
  await vmB.sh('ip addr add 10.0.0.2/24 dev eth0');
  return [vmA, vmB];
}

describe('VM to VM', () => {
  let vms: CliVm[] = [];
  afterEach(async () => {
    await Promise.all(vms.map((v) => v.poweroff()));
    vms = [];
  });

  it('socket listen/connect (TCP): the VMs ping each other', async () => {
    const port = await freePort();
    vms = await pair(
      ['-netdev', `socket,id=n0,listen=127.0.0.1:${port}`, '-device', 'virtio-net-device,netdev=n0'],
      ['-nic', `socket,connect=127.0.0.1:${port},mac=52:54:00:12:34:57`],
    );
    const [a, b] = vms;
    expect(a.messages).toMatch(/link up: peer .* connected/);
    expect(await a.sh('ping -c 3 -W 5 10.0.0.2')).toMatch(/3 packets transmitted, 3 packets received/);
    expect(await b.sh('ping -c 3 -W 5 10.0.0.1')).toMatch(/3 packets transmitted, 3 packets received/);
  });

  it('socket udp=: the VMs ping each other', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    vms = await pair(
      ['-nic', `socket,udp=127.0.0.1:${pb},localaddr=127.0.0.1:${pa}`],
      ['-nic', `socket,udp=127.0.0.1:${pa},localaddr=127.0.0.1:${pb},mac=52:54:00:12:34:57`],
    );
    const [a, b] = vms;
    expect(await a.sh('ping -c 3 -W 5 10.0.0.2')).toMatch(/3 packets transmitted, 3 packets received/);
    expect(await b.sh('ping -c 2 -W 5 10.0.0.1')).toMatch(/2 packets transmitted, 2 packets received/);
  });
});
