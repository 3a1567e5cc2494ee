/**
 * Merges the intervals' results in order and builds the analysis output.
 * The output holds only what the guest did (never host timings), so it is
 * the same byte for byte however many workers produced it.
 */
import type { IntervalResult } from './interval-job.js';
import type { PluginRegistry, PluginSpec } from './plugin.js';

export interface AnalysisOutput {
  readonly format: 'retrovisor-analysis';
  readonly version: 1;
  readonly recording: string;
  readonly intervals: Array<{ index: number; from: number; until: number; instructions: number; status: string; verified: boolean | null; error?: string }>;
  readonly ok: boolean;
  /** Merged per plugin (absent when an interval failed: failed intervals are never merged over). */
  readonly plugins?: Record<string, unknown>;
}

export interface MergedAnalysis {
  output: AnalysisOutput;
  /** Merged raw results per plugin (for summaries). */
  merged: Record<string, unknown>;
}

export function mergeIntervals(recording: string, results: readonly IntervalResult[], specs: readonly PluginSpec[], registry: PluginRegistry): MergedAnalysis {
  const ordered = [...results].sort((a, b) => a.index - b.index);
  const ok = ordered.every((r) => r.status === 'ok');
  const intervals = ordered.map((r) => ({
    index: r.index, from: r.from, until: r.until, instructions: r.until - r.from, status: r.status, verified: r.verified,
    ...(r.error ? { error: r.error } : {}),
  }));
  const merged: Record<string, unknown> = {};
  if (!ok) return { output: { format: 'retrovisor-analysis', version: 1, recording, intervals, ok }, merged };
  const plugins: Record<string, unknown> = {};
  for (const s of specs) {
    const f = registry.get(s.name);
    let acc: unknown = undefined;
    for (const r of ordered) acc = acc === undefined ? r.results[s.name] : f.merge(acc, r.results[s.name]);
    merged[s.name] = acc;
    plugins[s.name] = f.report ? f.report(acc, s.options) : acc;
  }
  return { output: { format: 'retrovisor-analysis', version: 1, recording, intervals, ok, plugins }, merged };
}
