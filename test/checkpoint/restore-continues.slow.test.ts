// The done-when: a 256 MiB guest running memtouch checkpoints every 100 ms of guest time;
// checkpoints restore to a bit-identical machine that then continues exactly like the original.
import { afterAll, expect, test } from 'vitest';
import { TIMEBASE_HZ } from '../../src/machine/clock.js';
import { SeededInputSource } from '../../src/machine/input.js';
import { GuestSession } from '../support/guest-session.js';
import { CheckpointSchedule } from '../../src/checkpoint/checkpoint-schedule.js';
import { MachineCheckpointer, type Capture, type CaptureResult } from '../../src/checkpoint/machine-checkpointer.js';
import { parseCheckpointInterval } from '../../src/cli/checkpoint-interval.js';
import { restoreMachine } from '../../src/checkpoint/restore-machine.js';
import { codecs, openRepo, tempDir } from '../store/helpers.js';
import { fingerprint } from './fingerprint.js';

const { dir, cleanup } = tempDir('rv-ckpt-slow-');
const sessions: GuestSession[] = [];
afterAll(() => { for (const s of sessions) s.close(); cleanup(); });
// rng on: the seeded source's position is part of the checkpoint
const session = () => { const s = new GuestSession({ workload: 'memtouch', args: ['64', '100', '0'], input: new SeededInputSource(11) }); sessions.push(s); return s; };

const CHECKPOINTS = Number(process.env.CKPT_COUNT ?? 15);
const AFTER = 7_000_000; // instructions run after a checkpoint before comparing
const PROBE = new Set([1, 2, Math.ceil(CHECKPOINTS / 2), CHECKPOINTS - 1]);

test.each([
  ['stop-and-copy', { mode: 'stop' as const }],
  ['copy-on-write with prediction', { mode: 'cow' as const, predict: true }],
])('memtouch, 256 MiB, a checkpoint every 100 ms (%s): restores are bit-identical and continue identically', (_name, mode) => {
  const repo = openRepo(`${dir}/${mode.mode}`);
  const a = session();
  const vm = a.machine;
  a.runUntil('memtouch: 64 MiB', 600_000_000, 1_000_000);
  const ck = new MachineCheckpointer(vm, repo, codecs, mode);
  const sched = new CheckpointSchedule(ck, parseCheckpointInterval('100ms', TIMEBASE_HZ));
  // keyed by capture index: a copy-on-write capture gets its id only once committed
  const atCaptureK = new Map<number, string>();
  const laterK = new Map<number, string>();
  const probes: Array<{ k: number; at: number }> = [];
  const captures: Capture[] = [];
  while (captures.length < CHECKPOINTS || probes.length > 0) {
    let n = 4_000_000;
    for (const p of probes) n = Math.min(n, p.at - vm.instret);
    if (captures.length >= CHECKPOINTS) { vm.run(n); ck.pump(); }
    const r = captures.length < CHECKPOINTS ? sched.step(n).capture : null;
    for (const p of probes.filter((q) => q.at === vm.instret)) { laterK.set(p.k, fingerprint(vm)); probes.splice(probes.indexOf(p), 1); }
    if (!r) continue;
    captures.push(r);
    if (PROBE.has(captures.length)) {
      atCaptureK.set(captures.length - 1, fingerprint(vm));
      probes.push({ k: captures.length - 1, at: vm.instret + AFTER });
    }
  }
  ck.drain();
  const taken: CaptureResult[] = captures.map((c) => { expect(c.state).toBe('committed'); return c.result!; });
  const atCapture = new Map([...atCaptureK].map(([k, v]) => [taken[k].meta.id, v]));
  const later = new Map([...laterK].map(([k, v]) => [taken[k].meta.id, v]));
  if (mode.mode === 'cow') console.log(`copy-on-write faults per checkpoint: ${taken.map((r) => r.metrics.cowFaults).join(' ')}; eager copies: ${taken.map((r) => r.metrics.eagerPages).join(' ')}`);
  const pause = taken.slice(1).map((r) => r.pauseMs).sort((x, y) => x - y);
  const bytes = taken.slice(1).map((r) => r.meta.bytesWritten).sort((x, y) => x - y);
  const pages = taken.slice(1).map((r) => r.metrics.ramPages).sort((x, y) => x - y);
  console.log(`${taken.length} checkpoints every 100 ms guest time from ${taken[0].meta.instructions} instructions; full: ${taken[0].metrics.ramPages} pages, ${taken[0].meta.bytesWritten} B, pause ${taken[0].pauseMs.toFixed(0)} ms; `
    + `incremental medians: ${pages[pages.length >> 1]} dirty pages, ${bytes[bytes.length >> 1]} B stored, pause ${pause[pause.length >> 1].toFixed(1)} ms (max ${pause[pause.length - 1].toFixed(1)} ms)`);
  // memtouch dirties 100 MiB/s = 2560 pages per 100 ms
  expect(pages[pages.length >> 1]).toBeGreaterThan(2000);
  // on the 100 ms grid: capture i at or just after grid point i (an idle skip can jump past it)
  const t0 = taken[0].meta.guestTime;
  console.log('guest ms after the first checkpoint:', taken.map((r) => ((r.meta.guestTime - t0) / 1e4).toFixed(1)).join(' '));
  for (let i = 1; i < taken.length; i++) {
    expect(taken[i].meta.guestTime).toBeGreaterThanOrEqual(t0 + i * 1_000_000);
    expect(taken[i].meta.guestTime).toBeLessThan(t0 + i * 1_000_000 + 10_000);
    expect(taken[i].meta.parent).toBe(taken[i - 1].meta.id);
  }

  const b = session();
  for (const id of atCapture.keys()) {
    restoreMachine(b.machine, repo, id);
    expect(fingerprint(b.machine), `restored checkpoint ${id}`).toBe(atCapture.get(id));
    b.machine.run(AFTER);
    expect(fingerprint(b.machine), `${AFTER} instructions after checkpoint ${id}`).toBe(later.get(id));
  }
  expect(repo.verify()).toEqual([]);
  repo.close();
});
