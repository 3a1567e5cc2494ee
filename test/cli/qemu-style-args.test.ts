import { describe, expect, it } from 'vitest';
import { normalizeQemuArgs, parseCount, parseDrive, parseMemorySize } from '../../src/cli/qemu-style-args.js';

describe('QEMU-style command line', () => {
  it('rewrites single-dash long options, including -m, and leaves others alone', () => {
    expect(normalizeQemuArgs(['node', 'main', 'run', '-m', '512M', '-kernel', 'k', '-append', 'x y', '-o', 'out', '-bios', 'none']))
      .toEqual(['node', 'main', 'run', '--m', '512M', '--kernel', 'k', '--append', 'x y', '-o', 'out', '--bios', 'none']);
  });

  it('parses memory sizes like QEMU and rejects nonsense', () => {
    expect(parseMemorySize('256')).toBe(256 * 2 ** 20);
    expect(parseMemorySize('256M')).toBe(256 * 2 ** 20);
    expect(parseMemorySize('1G')).toBe(2 ** 30);
    expect(() => parseMemorySize('abc')).toThrow(/bad memory size/);
    expect(() => parseMemorySize('-5M')).toThrow(/bad memory size/);
  });

  it('parses -drive specs and instruction counts', () => {
    expect(parseDrive('file=/a/b.img,format=raw,if=virtio')).toBe('/a/b.img');
    expect(parseDrive('/a/b.img')).toBe('/a/b.img');
    expect(() => parseDrive('file=x,format=qcow2')).toThrow(/format=raw/);
    expect(() => parseDrive('format=raw')).toThrow(/file=PATH/);
    expect(parseCount('50M')).toBe(50_000_000);
    expect(parseCount('1.5k')).toBe(1500);
    expect(() => parseCount('ten')).toThrow(/bad count/);
  });
});
