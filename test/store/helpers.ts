import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCodecRegistry } from '../../src/node/codecs/node-codecs.js';
import { NodeStoreFs } from '../../src/node/fs-store.js';
import { PagePipeline, type PipelineOptions } from '../../src/encoding/page-pipeline.js';
import type { PageSource } from '../../src/encoding/page-source.js';
import { Repository } from '../../src/store/repository.js';

export const fs = new NodeStoreFs();
export const codecs = nodeCodecRegistry();

export function tempDir(prefix = 'rv-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openRepo(dir: string, create = true, readOnly = false, maxPackBytes?: number): Repository {
  return Repository.open(fs, dir, { codecs, create, readOnly, maxPackBytes });
}

export function pipeline(options: PipelineOptions = {}): PagePipeline {
  return new PagePipeline({ codec: codecs.byName('zstd'), deltaCacheBytes: 1 << 20, ...options });
}

/** Writes one checkpoint of the selected pages; returns its id. */
export function checkpoint(repo: Repository, pl: PagePipeline, src: PageSource, parent: number | null, step: number, selection?: Uint8Array): number {
  const w = repo.begin({ parent, pageCount: src.pageCount });
  const m = pl.run(src, w, selection ?? src.dirty);
  const meta = w.commit({ guestTime: step * 1000, instructions: step * 1_000_000, deviceState: new TextEncoder().encode(`dev-${step}`), metrics: m, hostTime: step });
  return meta.id;
}
