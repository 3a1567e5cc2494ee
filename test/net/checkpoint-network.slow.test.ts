// A checkpoint of a machine with a NIC restores with the link re-attached (a new passt; the guest
// downloads again) or, on request, detached (the cable pulled: the guest sees no carrier), and
// says which.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPasst } from '../../src/node/net/passt.js';
import { CliVm } from '../support/cli-vm.js';
import { guestDownload, seededBlob, serveBlob, sha256, type BlobServer } from '../support/http-fixture.js';

const havePasst = findPasst() !== null;
if (!havePasst && process.env.RETROVISOR_REQUIRE_PASST) throw new Error('passt is required here (RETROVISOR_REQUIRE_PASST): install the Debian package passt');

describe.skipIf(!havePasst)('checkpoints with a NIC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rv-net-ckpt-'));
  const repo = join(dir, 'repo');
  const data = seededBlob(64 << 10, 3);
  let http: BlobServer;
  afterAll(async () => {
    await http?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restore re-attaches the network, or detaches it on request', async () => {
    http = await serveBlob(data);
    const vm = new CliVm(['run', '-nic', 'user', '--repo', repo, '--checkpoint-every', '200ms']);
    try {
      await vm.booted();
      expect(await vm.sh(`while [ ! -e /run/net/eth0 ]; do sleep 0.2; done; ${guestDownload(http.port)}`)).toContain(sha256(data));
      // periodic checkpoints while the guest sleeps; the VM is then killed mid-sleep (the
      // repository survives that), so the latest checkpoint has the guest in `sleep`
      vm.type('sleep 3\n');
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      vm.kill();
      await vm.exit;
    }

    const back = new CliVm(['restore', 'latest', '--repo', repo]);
    try {
      await back.waitFor(/restored checkpoint \d+[\s\S]*eth0 \(nic0: stream unix:.*\): link up/, { where: 'messages' });
      back.type('\n');
      expect(await back.sh(`rm /tmp/blob; ${guestDownload(http.port)}`)).toContain(`${sha256(data)}  /tmp/blob`);
      expect(await back.poweroff()).toBe(0);
    } finally {
      back.kill();
    }

    const off = new CliVm(['restore', 'latest', '--repo', repo, '--net', 'detach']);
    try {
      await off.waitFor(/network detached: 1 NIC\(s\) with the link down/, { where: 'messages' });
      off.type('\n');
      expect((await off.sh('sleep 0.3; cat /sys/class/net/eth0/carrier')).trim()).toBe('0');
      expect(await off.poweroff()).toBe(0);
    } finally {
      off.kill();
    }
  });
});
