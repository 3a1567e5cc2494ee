import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlockDevice } from '../../src/node/file-block-device.js';
import { CowOverlay } from '../../src/machine/block/cow-overlay.js';

const dir = mkdtempSync(join(tmpdir(), 'retrovisor-blk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileBlockDevice', () => {
  it('reads a disk image read-only; a COW overlay on top never modifies the file', () => {
    const image = new Uint8Array(10000);
    for (let i = 0; i < image.length; i++) image[i] = i & 0xff;
    const path = join(dir, 'disk.img');
    writeFileSync(path, image);
    const f = new FileBlockDevice(path);
    expect(f.size).toBe(10000);
    expect(f.readOnly).toBe(true);
    const b = new Uint8Array(300);
    f.read(9700, b);
    expect(b).toEqual(image.subarray(9700));
    expect(() => f.read(9800, new Uint8Array(300))).toThrow(RangeError);
    expect(() => f.write(0, new Uint8Array(1))).toThrow(/read-only/);

    const o = new CowOverlay(f);
    o.write(5, new Uint8Array(5000).fill(0xee));
    const all = new Uint8Array(10000);
    o.read(0, all);
    expect(all[4]).toBe(4);
    expect(all[5]).toBe(0xee);
    expect(all[5005]).toBe(5005 & 0xff);
    expect(Buffer.compare(readFileSync(path), image)).toBe(0);
    f.close();
    expect(() => f.read(0, new Uint8Array(1))).toThrow(/closed/);
  });
});
