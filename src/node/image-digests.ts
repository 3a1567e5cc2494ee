/**
 * Content hashes of the files a machine is built from, so a recording can
 * tell when one of them moved or changed before it replays on them.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { guestImagesDir } from './guest-images.js';
import type { MachineSpec } from './machine-builder.js';

export interface ImageDigest {
  /** firmware, kernel, initrd, disk N, or the standard guest's file name. */
  role: string;
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
  const files: Array<[string, string]> = [];
  const standard = !spec.kernel && spec.bios !== null;
  if (standard || spec.bios === undefined) {
    const dir = guestImagesDir();
    if (spec.bios === undefined) files.push(['firmware', join(dir, 'fw_jump.bin')]);
    if (standard) files.push(['kernel', join(dir, 'Image.gz')], ['initrd', join(dir, 'initramfs.cpio.gz')]);
    if (spec.disk) files.push(['disk', join(dir, 'disk.ext4.gz')]);
  }
  if (spec.bios) files.push(['firmware', spec.bios]);
  if (spec.kernel) files.push(['kernel', spec.kernel]);
  if (spec.initrd) files.push(['initrd', spec.initrd]);
  (spec.drives ?? []).forEach((d, i) => files.push([`drive ${i}`, d]));
  return files.map(([role, p]) => ({ role, path: resolve(p), ...fileSha256(p) }));
}

/** Throws, naming the file, if any recorded image is missing or differs now. */
export function checkImageDigests(recorded: unknown, what: string): void {
  if (!Array.isArray(recorded)) return; // recorded before image hashes existed
  for (const r of recorded as ImageDigest[]) {
    if (!r || typeof r.path !== 'string' || typeof r.sha256 !== 'string') throw new Error(`${what}: malformed image list in its header`);
    if (!existsSync(r.path)) throw new Error(`${what} was recorded with ${r.role} ${r.path} (sha256 ${r.sha256.slice(0, 16)}…), which no longer exists`);
    const now = fileSha256(r.path);
    if (now.sha256 !== r.sha256) {
      throw new Error(`${what} was recorded with ${r.role} ${r.path} of ${r.bytes} bytes (sha256 ${r.sha256.slice(0, 16)}…); the file has changed since (${now.bytes} bytes, sha256 ${now.sha256.slice(0, 16)}…): replaying on it would diverge`);
    }
  }
}
