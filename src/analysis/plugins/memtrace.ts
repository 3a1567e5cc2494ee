/**
 * memtrace: the physical pages the guest's loads and stores touched. Per
 * interval: the working set (distinct pages, read and written); over the
 * whole run: a heat map of reads and writes per page. Options: top=N (the
 * hottest pages listed in the report, default 32), heat=full (every page).
 */
import type { PluginFactory } from '../plugin.js';

export interface MemtraceResult {
  intervals: Array<{ index: number; from: number; until: number; pages: number; readPages: number; writtenPages: number }>;
  /** [page number, reads, writes], ascending by page. */
  heat: Array<[number, number, number]>;
}

export const memtrace: PluginFactory<MemtraceResult> = {
  name: 'memtrace',
  description: 'pages touched by loads and stores: working set per interval, read/write heat per page',
  create(ctx) {
    const reads = new Map<number, number>();
    const writes = new Map<number, number>();
    return {
      hooks: {
        memRead(_vl, _vh, pa) { const p = Math.floor(pa / 4096); reads.set(p, (reads.get(p) ?? 0) + 1); },
        memWrite(_vl, _vh, pa) { const p = Math.floor(pa / 4096); writes.set(p, (writes.get(p) ?? 0) + 1); },
      },
      finish() {
        const pages = [...new Set([...reads.keys(), ...writes.keys()])].sort((a, b) => a - b);
        const { index, from, until } = ctx.interval;
        return {
          intervals: [{ index, from, until, pages: pages.length, readPages: reads.size, writtenPages: writes.size }],
          heat: pages.map((p) => [p, reads.get(p) ?? 0, writes.get(p) ?? 0] as [number, number, number]),
        };
      },
    };
  },
  merge(a, b) {
    const heat: MemtraceResult['heat'] = [];
    let i = 0, j = 0;
    while (i < a.heat.length || j < b.heat.length) {
      const x = a.heat[i], y = b.heat[j];
      if (y === undefined || (x !== undefined && x[0] < y[0])) { heat.push(x); i++; }
      else if (x === undefined || y[0] < x[0]) { heat.push(y); j++; }
      else { heat.push([x[0], x[1] + y[1], x[2] + y[2]]); i++; j++; }
    }
    return { intervals: [...a.intervals, ...b.intervals], heat };
  },
  report(r, options) {
    const top = Number(options.top ?? 32);
    const hottest = [...r.heat].sort((x, y) => y[1] + y[2] - (x[1] + x[2]) || x[0] - y[0]).slice(0, top)
      .map(([p, rd, wr]) => ({ page: '0x' + (p * 4096).toString(16), reads: rd, writes: wr }));
    return {
      pages: r.heat.length,
      workingSet: r.intervals,
      hottest,
      ...(options.heat === 'full' ? { heat: r.heat } : {}),
    };
  },
  summary(r) {
    const ws = r.intervals.map((i) => i.pages);
    const max = Math.max(0, ...ws);
    const mean = ws.length ? ws.reduce((s, v) => s + v, 0) / ws.length : 0;
    return [`${r.heat.length} distinct pages (${((r.heat.length * 4) / 1024).toFixed(1)} MiB); working set per interval: mean ${mean.toFixed(0)}, max ${max} pages`];
  },
};
