/**
 * The standard guest already booted to its shell prompt, for test files whose
 * assertions are about what happens after boot: the first file (of a run, or
 * of any earlier run of the same code) that asks for a configuration boots it
 * once and stores a checkpoint in a content-keyed cache under the OS temp dir;
 * every caller, the first too (so that every run starts alike), gets a fresh
 * session restored from it (restores are bit-exact and continue identically:
 * restore-continues.slow.test.ts).
 *
 * The key hashes the configuration, the guest images and the sources that
 * build, boot and checkpoint the machine (src/, test/support/, the lock file),
 * so a cached boot is never stale: any change to any of them boots anew.
 * Entries not used for a day are removed.
 *
 * Tests that prove boot itself, determinism from boot, or check boot output
 * keep booting for real (boot.test.ts, determinism*, differential.test.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededInputSource } from '../../src/machine/input.js';
import { MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import type { Repository } from '../../src/store/repository.js';
import { openRepo, codecs } from '../store/helpers.js';
import { GuestSession } from './guest-session.js';

/** What shapes the booted machine (all of it goes into the cache key). */
export interface BootedGuestOptions {
  /** Guest RAM (default 256 MiB). */
  memoryBytes?: number;
  /** A fresh copy of the standard ext4 disk on virtio-blk. */
  disk?: boolean;
  /** virtio-balloon with free page reporting. */
  balloon?: boolean;
  /** Seed of the machine's input source (entropy) for the boot and after it (default 1). */
  seed?: number;
}

const ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
const CACHE = join(tmpdir(), 'retrovisor-test-boots');
const MAX_AGE_MS = 24 * 3600_000;
const BOOT_LIMIT = 400_000_000;
/** Longer than a boot on a loaded machine (the hang guard is 300 s). */
const LOCK_STALE_MS = 600_000;

let codeHash: string | null = null;
/** Repositories this process has opened, by key. */
const opened = new Map<string, { repo: Repository; id: number }>();

const withDefaults = (o: BootedGuestOptions): Required<BootedGuestOptions> => ({ memoryBytes: 256 << 20, disk: false, balloon: false, seed: 1, ...o });

/** sha256 over the images, sources and lock file (paths and contents), once per process. */
function sourcesHash(): string {
  if (codeHash) return codeHash;
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        h.update(relative(ROOT, p)).update('\0').update(readFileSync(p)).update('\0');
      }
    }
  };
  for (const d of ['guest/images', 'src', 'test/support']) walk(join(ROOT, d));
  h.update(readFileSync(join(ROOT, 'package-lock.json')));
  codeHash = h.digest('hex');
  return codeHash;
}

function sessionFor(o: Required<BootedGuestOptions>): GuestSession {
  return new GuestSession({
    memoryBytes: o.memoryBytes,
    disk: o.disk,
    input: new SeededInputSource(o.seed),
    ...(o.balloon ? { machine: { balloon: true } } : {}),
  });
}

/** Removes cache entries nobody used for a day (each use touches its entry). */
function prune(): void {
  let names: string[];
  try { names = readdirSync(CACHE); } catch { return; }
  const now = Date.now();
  for (const n of names) {
    const p = join(CACHE, n);
    try { if (now - statSync(p).mtimeMs > MAX_AGE_MS) rmSync(p, { recursive: true, force: true }); } catch { /* another process got there first */ }
  }
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));
/** A lock held while booting: a directory, taken over when older than the longest boot (its owner died). */
function acquire(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) { rmSync(lock, { recursive: true, force: true }); mkdirSync(lock); return true; }
    } catch { /* someone else took it over */ }
    return false;
  }
}

/** Boots `o` and stores the checkpoint under `entry` (atomically: a concurrent boot of the same key loses the rename and is discarded). */
function bootAndStore(o: Required<BootedGuestOptions>, entry: string): void {
  const s = sessionFor(o);
  const tmp = `${entry}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    s.runUntil('# ', BOOT_LIMIT);
    const repo = openRepo(join(tmp, 'repo'));
    const id = new MachineCheckpointer(s.machine, repo, codecs).capture({ label: 'booted' }).meta.id;
    repo.close();
    writeFileSync(join(tmp, 'id'), String(id));
    try { renameSync(tmp, entry); } catch { /* the same boot is already stored */ }
  } finally {
    s.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The shared checkpoint of the standard guest booted with `options` to its
 * shell prompt (booting it first if no run has stored it yet), for restoring
 * into a machine of the same configuration.
 */
export function bootedCheckpoint(options: BootedGuestOptions = {}): { repo: Repository; id: number } {
  const o = withDefaults(options);
  const key = createHash('sha256').update(JSON.stringify(o)).update(sourcesHash()).digest('hex').slice(0, 32);
  const open = opened.get(key);
  if (open) return open;
  const entry = join(CACHE, key);
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(join(entry, 'id'))) {
    prune();
    // one process boots, the others (vitest's workers) wait for it rather than compete for the cores
    const lock = `${entry}.lock`;
    while (!existsSync(join(entry, 'id'))) {
      if (acquire(lock)) {
        try { if (!existsSync(join(entry, 'id'))) bootAndStore(o, entry); } finally { rmSync(lock, { recursive: true, force: true }); }
      } else Atomics.wait(SLEEPER, 0, 0, 250);
    }
  }
  const now = new Date();
  utimesSync(entry, now, now);
  const found = { repo: openRepo(join(entry, 'repo'), false, true), id: Number(readFileSync(join(entry, 'id'), 'utf8')) };
  opened.set(key, found);
  return found;
}

/** A fresh session of the standard guest at its shell prompt (console output starts empty). */
export function bootedGuest(options: BootedGuestOptions = {}): GuestSession {
  const o = withDefaults(options);
  const s = sessionFor(o);
  const { repo, id } = bootedCheckpoint(o);
  restoreMachine(s.machine, repo, id);
  return s;
}
