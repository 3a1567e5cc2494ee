/**
 * `npm run bench:repo`: one repository, many writers.
 *  1. checkpoint throughput of 1 and of 4 concurrent writer processes into one
 *     repository (synthetic RAM images of 1024 pages, 5% of pages changed per
 *     checkpoint, zstd; each writer its own process, as `retrovisor run`s are);
 *  2. cross-VM deduplication: four standard Linux guests booted from the same
 *     images (different workloads and entropy seeds), each checkpointed in
 *     full into one shared repository and, for comparison, into a repository
 *     of its own.
 * Options: --quick (fewer checkpoints, 60 M instructions per VM), --no-vms.
 * No QEMU peer: QEMU has no shared multi-VM snapshot store to compare with.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededInputSource } from '../src/machine/input.js';
import { MachineCheckpointer } from '../src/checkpoint/machine-checkpointer.js';
import { nodeCodecRegistry } from '../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../src/node/fs-store.js';
import { Repository } from '../src/store/repository.js';
import { GuestSession } from '../test/support/guest-session.js';
import { describeState } from '../test/store/stress-child.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const codecs = nodeCodecRegistry();
const fs = new NodeStoreFs();
const CHILD = fileURLToPath(new URL('../test/store/stress-child.js', import.meta.url));
void describeState; // the child script is compiled because this import names it

const PAGES = 1024, MUTATIONS = 51, COUNT = quick ? 30 : 100;

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

function writer(dir: string, i: number): Promise<{ start: number; end: number; commits: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CHILD, 'writer', dir, `w${i}`, String(500 + i), String(PAGES), String(MUTATIONS), '0', String(COUNT)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('exit', (code) => {
      if (code !== 0) { reject(new Error(`writer ${i} exited with ${code}`)); return; }
      const lines = out.split('\n');
      const num = (op: string) => Number(lines.find((l) => l.startsWith(`${op} `))?.split(' ')[1]);
      resolve({ start: num('S'), end: num('E'), commits: lines.filter((l) => l.startsWith('C ')).length });
    });
  });
}

async function throughput(n: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rv-bench-repo-'));
  try {
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => writer(dir, i)));
    const start = Math.min(...rs.map((r) => r.start)), end = Math.max(...rs.map((r) => r.end));
    const commits = rs.reduce((s, r) => s + r.commits, 0);
    const secs = (end - start) / 1000;
    const repo = Repository.open(fs, dir, { codecs, readOnly: true });
    const errors = repo.verify().filter((p) => p.severity === 'error').length;
    const listed = repo.list().length;
    repo.close();
    // input: a full image first, then 5% of pages per checkpoint
    const inMiB = n * (PAGES + (COUNT - 1) * MUTATIONS) * 4096 / 2 ** 20;
    return [String(n), String(commits), `${listed}`, secs.toFixed(2), (commits / secs).toFixed(1), (inMiB / secs).toFixed(1), (dirBytes(dir) / 2 ** 20).toFixed(2), errors === 0 ? 'clean' : `${errors} errors`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r, i) => `| ${r.map((x, c) => x.padEnd(w[c])).join(' | ')} |${i === 0 ? `\n|${w.map((n) => '-'.repeat(n + 2)).join('|')}|` : ''}`).join('\n');
}

async function main(): Promise<void> {
  console.log(`## Concurrent writers (${PAGES} pages = 4 MiB per image, ${MUTATIONS} pages changed per checkpoint, ${COUNT} checkpoints per writer)\n`);
  const rows = [['writers', 'checkpoints', 'listed after', 'wall s', 'checkpoints/s', 'MiB/s in', 'repo MiB', 'verify']];
  rows.push(await throughput(1));
  rows.push(await throughput(4));
  console.log(table(rows));
  const r1 = Number(rows[1][4]), r4 = Number(rows[2][4]);
  console.log(`\n4 writers vs 1: ${(r4 / r1).toFixed(2)}× the checkpoints per second (2 cores shared with other work)\n`);

  if (args.includes('--no-vms')) return;
  const instructions = quick ? 60_000_000 : 150_000_000;
  console.log(`## Cross-VM deduplication: 4 standard guests from the same images, full checkpoint at ${instructions / 1e6} M instructions each\n`);
  const shared = mkdtempSync(join(tmpdir(), 'rv-bench-shared-'));
  const own = mkdtempSync(join(tmpdir(), 'rv-bench-own-'));
  const vms: Array<{ workload: string; args: Array<string | number> }> = [
    { workload: 'idle', args: [] }, { workload: 'compute', args: [4, 64] }, { workload: 'memtouch', args: [16, 100, 0] }, { workload: 'shell', args: [] },
  ];
  const rowsV = [['vm', 'workload', 'non-zero pages', 'stored alone (chunks)', 'stored in shared repo (chunks)', 'deduplicated against other VMs', 'payload alone', 'payload shared']];
  let sumAlone = 0, sumShared = 0, sumNonZero = 0, bytesAlone = 0, bytesShared = 0;
  const sharedRepo = Repository.open(fs, shared, { codecs, create: true });
  try {
    for (const [i, vm] of vms.entries()) {
      const s = new GuestSession({ memoryBytes: 256 << 20, workload: vm.workload, args: vm.args, input: new SeededInputSource(1000 + i) });
      try {
        while (s.machine.instret < instructions) {
          const stop = s.machine.run(Math.min(4_000_000, instructions - s.machine.instret), 'skip');
          if (stop.kind === 'poweroff' || stop.kind === 'fail') break;
        }
        const alone = Repository.open(fs, join(own, `vm${i}`), { codecs, create: true });
        const a = new MachineCheckpointer(s.machine, alone, codecs).capture();
        alone.close();
        const b = new MachineCheckpointer(s.machine, sharedRepo, codecs).capture();
        const nonZero = a.metrics.pagesDirty - a.metrics.pagesZero;
        const storedAlone = a.metrics.pagesDirty - a.metrics.pagesZero - a.metrics.pagesDeduplicated;
        const storedShared = b.metrics.pagesDirty - b.metrics.pagesZero - b.metrics.pagesDeduplicated;
        sumAlone += storedAlone; sumShared += storedShared; sumNonZero += nonZero;
        bytesAlone += a.meta.bytesWritten; bytesShared += b.meta.bytesWritten;
        rowsV.push([String(i + 1), vm.workload, String(nonZero), String(storedAlone), String(storedShared), String(storedAlone - storedShared), `${(a.meta.bytesWritten / 2 ** 20).toFixed(2)} MiB`, `${(b.meta.bytesWritten / 2 ** 20).toFixed(2)} MiB`]);
      } finally {
        s.close();
      }
    }
  } finally {
    sharedRepo.close();
  }
  rowsV.push(['all', '', String(sumNonZero), String(sumAlone), String(sumShared), String(sumAlone - sumShared), `${(bytesAlone / 2 ** 20).toFixed(2)} MiB`, `${(bytesShared / 2 ** 20).toFixed(2)} MiB`]);
  console.log(table(rowsV));
  console.log(`\ncross-VM dedup ratio: ${(sumAlone / sumShared).toFixed(2)}× fewer chunks (${(bytesAlone / bytesShared).toFixed(2)}× fewer payload bytes) in one shared repository than in four separate ones; ` +
    `on disk ${(dirBytes(shared) / 2 ** 20).toFixed(1)} MiB shared vs ${(dirBytes(own) / 2 ** 20).toFixed(1)} MiB separate`);
  rmSync(shared, { recursive: true, force: true });
  rmSync(own, { recursive: true, force: true });
}

void main();
