/**
 * Data-reduction benchmark (issue 14): the standard 256 MiB guest runs
 * workloads that exercise each technique, and every checkpoint is encoded by
 * each configuration at the same instant of the same run, so configurations
 * compare on identical memory:
 *   today        zero pages, verified dedup, XBZRLE (64 MiB cache), zstd-1
 *   free pages   + balloon free page reporting (a second run of the guest,
 *                with a virtio-balloon; reported pages are zero, stored as such)
 *   sub-page     + changed 64-byte blocks vs XBZRLE per page
 *   similarity   + deltas against similar stored pages
 *   page cache   + RAM pages equal to base disk blocks stored as references
 *   all          everything (balloon run)
 *   free pages (kernel)  free pages read from the guest kernel's buddy allocator
 *                (src/introspection), zeroed at each checkpoint, stored as zero
 *                pages (a third run: the zeroing changes guest memory)
 *   all (kernel) everything but the balloon, with kernel free pages
 * Every guest first runs SETUP (free page reports of 128 KiB blocks).
 * Reported per workload and configuration: bytes stored per checkpoint (RAM
 * pages; disk-overlay blocks are the same for every configuration and left
 * out), encode time (the pause's pipeline part), restore time (decoding the
 * last checkpoint's pages), and what each technique took. Then QEMU on the
 * same workload: bytes of a migration to a file after each step (QEMU sends
 * all of RAM each time), plain and with zstd + its own balloon reporting.
 *
 *   npm run bench:exclusion [-- --workloads free,pagecache,files,idle,memtouch --runs plain,balloon,kernel --no-qemu]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededInputSource } from '../src/machine/input.js';
import type { VirtMachine } from '../src/machine/board/virt-machine.js';
import { MemoryBlockDevice } from '../src/machine/block/memory-block-device.js';
import { PAGE_SIZE } from '../src/machine/memory.js';
import { nodeCodecRegistry } from '../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../src/node/fs-store.js';
import { PagePipeline, type PipelineOptions } from '../src/encoding/page-pipeline.js';
import { pageSourceOf } from '../src/encoding/page-source.js';
import type { PipelineMetrics } from '../src/encoding/pipeline-metrics.js';
import { excludeDiscarded, excludeReportedFree } from '../src/checkpoint/free-page-exclusion.js';
import { discardKernelFreePages } from '../src/checkpoint/kernel-free-pages.js';
import { readLinuxLayout } from '../src/node/guest-images.js';
import { attachDiskResolver, DiskBlockIndex } from '../src/checkpoint/page-cache-exclusion.js';
import { Repository } from '../src/store/repository.js';
import { GuestSession } from '../test/support/guest-session.js';
import { QemuCheckpointer } from '../test/support/qemu-checkpoint.js';
import { requireQemu } from '../test/support/qemu.js';
import { mulberry32 } from '../test/support/prng.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const WORKLOADS = arg('workloads', 'free,pagecache,files,idle,memtouch').split(',');
const QEMU = !argv.includes('--no-qemu');
const RUNS = arg('runs', 'plain,balloon,kernel').split(',');
const codecs = nodeCodecRegistry();
const fs = new NodeStoreFs();
const tmp = mkdtempSync(join(tmpdir(), 'rv-bench-excl-'));
let repoSeq = 0;

/** Which guest run a configuration is measured in. */
type Run = 'plain' | 'balloon' | 'kernel';
interface Config { name: string; run: Run; free: boolean; pageCache: boolean; pipeline: PipelineOptions }
const CONFIGS: Config[] = [
  { name: 'today', run: 'plain', free: false, pageCache: false, pipeline: {} },
  { name: 'sub-page', run: 'plain', free: false, pageCache: false, pipeline: { subpageBlock: 64 } },
  { name: 'similarity', run: 'plain', free: false, pageCache: false, pipeline: { similarity: true } },
  { name: 'page cache', run: 'plain', free: false, pageCache: true, pipeline: {} },
  { name: 'free pages', run: 'balloon', free: true, pageCache: false, pipeline: {} },
  { name: 'all', run: 'balloon', free: true, pageCache: true, pipeline: { subpageBlock: 64, similarity: true } },
  { name: 'free pages (kernel)', run: 'kernel', free: true, pageCache: false, pipeline: {} },
  { name: 'all (kernel)', run: 'kernel', free: true, pageCache: true, pipeline: { subpageBlock: 64, similarity: true } },
];
const layout = readLinuxLayout();

interface Workload {
  key: string; name: string;
  disk?: 'random' | 'standard';
  /** Shell commands; a checkpoint after each (and every `every` instructions while it runs). */
  steps: string[];
  every?: number;
  /** Count only a full checkpoint taken after the last step (what a new repository or a migration stores). */
  fullAtEnd?: boolean;
}
const ALL: Workload[] = [
  { key: 'free', name: 'allocate, fill, free (3 x 8 MiB random in tmpfs, freed, 3 s idle)', steps: Array(3).fill('dd if=/dev/urandom of=/dev/shm/x bs=1M count=8 2>/dev/null; rm /dev/shm/x; sleep 3') },
  { key: 'pagecache', name: 'page cache (read a 16 MiB disk of random blocks)', disk: 'random', steps: ['cat /dev/vda > /dev/null', 'sleep 1'] },
  { key: 'files', name: 'files workload (standard ext4 disk, 8 x 256 KiB)', disk: 'standard', steps: ['/workloads/files 8 256 1', 'sleep 3'] },
  { key: 'idle', name: 'idle after a big job (16 MiB random in tmpfs, freed), full checkpoint', steps: ['dd if=/dev/urandom of=/dev/shm/x bs=1M count=16 2>/dev/null; rm /dev/shm/x', 'sleep 5'], fullAtEnd: true },
  { key: 'memtouch', name: 'memtouch 16 MiB @ 50 MiB/s, one word per page (partial-page writes)', steps: ['/workloads/memtouch 16 50 2'], every: 40_000_000 },
];

/**
 * Run first in every guest: report free blocks of 128 KiB (order 5) instead of the default 4 MiB
 * (pageblock_order 10), so frees of a few MiB are reported too. Linux 6.1 overwrites the boot
 * parameter when the driver registers, but the sysfs knob works at run time.
 */
const SETUP = 'echo 5 > /sys/module/page_reporting/parameters/page_reporting_order';

/** 16 MiB of pseudo-random blocks; the first block zero (no partition table). */
function randomDisk(): Uint8Array {
  const r = mulberry32(17);
  const data = new Uint8Array(16 << 20);
  const v = new DataView(data.buffer);
  for (let i = PAGE_SIZE; i < data.length; i += 4) v.setUint32(i, (r() * 2 ** 32) >>> 0, true);
  return data;
}

interface Taken { bytes: number; encodeMs: number; m: PipelineMetrics; scanMs: number }
interface Lane { cfg: Config; pipeline: PagePipeline; repo: Repository; dir: string; parent: number | null; taken: Taken[]; restoreMs: number; indexMs: number }

function lanes(vm: VirtMachine, configs: Config[]): Lane[] {
  return configs.map((cfg) => {
    const dir = join(tmp, `repo-${repoSeq++}`);
    const repo = Repository.open(fs, dir, { codecs, create: true });
    attachDiskResolver(repo, vm);
    const pipeline = new PagePipeline({ codec: codecs.byName('zstd'), ...cfg.pipeline });
    let indexMs = 0;
    if (cfg.pageCache && vm.overlays.length > 0) {
      const t0 = performance.now();
      pipeline.options.references = new DiskBlockIndex(vm.overlays.map((o) => o.base));
      indexMs = performance.now() - t0;
    }
    return { cfg, pipeline, repo, dir, parent: null, taken: [], restoreMs: NaN, indexMs };
  });
}

/** Encodes the machine's RAM (dirty pages, or all) once per lane, at the same instant; then clears the logs. */
function captureAll(vm: VirtMachine, ls: Lane[], full: boolean, count: boolean): void {
  // kernel run: the free pages are discarded once, before any lane reads RAM (every lane of the run sees them zero)
  const tScan = performance.now();
  const kernel = ls.some((l) => l.cfg.run === 'kernel') ? discardKernelFreePages(vm, layout) : null;
  const scanMs = performance.now() - tScan;
  if (kernel && !kernel.ok) process.stderr.write(`  kernel free pages skipped at instret ${vm.instret}: ${kernel.reason}\n`);
  const src = pageSourceOf(vm.ram);
  const selection = full ? new Uint8Array(src.pageCount).fill(1) : src.dirty;
  for (const l of ls) {
    const t0 = performance.now();
    const w = l.repo.begin({ parent: full ? null : l.parent, pageCount: src.pageCount });
    let sel = selection, free = 0;
    if (l.cfg.free && vm.balloon) ({ selection: sel, pages: free } = excludeReportedFree(vm.balloon, src, selection, w));
    let freeKernel = 0;
    if (l.cfg.free && kernel?.ok) ({ selection: sel, pages: freeKernel } = excludeDiscarded(kernel.log, src, selection, w));
    const m = l.pipeline.run(src, w, sel);
    m.pagesFreeReported = free;
    m.pagesFreeKernel = freeKernel;
    m.freeScanSkipped = kernel && !kernel.ok ? 1 : 0;
    const meta = w.commit({ guestTime: vm.now(), instructions: vm.instret, deviceState: new Uint8Array(0), metrics: m });
    l.parent = meta.id;
    // the kernel scan counts into the pause of the lanes that use it
    if (count) l.taken.push({ bytes: meta.bytesWritten, encodeMs: performance.now() - t0 + (l.cfg.run === 'kernel' ? scanMs : 0), m, scanMs });
  }
  vm.ram.clearDirty();
  vm.balloon?.clearDiscardLog();
  for (const o of vm.overlays) o.clearDirty();
}

function runSteps(s: GuestSession, w: Workload, onCheckpoint: () => void): void {
  for (const cmd of w.steps) {
    s.type(cmd + '\n');
    s.runUntil(cmd + '\r\n', 100_000_000);
    for (;;) {
      try {
        s.runUntil('# ', w.every ?? 20_000_000_000, 1_000_000);
        break;
      } catch (e) {
        if (!/did not print/.test((e as Error).message)) throw e;
        onCheckpoint();
      }
    }
    onCheckpoint();
  }
}

function ours(w: Workload, run: Run, disk: Uint8Array | null): Lane[] {
  const configs = CONFIGS.filter((c) => c.run === run);
  const balloon = run === 'balloon';
  const s = new GuestSession({
    memoryBytes: 256 << 20, disk: w.disk === 'standard', input: new SeededInputSource(5),
    machine: { balloon, ...(w.disk === 'random' && disk ? { drives: [new MemoryBlockDevice(disk.slice(), true)] } : {}) },
  });
  try {
    const vm = s.machine;
    s.runUntil('# ', 600_000_000, 1_000_000);
    s.command(SETUP);
    const ls = lanes(vm, configs);
    captureAll(vm, ls, true, false);
    const t0 = performance.now();
    runSteps(s, w, () => { if (!w.fullAtEnd) captureAll(vm, ls, false, true); });
    if (w.fullAtEnd) captureAll(vm, ls, true, true);
    process.stderr.write(`  ${w.key} ${run} run: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${vm.instret.toLocaleString('en-US')} instructions${vm.balloon ? `, ${vm.balloon.pagesReported} pages reported free` : ''}\n`);
    const ram = new Uint8Array(vm.ram.size);
    ls[0].repo.readPagesInto(ls[0].repo.readCheckpoint(ls[0].parent as number).map, 0, vm.ram.pages, ram); // warm-up, untimed
    for (const l of ls) {
      ram.fill(1); // a used machine: every page gets written, none is skipped as already zero
      const t1 = performance.now();
      const { map } = l.repo.readCheckpoint(l.parent as number);
      l.repo.readPagesInto(map, 0, vm.ram.pages, ram);
      l.restoreMs = performance.now() - t1;
      l.repo.close();
    }
    return ls;
  } finally {
    s.close();
  }
}

interface QemuRow { mode: string; bytes: number[]; downtime: number[] }
async function qemu(w: Workload, diskPath: string | null, mode: 'plain' | 'zstd + balloon'): Promise<QemuRow> {
  const extraArgs = mode === 'plain' ? [] : ['-device', 'virtio-balloon-device,free-page-reporting=on'];
  const q = await QemuCheckpointer.start({ disk: w.disk === 'standard' ? true : w.disk === 'random' ? (diskPath as string) : undefined, extraArgs });
  try {
    await q.guest.waitFor('# ', { timeoutMs: 120_000 });
    await q.guest.run(SETUP, /# $/m, { timeoutMs: 60_000 });
    await q.configure(mode === 'plain' ? {} : { multifdZstd: 2 });
    const row: QemuRow = { mode, bytes: [], downtime: [] };
    const ck = async () => { const st = await q.checkpoint(`c${row.bytes.length}`); row.bytes.push(st.fileBytes); row.downtime.push(st.downtimeMs); };
    for (const cmd of w.steps) {
      await q.guest.run(cmd, /# $/m, { timeoutMs: 300_000 });
      if (w.every) { /* QEMU runs the step at its own speed: one checkpoint after it */ }
      if (!w.fullAtEnd) await ck();
    }
    if (w.fullAtEnd) await ck();
    return row;
  } finally {
    await q.stop();
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[s.length >> 1] : NaN; };
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

function technique(l: Lane): string {
  const t = (k: keyof PipelineMetrics) => sum(l.taken.map((x) => x.m[k]));
  const parts: string[] = [];
  if (l.cfg.free && l.cfg.run === 'balloon') parts.push(`free (reported) ${t('pagesFreeReported')} pages`);
  if (l.cfg.free && l.cfg.run === 'kernel') parts.push(`free (kernel) ${t('pagesFreeKernel')} pages, scan ${median(l.taken.map((x) => x.scanMs)).toFixed(0)} ms median, skipped ${t('freeScanSkipped')}`);
  if (l.cfg.pipeline.subpageBlock) parts.push(`sub-page ${t('pagesSubpage')} pages ${kib(t('bytesSubpage'))}; smaller than XBZRLE on ${t('subpageWins')}, XBZRLE smaller on ${t('xbzrleWins')}`);
  if (l.cfg.pipeline.similarity) parts.push(`similar ${t('pagesSimilar')} pages ${kib(t('bytesSimilar'))}`);
  if (l.cfg.pageCache) parts.push(`disk refs ${t('pagesDiskRef')} pages ${kib(t('bytesDiskRef'))} (index ${l.indexMs.toFixed(0)} ms)`);
  parts.push(`XBZRLE ${t('pagesDelta')} pages ${kib(t('bytesDelta'))}, zero ${t('pagesZero')}, dedup ${t('pagesDeduplicated')}, compressed ${t('pagesCompressed')}, raw ${t('pagesRaw')}`);
  return parts.join('; ');
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}; standard guest, 256 MiB; zstd-1; ${new Date().toISOString()}; the machine is shared: times are noisy`);
  let qemuNote = '';
  if (QEMU) { try { qemuNote = requireQemu(); } catch (e) { qemuNote = `QEMU skipped: ${(e as Error).message}`; } }
  const disk = randomDisk();
  const diskPath = join(tmp, 'random.img');
  writeFileSync(diskPath, disk);
  for (const w of ALL.filter((x) => WORKLOADS.includes(x.key))) {
    process.stderr.write(`${w.name}\n`);
    if (!RUNS.includes('plain')) throw new Error('--runs must include plain (the baseline)');
    const ls = (['plain', 'balloon', 'kernel'] as const).filter((r) => RUNS.includes(r)).flatMap((r) => ours(w, r, disk));
    const today = ls.find((l) => l.cfg.name === 'today') as Lane;
    const base = sum(today.taken.map((x) => x.bytes));
    console.log(`\n### ${w.name}\n`);
    console.log(`${today.taken.length} checkpoint(s) measured${w.fullAtEnd ? ' (full)' : ' (incremental, after a full one at the prompt)'}\n`);
    console.log('| configuration | bytes per checkpoint (mean) | total | vs today | encode ms median | restore ms (last) | what each technique did |');
    console.log('|---|---|---|---|---|---|---|');
    for (const l of ls) {
      const total = sum(l.taken.map((x) => x.bytes));
      console.log(`| ${l.cfg.name}${l.cfg.run === 'balloon' ? ' (balloon run)' : l.cfg.run === 'kernel' ? ' (kernel run)' : ''} | ${kib(total / l.taken.length)} | ${mib(total)} | ${(total / base).toFixed(2)} | ${median(l.taken.map((x) => x.encodeMs)).toFixed(0)} | ${l.restoreMs.toFixed(0)} | ${technique(l)} |`);
    }
    if (QEMU && !qemuNote.startsWith('QEMU skipped')) {
      for (const mode of ['plain', 'zstd + balloon'] as const) {
        try {
          const q = await qemu(w, diskPath, mode);
          console.log(`| QEMU migration, ${mode} | ${kib(sum(q.bytes) / q.bytes.length)} | ${mib(sum(q.bytes))} | ${(sum(q.bytes) / base).toFixed(2)} | downtime ${median(q.downtime).toFixed(0)} | - | ${q.bytes.length} migration(s), each of all RAM |`);
        } catch (e) {
          process.stderr.write(`  QEMU ${mode} failed: ${(e as Error).message}\n`);
        }
      }
    } else if (QEMU) console.log(`\n(${qemuNote})`);
  }
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); rmSync(tmp, { recursive: true, force: true }); process.exit(1); });
