import { PAGE_SIZE } from '../../src/machine/memory.js';
import { PagePipeline } from '../../src/encoding/page-pipeline.js';
import type { Repository } from '../../src/store/repository.js';
import { makeRam, mutate, rng } from '../encoding/corpus.js';
import { codecs } from './helpers.js';

/**
 * The committed fixture repository (test/store/fixtures/repo-v1): five
 * checkpoints written with each codec in turn (zstd, lz4, deflate, none,
 * zstd), XBZRLE deltas and deduplication on, and checkpoint 4 removed.
 * Regenerate with: MAKE_FIXTURE=1 npx vitest run test/store/fixture.test.ts
 */
export const FIXTURE_PAGES = 32;
export const FIXTURE_CODECS = ['zstd', 'lz4', 'deflate', 'none', 'zstd'];

/** RAM image after each step (index = checkpoint id - 1). */
export function fixtureImages(): Uint8Array[] {
  const ram = makeRam(FIXTURE_PAGES, 2024);
  const r = rng(2025);
  const out = [ram.slice()];
  for (let i = 1; i < FIXTURE_CODECS.length; i++) {
    mutate(ram, new Uint8Array(FIXTURE_PAGES), 6, r);
    out.push(ram.slice());
  }
  return out;
}

export function writeFixture(repo: Repository): void {
  const images = fixtureImages();
  const pl = new PagePipeline({ deltaCacheBytes: 16 * PAGE_SIZE });
  let parent: number | null = null;
  for (let i = 0; i < images.length; i++) {
    pl.setCodec(codecs.byName(FIXTURE_CODECS[i]));
    // Dirty = pages that differ from the previous image (all pages the first time).
    const dirty = new Uint8Array(FIXTURE_PAGES);
    for (let p = 0; p < FIXTURE_PAGES; p++) {
      const a = p * PAGE_SIZE, b = a + PAGE_SIZE;
      dirty[p] = i === 0 || Buffer.compare(images[i].subarray(a, b), images[i - 1].subarray(a, b)) !== 0 ? 1 : 0;
    }
    const w = repo.begin({ parent, pageCount: FIXTURE_PAGES });
    const m = pl.run({ pageCount: FIXTURE_PAGES, ram: images[i], dirty }, w);
    parent = w.commit({
      guestTime: 1000 * (i + 1), instructions: 5_000_000 * (i + 1), hostTime: 1_764_000_000_000 + i,
      deviceState: new TextEncoder().encode(JSON.stringify({ version: 1, step: i + 1 })), label: `fixture-${i + 1}`, metrics: m,
    }).id;
  }
  repo.remove(4);
}
