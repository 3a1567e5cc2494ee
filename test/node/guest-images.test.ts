// Guest images read straight into guest RAM (imageSource) serve exactly the manifest's bytes:
// from the decompressed-image cache when it holds them, else decompressed from the repository.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { imageSource, readImage, type GuestManifest } from '../../src/node/guest-images.js';
import type { ImageSource } from '../../src/machine/board/image-source.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A tiny images directory: one gzipped image and one stored as is. */
function fixture(): { dir: string; manifest: Pick<GuestManifest, 'files'>; raw: Uint8Array; plain: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'rv-images-'));
  const raw = new Uint8Array(3 * 4096 + 123);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  const gz = gzipSync(raw);
  const plain = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
  writeFileSync(join(dir, 'Image.gz'), gz);
  writeFileSync(join(dir, 'fw.bin'), plain);
  const manifest = {
    files: {
      'Image.gz': { size: gz.length, sha256: sha(gz), decompressed: { name: 'Image', size: raw.length, sha256: sha(raw) } },
      'fw.bin': { size: plain.length, sha256: sha(plain) },
    },
  };
  return { dir, manifest, raw, plain };
}

/** Reads a source into a shared buffer (as guest RAM is), between guard bytes that must stay put. */
function place(src: ImageSource): Uint8Array {
  const ram = new Uint8Array(new SharedArrayBuffer(src.length + 64)).fill(0xee);
  src.readInto(ram.subarray(32, 32 + src.length));
  expect(ram.subarray(0, 32).every((b) => b === 0xee)).toBe(true);
  expect(ram.subarray(32 + src.length).every((b) => b === 0xee)).toBe(true);
  return ram.slice(32, 32 + src.length);
}

describe('imageSource', () => {
  let f: ReturnType<typeof fixture>;
  let cache: string;
  const saved = process.env.RETROVISOR_IMAGE_CACHE;
  beforeEach(() => {
    f = fixture();
    cache = mkdtempSync(join(tmpdir(), 'rv-cache-'));
    process.env.RETROVISOR_IMAGE_CACHE = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RETROVISOR_IMAGE_CACHE; else process.env.RETROVISOR_IMAGE_CACHE = saved;
    rmSync(f.dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  it('decompresses on a cold cache, fills the cache, then reads the cache into place', () => {
    const src = imageSource(f.dir, f.manifest, 'Image.gz') as ImageSource;
    expect(src.length).toBe(f.raw.length);
    const cached = join(cache, sha(f.raw));
    expect(existsSync(cached)).toBe(false);
    expect(place(src)).toEqual(f.raw);
    expect(new Uint8Array(readFileSync(cached))).toEqual(f.raw);
    // now served from the cache: the repository's file is not read (corrupting it changes nothing)
    writeFileSync(join(f.dir, 'Image.gz'), 'not gzip');
    expect(place(imageSource(f.dir, f.manifest, 'Image.gz') as ImageSource)).toEqual(f.raw);
  });

  it('never serves a corrupt or truncated cache file, and rewrites it', () => {
    const cached = join(cache, sha(f.raw));
    place(imageSource(f.dir, f.manifest, 'Image.gz') as ImageSource);
    const bad = new Uint8Array(readFileSync(cached));
    bad[4097] ^= 1;
    writeFileSync(cached, bad);
    expect(place(imageSource(f.dir, f.manifest, 'Image.gz') as ImageSource)).toEqual(f.raw);
    expect(new Uint8Array(readFileSync(cached))).toEqual(f.raw);
    truncateSync(cached, 4096);
    expect(place(imageSource(f.dir, f.manifest, 'Image.gz') as ImageSource)).toEqual(f.raw);
    expect(new Uint8Array(readFileSync(cached))).toEqual(f.raw);
  });

  it('works with the cache off, and reads an uncompressed image from the repository file', () => {
    process.env.RETROVISOR_IMAGE_CACHE = 'off';
    expect(place(imageSource(f.dir, f.manifest, 'Image.gz') as ImageSource)).toEqual(f.raw);
    expect(place(imageSource(f.dir, f.manifest, 'fw.bin') as ImageSource)).toEqual(f.plain);
    expect(place(imageSource(f.dir, f.manifest, 'fw.bin') as ImageSource)).toEqual(readImage(f.dir, f.manifest, 'fw.bin', true));
  });

  it('fails loudly on a missing file or bytes that do not match the manifest', () => {
    expect(() => imageSource(f.dir, f.manifest, 'missing.gz')).toThrow(/guest image missing/);
    writeFileSync(join(f.dir, 'fw.bin'), new Uint8Array(5000));
    const src = imageSource(f.dir, f.manifest, 'fw.bin') as ImageSource;
    expect(() => place(src)).toThrow(/does not match manifest/);
  });
});
