// -nic user (passt) end to end, through the real command line: the guest gets its address by
// DHCP, downloads a file from an HTTP server on the host's 127.0.0.1 (passt maps the gateway
// address to the host's loopback) with a matching checksum, and serves a page the host fetches
// through hostfwd. Every server here listens on 127.0.0.1 only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPasst } from '../../src/node/net/passt.js';
import { spawnSync } from 'node:child_process';
import { CLI, CliVm, freePort } from '../support/cli-vm.js';
import { fetchText, guestDownload, seededBlob, serveBlob, sha256, type BlobServer } from '../support/http-fixture.js';

const havePasst = findPasst() !== null;
if (!havePasst && process.env.RETROVISOR_REQUIRE_PASST) throw new Error('passt is required here (RETROVISOR_REQUIRE_PASST): install the Debian package passt');

it('-nic user without passt on PATH: an error naming the Debian package', () => {
  const r = spawnSync(process.execPath, [CLI, 'run', '-nic', 'user'], { encoding: 'utf8', env: { ...process.env, PATH: '' }, timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/needs passt, which is not on PATH: install the Debian package "passt" \(apt-get install passt\)/);
});

it('a bad network option: an error listing what is supported', () => {
  const r = spawnSync(process.execPath, [CLI, 'run', '-nic', 'tap,ifname=tap0'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/unsupported network type "tap".*supported: user, stream, socket, dgram/);
});

describe.skipIf(!havePasst)('-nic user (passt)', () => {
  const data = seededBlob(1 << 20);
  const sum = sha256(data);
  let http: BlobServer;
  let vm: CliVm;
  let fwd: number;

  beforeAll(async () => {
    http = await serveBlob(data);
    fwd = await freePort();
    vm = new CliVm(['run', '-nic', `user,hostfwd=tcp:127.0.0.1:${fwd}-:80`]);
    await vm.booted();
  });
  afterAll(async () => {
    await vm?.poweroff();
    await http?.close();
  });

  it('DHCP gives the guest an address and a default route', async () => {
    const lease = await vm.sh('while [ ! -e /run/net/eth0 ]; do sleep 0.2; done; cat /run/net/eth0; ip -4 route');
    expect(lease).toMatch(/ip=\d+\.\d+\.\d+\.\d+ mask=\d+ router=\d+\.\d+\.\d+\.\d+/);
    expect(lease).toMatch(/default via \d+\.\d+\.\d+\.\d+ dev eth0/);
    expect(vm.messages).toMatch(/eth0 \(nic0: stream unix:.*passt\.socket \(client\)\): link up/);
  });

  it('the guest downloads a file from a server on the host loopback, checksum intact', async () => {
    const out = await vm.sh(guestDownload(http.port));
    expect(out).toContain(`${sum}  /tmp/blob`);
    expect(out).toMatch(/\b1048576\b/);
  });

  it('hostfwd: the host fetches a page from busybox httpd in the guest', async () => {
    await vm.sh('mkdir -p /www; echo "served by the guest $((6*7))" > /www/index.html; httpd -p 80 -h /www');
    expect(await fetchText(fwd, '/index.html')).toBe('served by the guest 42\n');
  });
});
