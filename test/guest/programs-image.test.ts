import { describe, expect, it } from 'vitest';
import { guestImagesDir, readImage } from '../../src/node/guest-images.js';
import { ENGINES, engineList, engineSpec, hotThresholdArg } from '../support/engines.js';
import { PROGRAMS_IMAGE, programOutput, readProgramsManifest } from '../support/programs-guest.js';

/** Names in a newc cpio archive (header: magic, 13 hex fields of 8, name, data, 4-byte alignment). */
function cpioNames(a: Uint8Array): string[] {
  const text = (o: number, n: number): string => Buffer.from(a.subarray(o, o + n)).toString('latin1');
  const names: string[] = [];
  for (let off = 0; off + 110 <= a.length;) {
    expect(text(off, 6)).toBe('070701');
    const field = (i: number): number => parseInt(text(off + 6 + 8 * i, 8), 16);
    const size = field(6);
    const nameSize = field(11);
    const name = text(off + 110, nameSize - 1);
    if (name === 'TRAILER!!!') break;
    names.push(name);
    off = (off + 110 + nameSize + 3) & ~3;
    off = (off + size + 3) & ~3;
  }
  return names;
}

describe('real-programs benchmark guest', () => {
  it('programs.cpio.gz matches programs.json and holds the programs and their workload', () => {
    const dir = guestImagesDir();
    const manifest = readProgramsManifest(dir);
    expect(manifest.programs).toEqual(['lua', 'sqlite', 'bzip2']);
    const names = cpioNames(readImage(dir, manifest, PROGRAMS_IMAGE, true));
    for (const n of ['programs/bin/lua', 'programs/bin/sqlite3', 'programs/bin/bzip2', 'programs/bench.lua', 'programs/bench.sql', 'workloads/programs']) {
      expect(names).toContain(n);
    }
    // appended to the standard initramfs: it must not replace what that archive made
    expect(names).not.toContain('workloads');
    expect(names).not.toContain('.');
  });

  it('extracts one program\'s output with its check line, the same from a CRLF and an LF console', () => {
    const lf = 'boot\nRV-PROG-START lua\nround 1 fib 46368\nRV-PROG-END lua status=0\nRV-PROG-START bzip2\nRV-PROG-END bzip2 status=0\nRV-PROG-CHECK bzip2 ab cd\nRV-WORKLOAD-END programs status=0\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(programOutput(lf, 'lua')).toBe('RV-PROG-START lua\nround 1 fib 46368\nRV-PROG-END lua status=0\n');
    expect(programOutput(lf, 'bzip2')).toBe('RV-PROG-START bzip2\nRV-PROG-END bzip2 status=0\nRV-PROG-CHECK bzip2 ab cd\n');
    expect(programOutput(crlf, 'bzip2')).toBe(programOutput(lf, 'bzip2'));
    expect(programOutput(lf, 'sqlite')).toBe('');
  });

  it('parses --engine lists and selects the interpreter with translation off', () => {
    expect(engineList(['node', 'bench'])).toEqual([...ENGINES]);
    expect(engineList(['--engine', 'js,interpreter'])).toEqual(['js', 'interpreter']);
    expect(() => engineList(['--engine', 'turbo'])).toThrow(/unknown engine/);
    expect(engineSpec('interpreter').translate).toBe(false);
    expect(engineSpec('js').translate).toBe(true);
    expect(hotThresholdArg(['--hot-threshold', '0'])).toEqual({ value: 0, args: ['--hot-threshold', '0'] });
    expect(engineSpec('js', 0).machine).toEqual({ hotThreshold: 0 });
    expect(() => hotThresholdArg(['--hot-threshold', 'x'])).toThrow();
  });
});
