// More cables: a Retrovisor VM and a QEMU VM on -netdev socket (QEMU's own framing, so the two
// interoperate), and two Retrovisor VMs over socket,udp= (one datagram per frame).
import { afterEach, describe, expect, it } from 'vitest';
import { CliVm, freePort } from '../support/cli-vm.js';
import { qemuArgs, QEMU_BINARY } from '../support/qemu.js';
import { materializeGuestImages } from '../../src/node/guest-images.js';
import { pair } from './vm-pair.js';

describe('VM to VM', () => {
  let vms: CliVm[] = [];
  afterEach(async () => {
    await Promise.all(vms.map((v) => v.poweroff()));
    vms = [];
  });

  it('socket: a Retrovisor VM and a QEMU VM (-netdev socket,listen) ping each other', async () => {
    const port = await freePort();
    const images = materializeGuestImages();
    try {
      const qemu = new CliVm([...qemuArgs(images), '-netdev', `socket,id=n0,listen=127.0.0.1:${port}`, '-device', 'virtio-net-device,netdev=n0'], process.env, QEMU_BINARY);
      vms = [qemu];
      vms = await pair(qemu, ['-nic', `socket,connect=127.0.0.1:${port},mac=52:54:00:12:34:57`]);
      const [q, r] = vms;
      expect(await r.sh('ping -c 3 -W 5 10.0.0.1')).toMatch(/3 packets transmitted, 3 packets received/);
      expect(await q.sh('ping -c 3 -W 5 10.0.0.2')).toMatch(/3 packets transmitted, 3 packets received/);
    } finally {
      await Promise.all(vms.map((v) => v.poweroff()));
      vms = [];
      images.cleanup();
    }
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
