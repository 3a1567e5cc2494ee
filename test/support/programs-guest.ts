/**
 * The real-programs benchmark's guest (bench/programs.ts): the standard
 * images with guest/images/programs.cpio.gz (Lua, SQLite's shell and bzip2
 * from Debian sources, built by `guest/build.sh programs`) appended to the
 * initramfs. Linux unpacks concatenated cpio archives one after the other,
 * so the guest sees /programs and the workload /workloads/programs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CMDLINE, guestImagesDir, materializeGuestImages, readImage, type GuestFileInfo, type MaterializedGuest } from '../../src/node/guest-images.js';

export const PROGRAMS_IMAGE = 'programs.cpio.gz';

export interface ProgramsManifest {
  format: number;
  files: Record<string, GuestFileInfo>;
  appendsTo: string;
  programs: string[];
  debianSources: Record<string, string>;
  compiler: string;
}

/**
 * The standard command line with only kernel errors on the console: notices
 * such as "random: crng init done" arrive at a wall-clock-dependent moment on
 * QEMU and would land inside a program's output.
 */
export const PROGRAMS_APPEND = `${DEFAULT_CMDLINE} loglevel=4`;

/** Printed by rv-run once the whole workload is done. */
export const PROGRAMS_END = 'RV-WORKLOAD-END programs';

/** Marker lines the workload prints around each program (guest/programs/programs.sh). */
export const programStart = (name: string): string => `RV-PROG-START ${name}`;
export const programEnd = (name: string): RegExp => new RegExp(`RV-PROG-END ${name} status=(\\d+)`);

export function readProgramsManifest(dir = guestImagesDir()): ProgramsManifest {
  const path = join(dir, 'programs.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: build the programs image with: sudo guest/build.sh deps programs`);
  return JSON.parse(readFileSync(path, 'utf8')) as ProgramsManifest;
}

/**
 * Writes the standard images into a temporary directory, with `initrd`
 * pointing at the standard initramfs followed by the programs archive, for
 * QEMU (`-initrd`) and Retrovisor (`initrd:` in the machine description) alike.
 */
export function materializeProgramsGuest(): MaterializedGuest & { manifest: ProgramsManifest } {
  const dir = guestImagesDir();
  const manifest = readProgramsManifest(dir);
  const programs = readImage(dir, manifest, PROGRAMS_IMAGE, true);
  const guest = materializeGuestImages();
  const initrd = join(guest.dir, 'initramfs-programs.cpio');
  writeFileSync(initrd, Buffer.concat([readFileSync(guest.initrd), programs]));
  return { ...guest, initrd, manifest };
}

/**
 * The guest's output of one program, for comparing runs and engines byte for
 * byte: the lines from its start marker to its end marker, and its check line
 * if any. Carriage returns are dropped (the Retrovisor console keeps the
 * tty's CRLF, the QEMU runner does not).
 */
export function programOutput(console: string, name: string): string {
  const text = console.replace(/\r/g, '');
  const start = text.indexOf(programStart(name) + '\n');
  const end = programEnd(name).exec(text.slice(Math.max(start, 0)));
  if (start < 0 || !end) return '';
  const body = text.slice(start, start + end.index + end[0].length);
  const check = new RegExp(`^RV-PROG-CHECK ${name} .*$`, 'm').exec(text.slice(start));
  return check ? `${body}\n${check[0]}\n` : `${body}\n`;
}
