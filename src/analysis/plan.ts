/**
 * Cuts a recording into interval jobs at its checkpoint markers: interval
 * k runs from marker k (or the recording's start) to marker k+1 (or the
 * recording's end). `from`/`until` keep only the intervals that overlap
 * [from, until) and attach the plugins only inside that window.
 */
import type { LogEvent } from '../replay/log-event.js';
import type { LogReader } from '../replay/log-reader.js';
import { JOB_VERSION, type IntervalJob } from './interval-job.js';
import type { PluginSpec } from './plugin.js';

export interface Boundary {
  readonly instret: number;
  /** Checkpoint there (null: the recording's boot start or its end). */
  readonly checkpoint: number | null;
  readonly enter: 'start' | 'marker';
}

/** The recording's interval boundaries: start, every checkpoint marker, end (last event). */
export function boundaries(reader: LogReader): { points: Boundary[]; end: number; ended: boolean } {
  const start = reader.meta.start;
  if (start.kind === 'memory-checkpoint') throw new Error(`${reader.name} starts at an in-memory checkpoint, which no other process can restore`);
  const points: Boundary[] = [];
  let end = 0;
  let ended = false;
  const events = function* (): Generator<LogEvent> {
    for (let f = 0; f < reader.frames.length; f++) {
      let list: LogEvent[];
      // an unreadable frame is the business of the interval that replays it (its job fails naming it), not of planning
      try { list = reader.events(f); } catch { continue; }
      yield* list;
    }
  };
  for (const e of events()) {
    end = Math.max(end, e.instret);
    if (e.kind === 'start' && points.length === 0) points.push({ instret: e.instret, checkpoint: start.kind === 'checkpoint' ? start.id : null, enter: 'start' });
    else if (e.kind === 'checkpoint' && points.length > 0) {
      const id = Number(e.id);
      if (!Number.isSafeInteger(id)) continue; // not a repository checkpoint
      const last = points[points.length - 1];
      // a marker where the previous boundary is: start from the checkpoint (restoring beats booting)
      if (last.instret === e.instret) points[points.length - 1] = { instret: e.instret, checkpoint: id, enter: 'marker' };
      else points.push({ instret: e.instret, checkpoint: id, enter: 'marker' });
    } else if (e.kind === 'end') ended = true;
  }
  if (points.length === 0) throw new Error(`${reader.name}: the recording has no start marker`);
  return { points, end, ended };
}

export interface PlanOptions {
  recording: string;
  repository: string | null;
  machine: unknown;
  plugins: readonly PluginSpec[];
  from?: number;
  until?: number;
  verify?: boolean;
}

export function planIntervals(reader: LogReader, o: PlanOptions): IntervalJob[] {
  const { points, end } = boundaries(reader);
  const from = o.from ?? 0;
  const until = o.until ?? Infinity;
  if (until <= from) throw new Error(`--until ${until} is not after --from ${from}`);
  if (reader.meta.clockMode === 'realtime' && (o.from !== undefined || o.until !== undefined)) {
    // a realtime replay must slice exactly as recorded: no extra stops inside an interval
    throw new Error('--from/--until need a virtual-clock recording');
  }
  const jobs: IntervalJob[] = [];
  points.forEach((p, k) => {
    const next = points[k + 1];
    const stop = next ? next.instret : end;
    if (stop <= from && next) return;
    if (p.instret >= until) return;
    const cut = until < stop;
    jobs.push({
      version: JOB_VERSION,
      index: k,
      recording: o.recording,
      repository: o.repository,
      machine: o.machine,
      start: { checkpoint: p.checkpoint, instret: p.instret, enter: p.enter },
      end: { instret: cut ? until : next ? next.instret : null, checkpoint: !cut && next ? next.checkpoint : null },
      analyseFrom: Math.max(from, p.instret),
      plugins: o.plugins,
      verify: o.verify ?? true,
    });
  });
  if (jobs.length === 0) throw new Error(`no interval of the recording overlaps instret ${from}..${until === Infinity ? 'end' : until}`);
  return jobs;
}
