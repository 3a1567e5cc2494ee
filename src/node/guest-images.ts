/**
 * The standard guest's committed images (guest/images/, built by
 * guest/build.sh): OpenSBI fw_jump.bin, the Linux Image, the initramfs and a
 * small ext4 disk. Kernel, initramfs and disk are stored gzipped to keep the
 * repository small; they are handed out decompressed, and checked against
 * guest/images/manifest.json so a stale or corrupt image fails loudly.
 *
 * Decompressing costs more than the rest of building a machine (gunzip of
 * the 5 MB kernel alone is ~100 ms), so decompressed images are cached on
 * disk (see `imageCacheDir`), one file per content: its name is the sha256 of
 * the decompressed bytes that the manifest records. A cache file is used only
 * when its size and sha256 match the manifest's entry (checked on every
 * read, so a truncated, corrupt or outdated file is never served); otherwise
 * the image is decompressed from the repository as before and the file is
 * rewritten (atomically: a temporary file renamed into place). Deleting the
 * directory is always safe.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseLinuxLayout, type LinuxLayout } from '../introspection/linux-layout.js';
import type { GuestImage } from '../machine/board/image-source.js';

/** Kernel command line the standard guest boots with. */
export const DEFAULT_CMDLINE = 'console=ttyS0';

/** Line /init prints once the userland is up. */
export const READY_MARKER = 'RETROVISOR-READY';

/** busybox ash asks for the cursor position (ESC[6n) before each prompt: noise when reading the console. */
// eslint-disable-next-line no-control-regex
export const CURSOR_QUERY = /\x1b\[6n/g;

export interface GuestFileInfo {
  size: number;
  sha256: string;
  decompressed?: { name: string; size: number; sha256: string };
}

export interface GuestManifest {
  format: number;
  files: Record<string, GuestFileInfo>;
  kernel: { release: string; config: string; btf: boolean };
  defaultCmdline: string;
  debianPackages: Record<string, string>;
  sourceDateEpoch: number;
  buildCommand: string;
  built: string;
}

export interface GuestImages {
  /** OpenSBI fw_jump.bin, loaded at 0x80000000. */
  bios: Uint8Array;
  /** Uncompressed Linux Image, loaded at 0x80200000. */
  kernel: Uint8Array;
  /** Uncompressed newc cpio (unpacking gzip in the guest costs ~24 M instructions). */
  initrd: Uint8Array;
  /** Fresh writable raw copy of the ext4 disk, when asked for with `disk: true`. */
  diskPath?: string;
  manifest: GuestManifest;
  /** The guest/images directory the files came from. */
  dir: string;
  /** Removes the temporary disk copy, if any. */
  cleanup(): void;
}

export interface LoadOptions {
  /** Directory holding the images; defaults to the repository's guest/images. */
  dir?: string;
  /** Decompress the ext4 disk into a fresh temporary file and return its path. */
  disk?: boolean;
  /** Check sizes and sha256 against the manifest (default true). */
  verify?: boolean;
}

/**
 * The repository's guest/images directory: the nearest ancestor of this module
 * holding guest/images/manifest.json (this module runs from src/node under
 * vitest, dist/node after tsc, and deeper inside dist/bench for benchmarks).
 * RETROVISOR_GUEST_IMAGES overrides it.
 */
export function guestImagesDir(): string {
  const override = process.env.RETROVISOR_GUEST_IMAGES;
  if (override) return resolve(override);
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'guest', 'images');
    if (existsSync(join(candidate, 'manifest.json'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  return resolve(here, '..', '..', 'guest', 'images');
}

export function readGuestManifest(dir = guestImagesDir()): GuestManifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) {
    throw new Error(`guest images not found: ${path} is missing (build them with: sudo guest/build.sh)`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as GuestManifest;
}

/**
 * Where decompressed images are cached: RETROVISOR_IMAGE_CACHE (a directory,
 * or `off` to disable), else $XDG_CACHE_HOME/retrovisor/images, else
 * ~/.cache/retrovisor/images. Null when disabled.
 */
export function imageCacheDir(): string | null {
  const env = process.env.RETROVISOR_IMAGE_CACHE;
  if (env === 'off' || env === '0') return null;
  if (env) return resolve(env);
  const base = process.env.XDG_CACHE_HOME || join(homedir() || tmpdir(), '.cache');
  return join(base, 'retrovisor', 'images');
}

/** A view of a file's bytes without the copy `new Uint8Array(buffer)` makes. */
function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** The cached decompressed bytes for `want`, or null (missing, or not exactly those bytes). */
function readCached(want: { size: number; sha256: string }): Uint8Array | null {
  const dir = imageCacheDir();
  if (dir === null || !/^[0-9a-f]{64}$/.test(want.sha256)) return null;
  const path = join(dir, want.sha256);
  let data: Uint8Array;
  try {
    data = readBytes(path);
  } catch {
    return null;
  }
  return data.length === want.size && sha256(data) === want.sha256 ? data : null;
}

/** Stores decompressed bytes already checked against `want` (best effort: a read-only home only costs speed). */
function writeCached(want: { size: number; sha256: string }, data: Uint8Array): void {
  const dir = imageCacheDir();
  if (dir === null || !/^[0-9a-f]{64}$/.test(want.sha256)) return;
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${want.sha256}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, want.sha256));
  } catch {
    // no cache: the next run decompresses again
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function check(name: string, data: Uint8Array, want: { size: number; sha256: string } | undefined, verify: boolean): void {
  if (!verify) return;
  if (!want) throw new Error(`guest manifest has no entry for ${name}`);
  if (data.length !== want.size || sha256(data) !== want.sha256) {
    throw new Error(`guest image ${name} does not match manifest.json (size ${data.length}, expected ${want.size}); rebuild with guest/build.sh`);
  }
}

/**
 * Reads one image file; `.gz` files are checked compressed and decompressed, and returned decompressed.
 * Any manifest with the same `files` table works (e.g. programs.json, the real-programs benchmark's).
 */
export function readImage(dir: string, manifest: Pick<GuestManifest, 'files'>, name: string, verify: boolean): Uint8Array {
  const path = join(dir, name);
  if (!existsSync(path)) throw new Error(`guest image missing: ${path} (build it with: sudo guest/build.sh)`);
  const info = manifest.files[name];
  const unpacked = name.endsWith('.gz') ? info?.decompressed : undefined;
  // the cache serves exactly the bytes the manifest describes (checked by hash on every read)
  const cached = unpacked ? readCached(unpacked) : null;
  if (cached !== null) return cached;
  const stored = readBytes(path);
  check(name, stored, info, verify);
  if (!name.endsWith('.gz')) return stored;
  const z = gunzipSync(stored);
  const raw = new Uint8Array(z.buffer, z.byteOffset, z.length);
  check(`${name} (decompressed)`, raw, unpacked, verify);
  if (unpacked && (verify || (raw.length === unpacked.size && sha256(raw) === unpacked.sha256))) writeCached(unpacked, raw);
  return raw;
}

/** Fills `dst` with the file's bytes when the file has exactly that length; false on any failure. */
function readFileInto(path: string, dst: Uint8Array): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    if (fstatSync(fd).size !== dst.length) return false;
    for (let got = 0; got < dst.length;) {
      const n = readSync(fd, dst, got, dst.length - got, got);
      if (n <= 0) return false;
      got += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * One image as a source that reads itself into guest RAM (machine/board/image-source.ts):
 * the cached decompressed file (or, for a file stored uncompressed, the file
 * itself) is read straight into place and checked there against the
 * manifest's size and sha256, so no intermediate buffer is made and every
 * page of it is touched once. When that fails (no cache, a short or corrupt
 * file) the bytes come from `readImage` as before (decompressed, checked,
 * cached). Errors about missing files or manifest entries come at once, as
 * from `readImage`.
 */
export function imageSource(dir: string, manifest: Pick<GuestManifest, 'files'>, name: string): GuestImage {
  const path = join(dir, name);
  if (!existsSync(path)) throw new Error(`guest image missing: ${path} (build it with: sudo guest/build.sh)`);
  const info = manifest.files[name];
  const gz = name.endsWith('.gz');
  const want = gz ? info?.decompressed : info;
  if (!want || !/^[0-9a-f]{64}$/.test(want.sha256)) return readImage(dir, manifest, name, true);
  const cache = imageCacheDir();
  const file = !gz ? path : cache === null ? null : join(cache, want.sha256);
  return {
    length: want.size,
    readInto(dst: Uint8Array): void {
      if (dst.length !== want.size) throw new Error(`guest image ${name}: ${dst.length} bytes of room for ${want.size}`);
      if (file !== null && readFileInto(file, dst) && sha256(dst) === want.sha256) return;
      dst.set(readImage(dir, manifest, name, true));
    },
  };
}

/** The standard images like `loadGuestImages`, but firmware, kernel and initramfs as sources that read themselves into guest RAM. */
export interface GuestImageSources extends Omit<GuestImages, 'bios' | 'kernel' | 'initrd'> {
  bios: GuestImage;
  kernel: GuestImage;
  initrd: GuestImage;
}

/** `loadGuestImages` for building a machine: nothing is read until the board places the images (see `imageSource`). */
export function openGuestImages(options: Omit<LoadOptions, 'verify'> = {}): GuestImageSources {
  const dir = options.dir ?? guestImagesDir();
  const manifest = readGuestManifest(dir);
  return {
    ...diskCopy(dir, manifest, options.disk === true),
    bios: imageSource(dir, manifest, 'fw_jump.bin'),
    kernel: imageSource(dir, manifest, 'Image.gz'),
    initrd: imageSource(dir, manifest, 'initramfs.cpio.gz'),
    manifest,
    dir,
  };
}

/** A fresh writable copy of the ext4 disk when asked for, and the cleanup that removes it. */
function diskCopy(dir: string, manifest: GuestManifest, disk: boolean, verify = true): { diskPath?: string; cleanup(): void } {
  if (!disk) return { cleanup() {} };
  const data = readImage(dir, manifest, 'disk.ext4.gz', verify);
  let tmp: string | undefined = mkdtempSync(join(tmpdir(), 'retrovisor-disk-'));
  const diskPath = join(tmp, 'disk.ext4');
  writeFileSync(diskPath, data);
  return {
    diskPath,
    cleanup() {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      tmp = undefined;
    },
  };
}

export function loadGuestImages(options: LoadOptions = {}): GuestImages {
  const dir = options.dir ?? guestImagesDir();
  const verify = options.verify ?? true;
  const manifest = readGuestManifest(dir);
  const bios = readImage(dir, manifest, 'fw_jump.bin', verify);
  const kernel = readImage(dir, manifest, 'Image.gz', verify);
  const initrd = readImage(dir, manifest, 'initramfs.cpio.gz', verify);
  return { ...diskCopy(dir, manifest, options.disk === true, verify), bios, kernel, initrd, manifest, dir };
}

/** Decompressed image files on disk, for tools (QEMU) that cannot read gzip. */
export interface MaterializedGuest {
  dir: string;
  bios: string;
  kernel: string;
  initrd: string;
  disk?: string;
  cleanup(): void;
}

/**
 * Writes fw_jump.bin, Image, initramfs.cpio and (with `disk`) a fresh
 * disk.ext4 into a new temporary directory (or `into`).
 */
export function materializeGuestImages(options: LoadOptions & { into?: string } = {}): MaterializedGuest {
  const images = loadGuestImages({ ...options, disk: false });
  const dir = options.into ?? mkdtempSync(join(tmpdir(), 'retrovisor-guest-'));
  const out: MaterializedGuest = {
    dir,
    bios: join(dir, 'fw_jump.bin'),
    kernel: join(dir, 'Image'),
    initrd: join(dir, 'initramfs.cpio'),
    cleanup() {
      if (!options.into) rmSync(dir, { recursive: true, force: true });
    },
  };
  writeFileSync(out.bios, images.bios);
  writeFileSync(out.kernel, images.kernel);
  writeFileSync(out.initrd, images.initrd);
  if (options.disk) {
    out.disk = join(dir, 'disk.ext4');
    writeFileSync(out.disk, readImage(images.dir, images.manifest, 'disk.ext4.gz', options.verify ?? true));
  }
  return out;
}

export interface CmdlineOptions {
  /** Base command line (default DEFAULT_CMDLINE). */
  append?: string;
  /** Workload in the guest's /workloads (rv.workload=NAME). */
  workload?: string;
  /** Its arguments (rv.args=a,b,c); they may not contain commas or spaces. */
  args?: Array<string | number>;
  /** 'shell' keeps the guest running after the workload (rv.then=shell). */
  then?: 'shell' | 'poweroff';
}

/** Kernel command line selecting a workload, as /init parses it. */
export function guestCmdline(options: CmdlineOptions = {}): string {
  const parts = [options.append ?? DEFAULT_CMDLINE];
  if (options.workload) {
    if (!/^[A-Za-z0-9_.-]+$/.test(options.workload)) throw new Error(`bad workload name: ${options.workload}`);
    parts.push(`rv.workload=${options.workload}`);
  }
  if (options.args && options.args.length > 0) {
    const args = options.args.map(String);
    for (const a of args) {
      if (/[\s,]/.test(a) || a === '') throw new Error(`workload argument may not be empty or contain spaces or commas: ${JSON.stringify(a)}`);
    }
    parts.push(`rv.args=${args.join(',')}`);
  }
  if (options.then === 'shell') parts.push('rv.then=shell');
  return parts.join(' ');
}

/**
 * The guest kernel's page-allocator layout (guest/images/linux-layout.json,
 * written by guest/build.sh from the debug build) for kernel free-page
 * exclusion. It describes one kernel: `kernelPath` (a `--kernel` given by the
 * user) or the standard Image must be the one it was made from, else this throws.
 */
export function readLinuxLayout(options: { dir?: string; kernelPath?: string } = {}): LinuxLayout {
  const dir = options.dir ?? guestImagesDir();
  const path = join(dir, 'linux-layout.json');
  if (!existsSync(path)) throw new Error(`kernel free-page exclusion: ${path} is missing (build it with: sudo guest/build.sh kernel layout images)`);
  const layout = parseLinuxLayout(JSON.parse(readFileSync(path, 'utf8')));
  let image: string | undefined;
  if (options.kernelPath) {
    let raw = new Uint8Array(readFileSync(options.kernelPath));
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = new Uint8Array(gunzipSync(raw));
    image = sha256(raw);
  } else image = readGuestManifest(dir).files['Image.gz']?.decompressed?.sha256;
  if (image !== layout.image) throw new Error(`kernel free-page exclusion: ${path} describes another kernel (Image ${layout.image.slice(0, 12)}…, this one ${image?.slice(0, 12) ?? 'unknown'}…)`);
  return layout;
}
