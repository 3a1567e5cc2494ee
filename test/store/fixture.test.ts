import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { PAGE_SIZE } from '../../src/machine/memory.js';
import { FIXTURE_CODECS, FIXTURE_PAGES, fixtureImages, writeFixture } from './fixture-data.js';
import { openRepo } from './helpers.js';

// version 1: version 2 only adds chunk kinds (disk references, sub-page deltas), so every version 1
// repository is also one this build reads; the fixture must keep reading after every change
const FIXTURE = resolve(import.meta.dirname, 'fixtures', 'repo-v1');

if (process.env.MAKE_FIXTURE) {
  test('regenerate the fixture repository', () => {
    rmSync(FIXTURE, { recursive: true, force: true });
    const repo = openRepo(FIXTURE, true);
    writeFixture(repo);
    repo.close();
    // the regenerated repository must be what the reading test below expects
    const check = openRepo(FIXTURE, false, true);
    expect(check.verify()).toEqual([]);
    expect(check.list().map((m) => m.id)).toEqual([1, 2, 3, 5]);
    check.close();
  });
}

test('reads the committed fixture repository written by format version 1', () => {
  expect(existsSync(join(FIXTURE, 'index.log'))).toBe(true);
  const repo = openRepo(FIXTURE, false, true);
  expect(repo.verify()).toEqual([]);
  const list = repo.list();
  expect(list.map((m) => m.id)).toEqual([1, 2, 3, 5]);
  const images = fixtureImages();
  const ram = new Uint8Array(FIXTURE_PAGES * PAGE_SIZE);
  for (const meta of list) {
    const { deviceState } = repo.restore(meta.id, ram);
    expect(JSON.parse(new TextDecoder().decode(deviceState))).toEqual({ version: 1, step: meta.id });
    expect(meta).toMatchObject({ parent: meta.id === 1 ? null : meta.id - 1, guestTime: 1000 * meta.id, instructions: 5_000_000 * meta.id, label: `fixture-${meta.id}` });
    expect(Buffer.compare(ram, images[meta.id - 1]), `checkpoint ${meta.id}`).toBe(0);
  }
  // Every codec and chunk kind is present in the fixture.
  const t = repo.chunks;
  const codecsSeen = new Set<number>(), kinds = new Set<number>();
  for (const id of t.ids()) { codecsSeen.add(t.codecOf(id)); kinds.add(t.kindOf(id)); }
  expect(codecsSeen.size).toBe(new Set(FIXTURE_CODECS).size);
  expect([...kinds].sort()).toEqual([0, 1]);
  repo.close();
});
