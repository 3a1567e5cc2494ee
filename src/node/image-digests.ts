/**
 * Content hashes of the files a machine is built from, so a recording can
 * tell when one of them moved or changed before it replays on them.
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { guestImagesDir } from './guest-images.js';
import type { MachineSpec } from './machine-builder.js';

export interface ImageDigest {
  /** firmware, kernel, initrd, disk, drive N. */
  role: string;
  /** One of the standard guest's files (found through the images directory, not an option). */
  standard?: boolean;
  path: string;
  bytes: number;
  sha256: string;
}

/** SHA-256 of a file, read in 1 MiB pieces (disk images may be large). */
export function fileSha256(path: string): { sha256: string; bytes: number } {
  const h = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Every file `buildMachine(spec)` reads, with its hash. */
export function imageDigests(spec: MachineSpec): ImageDigest[] {
  const files: Array<[string, string, boolean]> = [];
  const standard = !spec.kernel && spec.bios !== null;
  if (standard || spec.bios === undefined) {
    const dir = spec.imagesDir ?? guestImagesDir();
    if (spec.bios === undefined) files.push(['firmware', join(dir, 'fw_jump.bin'), true]);
    if (standard) files.push(['kernel', join(dir, 'Image.gz'), true], ['initrd', join(dir, 'initramfs.cpio.gz'), true]);
    if (spec.disk) files.push(['disk', join(dir, 'disk.ext4.gz'), true]);
  }
  if (spec.bios) files.push(['firmware', spec.bios, false]);
  if (spec.kernel) files.push(['kernel', spec.kernel, false]);
  if (spec.initrd) files.push(['initrd', spec.initrd, false]);
  (spec.drives ?? []).forEach((d, i) => files.push([`drive ${i}`, d, false]));
  return files.map(([role, p, std]) => ({ role, ...(std ? { standard: true } : {}), path: resolve(p), ...fileSha256(p) }));
}

/** Bundle directory of a recording: its images, so it replays where they are not. */
export function bundleDir(logPath: string): string {
  return `${resolve(logPath)}.images`;
}

const bundleName = (d: ImageDigest) => (d.standard ? basename(d.path) : `${d.role.replace(/\s+/g, '')}-${basename(d.path)}`);

/** Copies every image into the recording's bundle (standard ones under their own names, with the manifest). */
export function writeBundle(logPath: string, images: ImageDigest[]): string {
  const dir = bundleDir(logPath);
  mkdirSync(dir, { recursive: true });
  for (const d of images) copyFileSync(d.path, join(dir, bundleName(d)));
  const std = images.find((d) => d.standard);
  if (std) copyFileSync(join(dirname(std.path), 'manifest.json'), join(dir, 'manifest.json'));
  return dir;
}

/**
 * Machine options for replaying: each recorded image is used where it was
 * if it is unchanged there, else from the recording's bundle (checked by
 * hash); otherwise an error names the file.
 */
export function resolveImages(options: Record<string, unknown>, logPath: string): Record<string, unknown> {
  const recorded = options.images;
  if (!Array.isArray(recorded)) return options; // recorded before image hashes existed
  const out: Record<string, unknown> = { ...options };
  const what = `replay log ${logPath}`;
  const bundle = bundleDir(logPath);
  for (const r of recorded as ImageDigest[]) {
    if (!r || typeof r.path !== 'string' || typeof r.sha256 !== 'string' || typeof r.role !== 'string') throw new Error(`${what}: malformed image list in its header`);
    const here = existsSync(r.path) ? fileSha256(r.path) : null;
    if (here && here.sha256 === r.sha256) continue;
    const alt = join(bundle, bundleName(r));
    if (existsSync(alt) && fileSha256(alt).sha256 === r.sha256) {
      if (r.standard) out.imagesDir = bundle;
      else if (r.role === 'firmware') out.bios = alt;
      else if (r.role === 'kernel') out.kernel = alt;
      else if (r.role === 'initrd') out.initrd = alt;
      else if (r.role.startsWith('drive ')) {
        const i = Number(r.role.slice(6));
        const drives = [...(out.drive as string[])];
        drives[i] = drives[i].includes('=') ? drives[i].replace(/(^|,)file=[^,]+/, `$1file=${alt}`) : alt;
        out.drive = drives;
      }
      continue;
    }
    if (!here) throw new Error(`${what} was recorded with ${r.role} ${r.path} (sha256 ${r.sha256.slice(0, 16)}…), which no longer exists${existsSync(bundle) ? ` and is not in its bundle ${bundle}` : ' (record with --bundle to keep the images with the log)'}`);
    throw new Error(`${what} was recorded with ${r.role} ${r.path} of ${r.bytes} bytes (sha256 ${r.sha256.slice(0, 16)}…); the file has changed since (${here.bytes} bytes, sha256 ${here.sha256.slice(0, 16)}…): replaying on it would diverge`);
  }
  return out;
}
