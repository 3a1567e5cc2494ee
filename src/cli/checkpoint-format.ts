/** Human-readable output shared by the checkpoint and repository commands. */
import { TIMEBASE_HZ } from '../machine/clock.js';
import type { CheckpointMeta } from '../store/checkpoint-meta.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export const guestSeconds = (ticks: number): string => `${(ticks / TIMEBASE_HZ).toFixed(3)} s`;

export function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Metrics lines for `checkpoint show` (fields missing in older checkpoints print as -). */
export function describeMetrics(meta: CheckpointMeta): string {
  const m = (meta.metrics ?? {}) as Record<string, unknown>;
  const has = (k: string) => typeof m[k] === 'number';
  const ms = (k: string) => (has(k) ? `${num(m[k]).toFixed(1)} ms` : '-');
  const lines = [
    `kind             ${has('full') ? (num(m.full) ? 'full (every page)' : 'incremental (dirty pages since the parent)') : '-'}`,
    `downtime         ${ms('downtimeMs')} (pause until commit; the commit's fsyncs add to the pause)`,
    `pipeline         ${ms('msTotal')} (zero ${ms('msZero')}, hash ${ms('msHash')}, dedup ${ms('msDedup')}, delta ${ms('msDelta')}, compress ${ms('msCompress')}, store ${ms('msStore')})`,
    `pages            ${num(m.ramPages)} RAM pages selected, ${num(m.diskBlocks)} disk blocks`,
    `  zero           ${num(m.pagesZero)}`,
    `  deduplicated   ${num(m.pagesDeduplicated)}`,
    `  free (reported) ${num(m.pagesFreeReported)} (zeroed by the balloon when the guest reported them free)`,
    `  free (kernel)  ${num(m.pagesFreeKernel)} (free in the guest kernel's allocator, zeroed at the checkpoint)${num(m.freeScanSkipped) ? '; skipped: the kernel\'s free lists could not be trusted at this instant' : ''}`,
    `  delta          ${num(m.pagesDelta)} XBZRLE, ${formatBytes(num(m.bytesDelta))} (overflows ${num(m.deltaOverflows)})`,
    `  sub-page delta ${num(m.pagesSubpage)}, ${formatBytes(num(m.bytesSubpage))} (smaller than XBZRLE on ${num(m.subpageWins)} pages, XBZRLE smaller on ${num(m.xbzrleWins)})`,
    `  similar        ${num(m.pagesSimilar)}, ${formatBytes(num(m.bytesSimilar))} (delta against another stored page)`,
    `  disk reference ${num(m.pagesDiskRef)}, ${formatBytes(num(m.bytesDiskRef))} (equal to a block of the base disk image)`,
    `  compressed     ${num(m.pagesCompressed)}`,
    `  raw            ${num(m.pagesRaw)}`,
    `bytes            ${formatBytes(num(m.bytesIn))} in → ${formatBytes(num(m.bytesOut))} payload${num(m.bytesIn) ? ` (${(100 * num(m.bytesOut) / num(m.bytesIn)).toFixed(1)}%)` : ''}`,
    `device state     ${has('stateBytes') ? formatBytes(num(m.stateBytes)) : '-'}`,
  ];
  return lines.join('\n') + '\n';
}

/** Parses `1s`, `100ms` (guest time → ticks), `50M` (instructions) or a plain number of the field's unit. */
export function parseSpan(text: string): { field: 'guestTime' | 'instructions' | 'hostTime'; value: number } {
  const t = text.trim().toLowerCase();
  let m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(t);
  if (m && m[2] !== 'm') {
    const sec = Number(m[1]) * ({ ms: 1e-3, s: 1, h: 3600 } as Record<string, number>)[m[2]];
    return { field: 'guestTime', value: Math.round(sec * TIMEBASE_HZ) };
  }
  m = /^(\d+(?:\.\d+)?)([kmg]?)$/.exec(t);
  if (m) return { field: 'instructions', value: Math.round(Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[m[2]]) };
  throw new Error(`cannot parse interval ${text}: use guest time (1s, 100ms) or instructions (50M)`);
}
