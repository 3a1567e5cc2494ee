/**
 * QEMU as the reference machine: boots the standard guest images on
 * `qemu-system-riscv64 -M virt` and drives its serial console through a
 * child process. Used by tests and by side-by-side benchmarks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { guestCmdline, materializeGuestImages, type CmdlineOptions, type MaterializedGuest, CURSOR_QUERY } from '../../src/node/guest-images.js';

export const QEMU_BINARY = 'qemu-system-riscv64';

export interface QemuOptions extends CmdlineOptions {
  /** Guest RAM in MiB (default 256). */
  memoryMiB?: number;
  /** Number of harts (default 1). */
  smp?: number;
  /**
   * Attach a virtio-blk disk: `true` for a fresh copy of the standard
   * ext4 disk, or the path of a raw image (used in place, writable).
   */
  disk?: boolean | string;
  /** `-icount shift=N` (deterministic instruction-counted time); off by default. */
  icountShift?: number;
  /** Keep QEMU's default legacy (version 1) virtio-mmio; default false, matching Retrovisor. */
  legacyVirtio?: boolean;
  /** Appended to the QEMU command line. */
  extraArgs?: string[];
  /** Already materialized images to reuse (not removed on exit). */
  images?: MaterializedGuest;
  /** QEMU binary (default qemu-system-riscv64 from PATH). */
  binary?: string;
  /** Receives every console chunk as it arrives (e.g. process.stdout.write). */
  onOutput?: (text: string) => void;
}

/** Throws a clear error when QEMU is missing; returns its version line. */
export function requireQemu(binary = QEMU_BINARY): string {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${binary} not found or not runnable (${r.error?.message ?? `exit ${r.status}`}); install it with: apt-get install qemu-system-misc`);
  }
  return r.stdout.split('\n')[0] ?? '';
}

/** Peak resident set (VmHWM) of a running QEMU process in MiB; undefined once it has exited. */
export function qemuPeakRssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The QEMU argument vector for the given images and options. */
export function qemuArgs(files: { bios: string; kernel: string; initrd: string; disk?: string }, options: QemuOptions = {}): string[] {
  const args = [
    '-M', 'virt',
    '-m', `${options.memoryMiB ?? 256}M`,
    '-smp', String(options.smp ?? 1),
    '-nographic',
    '-bios', files.bios,
    '-kernel', files.kernel,
    '-initrd', files.initrd,
    '-append', guestCmdline(options),
  ];
  if (!options.legacyVirtio) args.push('-global', 'virtio-mmio.force-legacy=false');
  if (files.disk) {
    args.push('-drive', `file=${files.disk},format=raw,if=none,id=hd0`, '-device', 'virtio-blk-device,drive=hd0');
  }
  if (options.icountShift !== undefined) args.push('-icount', `shift=${options.icountShift}`);
  if (options.extraArgs) args.push(...options.extraArgs);
  return args;
}

export interface WaitOptions {
  /** Give up after this many milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Only match output after this offset of `text()` (see `mark()`). */
  from?: number;
}

export interface WaitResult {
  /** Offset in `text()` just after the match. */
  end: number;
  /** Milliseconds from spawn until the chunk holding the match arrived. */
  elapsedMs: number;
  match: string;
}

interface Waiter {
  pattern: string | RegExp;
  from: number;
  resolve(r: WaitResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}


/** A running QEMU guest with its serial console on stdio. */
export class QemuGuest {
  readonly child: ChildProcess;
  readonly args: string[];
  /** performance.now() at spawn. */
  readonly startedAt: number;
  /** Resolves when QEMU exits (poweroff, kill or error). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private raw = '';
  private clean = '';
  /** Start of an escape sequence split across chunks. */
  private pending = '';
  private waiters: Waiter[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stderr = '';

  constructor(binary: string, args: string[], private readonly ownedImages: MaterializedGuest | undefined, onOutput?: (text: string) => void) {
    this.args = args;
    this.startedAt = performance.now();
    this.child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('latin1');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const now = performance.now();
      this.raw += chunk;
      this.appendClean(chunk);
      onOutput?.(chunk);
      this.poll(now);
    });
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolveExit) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exitInfo) return;
        this.exitInfo = { code, signal };
        this.ownedImages?.cleanup();
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`QEMU exited (code ${code}, signal ${signal}) before ${String(w.pattern)} appeared${this.stderrNote()}\n--- console tail ---\n${this.tail()}`));
        }
        resolveExit(this.exitInfo);
      };
      this.child.on('exit', done);
      this.child.on('error', (e) => {
        this.stderr += `${e.message}\n`;
        done(null, null);
      });
    });
  }

  /** Console output so far, without ESC[6n queries and with CRLF as LF. */
  text(): string {
    return this.clean;
  }

  /** Console output exactly as QEMU wrote it. */
  rawOutput(): string {
    return this.raw;
  }

  /** Current end of `text()`, to wait only for output that comes later. */
  mark(): number {
    return this.clean.length;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resolves when `pattern` appears in the console output. */
  waitFor(pattern: string | RegExp, options: WaitOptions = {}): Promise<WaitResult> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolveWait, rejectWait) => {
      const from = options.from ?? 0;
      const hit = this.find(pattern, from);
      if (hit) {
        resolveWait({ ...hit, elapsedMs: performance.now() - this.startedAt });
        return;
      }
      if (!this.running) {
        rejectWait(new Error(`QEMU has exited; ${String(pattern)} never appeared${this.stderrNote()}\n--- console tail ---\n${this.tail()}`));
        return;
      }
      const waiter: Waiter = {
        pattern,
        from,
        resolve: resolveWait,
        reject: rejectWait,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          rejectWait(new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}${this.stderrNote()}\n--- console tail ---\n${this.tail()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Milliseconds from spawn until `marker` appeared on the console. */
  async timeTo(marker: string | RegExp, options: WaitOptions = {}): Promise<number> {
    return (await this.waitFor(marker, options)).elapsedMs;
  }

  /** Writes raw bytes to the serial console. */
  write(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Types a command line and waits for its output to match `expect` (if given). */
  async run(command: string, expect?: string | RegExp, options: WaitOptions = {}): Promise<WaitResult | undefined> {
    const from = this.mark();
    this.write(`${command}\n`);
    if (expect === undefined) return undefined;
    return this.waitFor(expect, { ...options, from: options.from ?? from });
  }

  /** Waits for QEMU to exit by itself (e.g. after `poweroff -f`). */
  async waitExit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QEMU did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops QEMU (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  private find(pattern: string | RegExp, from: number): { end: number; match: string } | undefined {
    if (typeof pattern === 'string') {
      const i = this.clean.indexOf(pattern, from);
      return i < 0 ? undefined : { end: i + pattern.length, match: pattern };
    }
    const re = new RegExp(pattern.source, pattern.flags.replace('g', '').replace('y', ''));
    const m = re.exec(this.clean.slice(from));
    return m ? { end: from + m.index + m[0].length, match: m[0] } : undefined;
  }

  private poll(now: number): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      const hit = this.find(w.pattern, w.from);
      if (hit) {
        clearTimeout(w.timer);
        w.resolve({ ...hit, elapsedMs: now - this.startedAt });
      } else {
        still.push(w);
      }
    }
    this.waiters = still;
  }

  private appendClean(chunk: string): void {
    let text = this.pending + chunk;
    // eslint-disable-next-line no-control-regex
    const partial = /\x1b(\[6?)?$/.exec(text);
    this.pending = partial ? partial[0] : '';
    if (partial) text = text.slice(0, partial.index);
    this.clean += text.replace(CURSOR_QUERY, '').replace(/\r/g, '');
  }

  private tail(): string {
    return this.clean.slice(-1500);
  }

  private stderrNote(): string {
    return this.stderr ? `\n--- qemu stderr ---\n${this.stderr.slice(-1500)}` : '';
  }
}

/**
 * Boots the standard guest on QEMU. The images are decompressed into a
 * temporary directory (removed when QEMU exits) unless `images` is given.
 */
export function bootQemu(options: QemuOptions = {}): QemuGuest {
  const binary = options.binary ?? QEMU_BINARY;
  requireQemu(binary);
  const owned = options.images ? undefined : materializeGuestImages({ disk: options.disk === true });
  const files = options.images ?? owned!;
  const disk = typeof options.disk === 'string' ? options.disk : options.disk ? files.disk : undefined;
  if (options.disk === true && !disk) throw new Error('disk requested but the materialized images have none (materialize with disk: true)');
  const args = qemuArgs({ ...files, disk }, options);
  return new QemuGuest(binary, args, owned, options.onOutput);
}
