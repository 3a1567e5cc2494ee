// A recording with real traffic replays byte for byte with no network: the guest downloads a
// file through -nic user (passt) while recording; the replay runs with the HTTP server closed and
// passt off PATH (it would fail loudly if it tried to start it or open any socket), and prints
// the same console output, matching every state fingerprint to the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPasst } from '../../src/node/net/passt.js';
import { CLI, CliVm } from '../support/cli-vm.js';
import { guestDownload, seededBlob, serveBlob, sha256 } from '../support/http-fixture.js';

const havePasst = findPasst() !== null;
if (!havePasst && process.env.RETROVISOR_REQUIRE_PASST) throw new Error('passt is required here (RETROVISOR_REQUIRE_PASST): install the Debian package passt');

describe.skipIf(!havePasst)('record and replay of a download', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rv-net-rr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replays to the same output and state with no network', async () => {
    const data = seededBlob(256 << 10, 7);
    const http = await serveBlob(data);
    const log = join(dir, 'download.rvr');
    const vm = new CliVm(['record', '-nic', 'user', '-o', log]);
    try {
      await vm.booted();
      const out = await vm.sh(`while [ ! -e /run/net/eth0 ]; do sleep 0.2; done; ${guestDownload(http.port)}`);
      expect(out).toContain(`${sha256(data)}  /tmp/blob`);
      expect(await vm.poweroff()).toBe(0);
    } finally {
      vm.kill();
      await http.close();
    }
    expect(http.requests).toBe(1);

    // no passt on PATH, no server: the frames come from the log
    const r = spawnSync(process.execPath, [CLI, 'replay', log, '--stats'], { encoding: 'latin1', env: { ...process.env, PATH: '' }, timeout: 300_000 });
    expect(r.stderr).not.toMatch(/diverged/);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(vm.output);
    expect(r.stderr).toMatch(/stop +end \(recording ended: poweroff\)/);
    const m = /net received +([\d,]+) frames, ([\d,]+) bytes/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![2].replace(/,/g, ''))).toBeGreaterThan(data.length);
  });
});
