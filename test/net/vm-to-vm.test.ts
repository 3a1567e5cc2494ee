// Two Retrovisor VMs on one cable: QEMU's -netdev socket (TCP listen/connect on 127.0.0.1,
// length-prefixed frames). Static addresses; they ping. (UDP and a QEMU peer: vm-to-vm.slow.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { type CliVm, freePort } from '../support/cli-vm.js';
import { pair } from './vm-pair.js';

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
});
