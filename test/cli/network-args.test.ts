// QEMU's network options: -nic, -netdev + -device, parsed into NIC descriptions; clear errors.
import { describe, expect, it } from 'vitest';
import { parseHostfwd, parseNetworkOptions } from '../../src/cli/network-args.js';
import { formatMac } from '../../src/node/net/netdev-spec.js';
import { passtForwardArgs } from '../../src/node/net/passt.js';
import { normalizeQemuArgs } from '../../src/cli/qemu-style-args.js';

describe('network options', () => {
  it('-nic user with forwards and QEMU default MACs', () => {
    const nics = parseNetworkOptions({ nic: ['user,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-:53', 'user,mac=52:54:00:aa:bb:cc'] });
    expect(nics.map((n) => formatMac(n.mac))).toEqual(['52:54:00:12:34:56', '52:54:00:aa:bb:cc']);
    expect(nics[0].netdev).toEqual({
      type: 'user',
      forwards: [
        { protocol: 'tcp', hostAddress: '', hostPort: 8080, guestPort: 80 },
        { protocol: 'udp', hostAddress: '127.0.0.1', hostPort: 5353, guestPort: 53 },
      ],
    });
    expect(passtForwardArgs(nics[0].netdev.type === 'user' ? nics[0].netdev.forwards : [])).toEqual(['-t', '127.0.0.1/8080:80', '-u', '127.0.0.1/5353:53']);
  });

  it('-netdev + -device; -device NICs come first', () => {
    const nics = parseNetworkOptions({
      nic: ['socket,connect=127.0.0.1:1234'],
      netdev: ['stream,id=s0,server=off,addr.type=unix,addr.path=/tmp/p.sock', 'socket,id=t0,listen=:5555', 'dgram,id=d0,local.type=inet,local.port=7000,remote.type=inet,remote.host=127.0.0.1,remote.port=7001'],
      device: ['virtio-net-device,netdev=s0', 'virtio-net-device,netdev=t0,mac=52:54:00:00:00:02', 'virtio-net-device,netdev=d0,id=nic9'],
    });
    expect(nics.map((n) => n.id)).toEqual(['s0', 't0', 'd0', 'nic3']);
    expect(nics.map((n) => formatMac(n.mac))).toEqual(['52:54:00:12:34:56', '52:54:00:00:00:02', '52:54:00:12:34:58', '52:54:00:12:34:59']);
    expect(nics[0].netdev).toEqual({ type: 'stream', address: { kind: 'unix', path: '/tmp/p.sock' }, server: false, reconnectMs: 0 });
    expect(nics[1].netdev).toEqual({ type: 'stream', address: { kind: 'inet', host: '127.0.0.1', port: 5555 }, server: true, reconnectMs: 0 });
    expect(nics[2].netdev).toEqual({ type: 'dgram', local: { host: '127.0.0.1', port: 7000 }, remote: { host: '127.0.0.1', port: 7001 } });
    expect(nics[3].netdev).toEqual({ type: 'stream', address: { kind: 'inet', host: '127.0.0.1', port: 1234 }, server: false, reconnectMs: 0 });
  });

  it('-nic none and no options: no NICs', () => {
    expect(parseNetworkOptions({})).toEqual([]);
    expect(parseNetworkOptions({ nic: ['none'] })).toEqual([]);
  });

  it('single-dash spellings', () => {
    expect(normalizeQemuArgs(['-nic', 'user', '-netdev', 'x', '-device', 'y'])).toEqual(['--nic', 'user', '--netdev', 'x', '--device', 'y']);
  });

  it.each([
    [{ nic: ['tap,ifname=tap0'] }, /unsupported network type "tap".*supported: user, stream, socket, dgram/],
    [{ nic: ['user,net=10.0.2.0/24'] }, /unsupported option "net" for user \(supported: id, hostfwd, mac, model\)/],
    [{ nic: ['user,model=e1000'] }, /model=e1000 is not supported/],
    [{ nic: ['user,mac=01:00:00:00:00:01'] }, /multicast/],
    [{ nic: ['user,mac=zz'] }, /bad MAC address "zz"/],
    [{ nic: ['user,hostfwd=tcp::8080-10.0.2.15:80'] }, /a guest address is not supported/],
    [{ nic: ['user,hostfwd=8080:80'] }, /expected \[tcp\|udp\]:\[HOSTADDR\]:HOSTPORT-\[GUESTADDR\]:GUESTPORT/],
    [{ nic: ['user,hostfwd=tcp::99999-:80'] }, /bad port "99999"/],
    [{ netdev: ['user,id=n0'] }, /not connected to a NIC: add -device virtio-net-device,netdev=n0/],
    [{ netdev: ['user'], device: [] }, /needs id=ID/],
    [{ device: ['virtio-net-pci,netdev=n0'] }, /no PCI: use virtio-net-device/],
    [{ device: ['virtio-net-device,netdev=n9'] }, /no -netdev with id=n9/],
    [{ netdev: ['user,id=a'], device: ['virtio-net-device,netdev=a', 'virtio-net-device,netdev=a'] }, /already connected/],
    [{ nic: ['socket,mcast=230.0.0.1:1234'] }, /unsupported option "mcast"/],
    [{ nic: ['socket,listen=:1,connect=127.0.0.1:2'] }, /exactly one of listen/],
    [{ nic: ['socket,udp=127.0.0.1:2'] }, /needs localaddr/],
    [{ nic: ['stream,addr.type=fd'] }, /addr.type=unix or addr.type=inet/],
    [{ nic: ['stream,server=on,addr.type=inet,addr.port=1,reconnect=1'] }, /reconnect is for clients/],
  ])('rejects %j', (opts, msg) => {
    expect(() => parseNetworkOptions(opts)).toThrow(msg);
  });

  it('hostfwd defaults to tcp', () => {
    expect(parseHostfwd(':0.0.0.0:2222-:22')).toEqual({ protocol: 'tcp', hostAddress: '0.0.0.0', hostPort: 2222, guestPort: 22 });
  });
});
