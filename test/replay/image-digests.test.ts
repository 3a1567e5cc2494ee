// A recording names its images by content: a replay on a moved or changed file fails clearly.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { resolveImages } from '../../src/node/image-digests.js';
import { openReplayLog } from '../../src/node/replay-log-file.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const PROGRAM = fileURLToPath(new URL('../programs/bin/csr.elf', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'retrovisor-img-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'latin1', timeout: 120_000 });

test('record stores the sha256 of every image; replay refuses a changed or missing image, naming it', () => {
  const kernel = join(dir, 'prog.elf');
  copyFileSync(PROGRAM, kernel);
  const log = join(dir, 'p.rvr');
  const rec = cli('record', '-o', log, '--bios', 'none', '--kernel', kernel, '--no-pace', '--max-instructions', '2M');
  expect(rec.status, rec.stderr).toBe(0);
  const images = openReplayLog(log).meta.machine.images as Array<{ role: string; path: string; sha256: string }>;
  expect(images.map((i) => [i.role, i.path])).toEqual([['kernel', kernel]]);
  expect(images[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(cli('replay', log).status).toBe(0);
  appendFileSync(kernel, 'x');
  const changed = cli('replay', log);
  expect(changed.status).not.toBe(0);
  expect(changed.stderr).toContain(`was recorded with kernel ${kernel} of`);
  expect(changed.stderr).toContain('the file has changed since');
  renameSync(kernel, `${kernel}.moved`);
  const missing = cli('replay', log);
  expect(missing.stderr).toContain(`kernel ${kernel}`);
  expect(missing.stderr).toContain('which no longer exists');
});

test('record --bundle keeps the images with the log: replay finds a moved image there', () => {
  const kernel = join(dir, 'prog2.elf');
  copyFileSync(PROGRAM, kernel);
  const log = join(dir, 'bundled.rvr');
  const rec = cli('record', '-o', log, '--bios', 'none', '--kernel', kernel, '--no-pace', '--max-instructions', '2M', '--bundle');
  expect(rec.status, rec.stderr).toBe(0);
  expect(rec.stderr).toContain(`images bundled with the recording in ${log}.images`);
  rmSync(kernel);
  const rep = cli('replay', log);
  expect(rep.status, rep.stderr).toBe(0);
  expect(rep.stdout).toBe(rec.stdout);
  // a damaged bundle is refused like a changed file
  appendFileSync(join(`${log}.images`, 'kernel-prog2.elf'), 'x');
  const bad = cli('replay', log);
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain(`which no longer exists and is not in its bundle ${log}.images`);
});

test('standard guest images are taken from the bundle as a directory', () => {
  const bundle = `${join(dir, 'std.rvr')}.images`;
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'Image.gz'), 'kernel bytes');
  const sha256 = createHash('sha256').update('kernel bytes').digest('hex');
  const out = resolveImages({ images: [{ role: 'kernel', standard: true, path: '/nowhere/Image.gz', bytes: 12, sha256 }] }, join(dir, 'std.rvr'));
  expect(out.imagesDir).toBe(bundle);
});
