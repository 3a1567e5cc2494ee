// The checkpointer on a small machine: periodic captures through the API, disk blocks, restore.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { TIMEBASE_HZ } from '../../src/machine/clock.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { GuestSession } from '../support/guest-session.js';
import { CheckpointSchedule } from '../../src/checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer } from '../../src/checkpoint/machine-checkpointer.js';
import { parseCheckpointInterval } from '../../src/cli/checkpoint-interval.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { decodeState, encodeState } from '../../src/encoding/state-codec.js';
import type { StateRecord, StateValue } from '../../src/machine/state.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';

const { dir, cleanup } = tempDir('rv-ckpt-api-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });
const session = () => { const s = new GuestSession({ memoryBytes: 64 << 20, disk: true, input: new SeededInputSource(7) }); sessions.push(s); return s; };

test('interval parsing', () => {
  expect(parseCheckpointInterval('100ms', TIMEBASE_HZ)).toEqual({ unit: 'ticks', every: 1_000_000 });
  expect(parseCheckpointInterval('1s', TIMEBASE_HZ)).toEqual({ unit: 'ticks', every: 10_000_000 });
  expect(parseCheckpointInterval('50M', TIMEBASE_HZ)).toEqual({ unit: 'instructions', every: 50_000_000 });
  expect(parseCheckpointInterval('2500000', TIMEBASE_HZ)).toEqual({ unit: 'instructions', every: 2_500_000 });
  expect(() => parseCheckpointInterval('soon', TIMEBASE_HZ)).toThrow(/expected a guest time/);
});

test('periodic captures land on their boundaries; disk blocks and input position round-trip; restore is bit-identical and continues identically', () => {
  const repo = openRepo(dir);
  const a = session();
  const vm = a.machine;
  const ck = new MachineCheckpointer(vm, repo, codecs);
  const every = 2_000_000;
  const sched = new CheckpointSchedule(ck, parseCheckpointInterval('2M', TIMEBASE_HZ));
  const prints = new Map<number, string>();
  const disk = vm.overlays[0];
  const block = new Uint8Array(4096);
  let taken = 0;
  while (taken < 4) {
    vm.run(sched.limit(4_000_000));
    // stand-in for guest disk writes: one new block per interval, one rewritten, one zeroed
    block.fill(taken + 1);
    disk.write(taken * 8192, block);
    if (taken === 2) disk.write(0, new Uint8Array(4096));
    const c = sched.poll();
    if (!c) continue;
    const r = c.result!;
    taken++;
    expect(r.meta.instructions).toBe(taken * every);
    expect(r.metrics.full).toBe(taken === 1 ? 1 : 0);
    expect(r.metrics.diskBlocks).toBe(taken === 1 ? 1 : taken === 3 ? 2 : 1);
    expect(r.meta.parent).toBe(taken === 1 ? null : r.meta.id - 1);
    expect(r.metrics.downtimeMs).toBeGreaterThan(0);
    prints.set(r.meta.id, fingerprint(vm));
  }
  const ids = [...prints.keys()];
  // the incremental ones hold far fewer pages than the full one
  expect(repo.get(ids[1]).metrics!.pagesDirty!).toBeLessThan(repo.get(ids[0]).metrics!.pagesDirty! / 2);
  vm.run(1_000_000);
  const after = fingerprint(vm);

  const b = session();
  for (const id of [ids[3], ids[0], ids[2]]) {
    restoreMachine(b.machine, repo, id);
    expect(fingerprint(b.machine), `checkpoint ${id}`).toBe(prints.get(id));
  }
  restoreMachine(b.machine, repo, ids[3]);
  b.machine.run(1_000_000);
  expect(fingerprint(b.machine)).toBe(after);
  expect(repo.verify()).toEqual([]);
  repo.close();
});

test('a restore that does not fit the machine is refused before anything changes', () => {
  const repo = openRepo(dir);
  const id = repo.list()[0].id;
  const small = new GuestSession({ memoryBytes: 32 << 20 });
  sessions.push(small);
  const before = fingerprint(small.machine);
  expect(() => restoreMachine(small.machine, repo, id)).toThrow(/disk|pages/);
  expect(fingerprint(small.machine)).toBe(before);
  repo.close();
});

test('a corrupt chunk or a state record of the wrong shape leaves the machine as it was; the error names checkpoint, chunk and file', () => {
  const { dir: d2, cleanup: c2 } = tempDir('rv-ckpt-atomic-');
  try {
    const repo = openRepo(d2);
    const a = session();
    a.machine.run(3_000_000);
    const ck = new MachineCheckpointer(a.machine, repo, codecs);
    const { meta } = ck.capture();
    a.machine.run(1_000_000);
    const good = ck.capture().meta;
    const b = session();
    b.machine.run(500_000);
    const before = fingerprint(b.machine);
    // damage the last RAM chunk of the full checkpoint (restore reads it after many good ones)
    const { map } = repo.readCheckpoint(meta.id);
    let last = 0;
    for (let p = 0; p < b.machine.ram.pages; p++) if (map[p] !== 0) last = map[p];
    const t = repo.chunks;
    const pack = join(d2, 'packs', readdirSync(join(d2, 'packs')).find((n) => n === `pack-${String(t.packOf(last)).padStart(6, '0')}.pack`)!);
    const bytes = readFileSync(pack);
    bytes[t.offsetOf(last) + 40] ^= 0xff;
    writeFileSync(pack, bytes);
    const repair = () => { bytes[t.offsetOf(last) + 40] ^= 0xff; writeFileSync(pack, bytes); };
    const fresh = openRepo(d2, false, true);
    expect(() => restoreMachine(b.machine, fresh, meta.id)).toThrow(new RegExp(`pack-\\d+\\.pack \\(checkpoint ${meta.id}\\) \\(chunk ${last}\\): record at offset \\d+: checksum mismatch`));
    expect(fingerprint(b.machine)).toBe(before);
    fresh.close();
    repair();
    // a state record of the wrong shape is rejected by its component (the UART loads after the
    // hart, CLINT and PLIC, which must be put back), and nothing changes either
    const rec = decodeState(repo.readCheckpoint(good.id).deviceState);
    const machine = rec.machine as unknown as StateRecord;
    const bad = encodeState({ ...rec, machine: { ...machine, uart: { version: 1, ier: 'loud' } } as unknown as StateValue });
    const w = repo.begin({ parent: good.id, pageCount: repo.get(good.id).pageCount });
    const badId = w.commit({ guestTime: 0, instructions: 0, deviceState: bad }).id;
    expect(() => restoreMachine(b.machine, repo, badId)).toThrow(new RegExp(`checkpoint ${badId}: its device state does not load .*; the machine was left as it was`));
    expect(fingerprint(b.machine)).toBe(before);
    repo.close();
  } finally {
    c2();
  }
});
