/** Own-file machine snapshots (a directory of ID.rvsnap files) for record --checkpoint-every and replay --from. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineSnapshot, SnapshotRef, SnapshotSource } from '../replay/machine-snapshot.js';
import { decodeSnapshot, encodeSnapshot } from '../replay/snapshot-codec.js';
import { replayLogCodecs } from './replay-log-file.js';
import { ZstdCodec } from './codecs/zstd-codec.js';

export function snapshotPath(dir: string, id: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`bad snapshot id ${JSON.stringify(id)}`);
  return join(dir, `${id}.rvsnap`);
}

export function writeSnapshotFile(dir: string, s: MachineSnapshot): string {
  mkdirSync(dir, { recursive: true });
  const path = snapshotPath(dir, s.id);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, encodeSnapshot(s, new ZstdCodec(1)));
  renameSync(tmp, path); // a crash never leaves a half-written snapshot under the real name
  return path;
}

export function readSnapshotFile(path: string): MachineSnapshot {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read snapshot ${path}: ${(e as Error).message}`);
  }
  return decodeSnapshot(bytes, path, replayLogCodecs());
}

/** Snapshots in a directory, by id; checks they match the reference. */
export class DirectorySnapshotSource implements SnapshotSource {
  constructor(readonly dir: string) {}
  get(ref: SnapshotRef): MachineSnapshot {
    const path = snapshotPath(this.dir, ref.id);
    if (!existsSync(path)) throw new Error(`snapshot ${ref.id} not found (looked for ${path})`);
    const s = readSnapshotFile(path);
    if (s.archHash !== ref.archHash || s.ramHash !== ref.ramHash) throw new Error(`${path} does not match the recording's reference`);
    return s;
  }
}
