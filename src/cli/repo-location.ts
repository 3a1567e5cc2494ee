/** Where the checkpoint repository lives and how the CLI opens it. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { nodeCodecRegistry } from '../node/codecs/node-codecs.js';
import { NodeStoreFs } from '../node/fs-store.js';
import type { CodecRegistry } from '../encoding/page-codec.js';
import { Repository } from '../store/repository.js';

/** `--repo`, else `$RETROVISOR_REPO`, else `./.retrovisor/repo`. */
export function repoDir(option?: string): string {
  return resolve(option ?? process.env.RETROVISOR_REPO ?? '.retrovisor/repo');
}

export interface OpenedRepository { repo: Repository; codecs: CodecRegistry; dir: string }

export function openRepository(option: string | undefined, mode: 'read' | 'write' | 'create'): OpenedRepository {
  const dir = repoDir(option);
  if (mode !== 'create' && !existsSync(dir)) throw new Error(`no checkpoint repository at ${dir} (give --repo DIR or set RETROVISOR_REPO)`);
  const codecs = nodeCodecRegistry();
  const repo = Repository.open(new NodeStoreFs(), dir, { codecs, create: mode === 'create', readOnly: mode === 'read' });
  return { repo, codecs, dir };
}
