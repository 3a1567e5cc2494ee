/**
 * Network benchmark: the standard guest downloads through passt (-nic user)
 * on Retrovisor and on QEMU (qemu-system-riscv64 -M virt, same images,
 * `-netdev stream` to its own passt with the same options), in one run; then
 * a recorded download gives the replay log's bytes per MB received.
 *   npm run bench:net [-- --runs N] [--mib M]
 *
 * Throughput: host time from the HTTP request reaching the server on
 * 127.0.0.1 to the guest's shell printing its end marker after
 * `wget -O /dev/null`. Request latency: 20 sequential `wget`s of a 1 KiB
 * file (a new guest process and TCP connection each), the host-side spacing
 * between request arrivals. Both include the guest's own work, which is the
 * point: it is what a user of the VM waits for.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, CliVm } from '../test/support/cli-vm.js';
import { seededBlob } from '../test/support/http-fixture.js';
import { qemuArgs, requireQemu } from '../test/support/qemu.js';
import { materializeGuestImages } from '../src/node/guest-images.js';
import { guestNodeArgs } from '../src/node/guest-process-flags.js';
import { PasstProcess, findPasst, PASST_PACKAGE_HINT } from '../src/node/net/passt.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 3);
const MIB = arg('--mib', 8);
const REQUESTS = 20;

interface Timed { server: Server; port: number; arrivals: Map<string, number[]> }

function serve(big: Buffer, small: Buffer): Promise<Timed> {
  return new Promise((resolve) => {
    const t: Timed = {
      server: createServer((req, res) => {
        const url = req.url ?? '';
        const list = t.arrivals.get(url) ?? [];
        list.push(performance.now());
        t.arrivals.set(url, list);
        const body = url === '/big' ? big : url === '/small' ? small : null;
        if (!body) { res.writeHead(404).end(); return; }
        res.writeHead(200, { 'content-length': body.length }).end(body);
      }),
      port: 0,
      arrivals: new Map(),
    };
    t.server.listen(0, '127.0.0.1', () => { t.port = (t.server.address() as { port: number }).port; resolve(t); });
  });
}

const GW = `gw=$(ip -4 route | sed -n 's/^default via \\([0-9.]*\\).*/\\1/p')`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Result { mbps: number[]; requestMs: number }

async function measure(vm: CliVm, http: Timed, bytes: number): Promise<Result> {
  await vm.booted(240_000);
  await vm.sh(`while [ ! -e /run/net/eth0 ]; do sleep 0.2; done; ${GW}; wget -q -O /dev/null http://$gw:${http.port}/small`);
  const mbps: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const before = http.arrivals.get('/big')?.length ?? 0;
    const out = await vm.sh(`${GW}; wget -q -O /dev/null http://$gw:${http.port}/big && echo OK-$((1+1))`, 600_000);
    const end = performance.now();
    if (!out.includes('OK-2')) throw new Error(`download failed: ${out}`);
    const start = (http.arrivals.get('/big') as number[])[before];
    mbps.push(bytes / 1e6 / ((end - start) / 1000));
  }
  const before = http.arrivals.get('/small')?.length ?? 0;
  await vm.sh(`${GW}; i=0; while [ $i -lt ${REQUESTS} ]; do wget -q -O /dev/null http://$gw:${http.port}/small; i=$((i+1)); done`, 600_000);
  const a = (http.arrivals.get('/small') as number[]).slice(before);
  return { mbps, requestMs: (a[a.length - 1] - a[0]) / (a.length - 1) };
}

async function main(): Promise<void> {
  const qemuVersion = requireQemu();
  if (!findPasst()) throw new Error(`bench:net needs passt: ${PASST_PACKAGE_HINT}`);
  const bytes = MIB << 20;
  const http = await serve(seededBlob(bytes, 1), seededBlob(1024, 2));
  const dir = mkdtempSync(join(tmpdir(), 'rv-bench-net-'));
  const rows: Array<[string, string, string, string]> = [];
  try {
    // Retrovisor
    const rv = new CliVm(['run', '-nic', 'user']);
    let rvr: Result;
    try { rvr = await measure(rv, http, bytes); } finally { await rv.poweroff(); rv.kill(); }

    // QEMU on its own passt, same options
    const images = materializeGuestImages();
    const passt = await PasstProcess.start({ forwards: [] });
    const q = new CliVm([...qemuArgs(images), '-netdev', `stream,id=n0,server=off,addr.type=unix,addr.path=${passt.socketPath}`,
      '-device', 'virtio-net-device,netdev=n0'], process.env, 'qemu-system-riscv64');
    let qr: Result;
    try { qr = await measure(q, http, bytes); } finally { await q.poweroff(); q.kill(); passt.stop(); images.cleanup(); }

    // the same download recorded, then the log's size against the traffic it holds
    const log = join(dir, 'download.rvr');
    const rec = new CliVm(['record', '-nic', 'user', '-o', log]);
    let recorded: Result;
    try { recorded = await measure(rec, http, bytes); } finally { await rec.poweroff(); rec.kill(); }
    const replay = spawnSync(process.execPath, [...guestNodeArgs(), CLI, 'replay', log, '--stats'], { encoding: 'latin1', env: { ...process.env, PATH: '' } });
    const m = /net received +([\d,]+) frames, ([\d,]+) bytes/.exec(replay.stderr);
    const wall = /replay wall time +([\d.]+) s/.exec(replay.stderr);
    const received = m ? Number(m[2].replace(/,/g, '')) : NaN;
    const logBytes = statSync(log).size;

    const f = (x: number, d = 2): string => x.toFixed(d);
    rows.push(['download throughput (MB/s, median)', f(median(rvr.mbps)), f(median(qr.mbps)), `${f(median(rvr.mbps) / median(qr.mbps), 3)}×`]);
    rows.push(['  all runs', rvr.mbps.map((x) => f(x)).join(' '), qr.mbps.map((x) => f(x)).join(' '), '']);
    rows.push([`request latency (ms, wget of 1 KiB, mean of ${REQUESTS - 1} intervals)`, f(rvr.requestMs, 1), f(qr.requestMs, 1), `${f(rvr.requestMs / qr.requestMs, 2)}×`]);
    rows.push(['recorded download throughput (MB/s, median)', f(median(recorded.mbps)), '', '']);
    rows.push(['recorded request latency (ms)', f(recorded.requestMs, 1), '', '']);
    console.log(`bench:net: ${RUNS} downloads of ${MIB} MiB each; ${qemuVersion}; Node ${process.version}`);
    console.log('| measure | Retrovisor | QEMU | Retrovisor / QEMU |\n|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    console.log(`\nreplay log: ${logBytes.toLocaleString('en-US')} bytes for ${received.toLocaleString('en-US')} bytes of received frames ` +
      `(${m ? m[1] : '?'} frames) = ${Math.round(logBytes / (received / 1e6)).toLocaleString('en-US')} log bytes per MB received; ` +
      `replay (no network) ${replay.status === 0 ? 'matched to the end' : `FAILED (exit ${replay.status})`} in ${wall ? wall[1] : '?'} s`);
  } finally {
    http.server.closeAllConnections();
    http.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
