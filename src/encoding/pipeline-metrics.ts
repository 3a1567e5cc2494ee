/** Counters of one pipeline run; times are milliseconds (performance.now()). */
export interface PipelineMetrics {
  pagesDirty: number;
  pagesZero: number;
  pagesDeduplicated: number;
  pagesDelta: number;
  pagesCompressed: number;
  pagesRaw: number;
  /** Deltas that exceeded the threshold and fell back to compression. */
  deltaOverflows: number;
  cacheEvictions: number;
  bytesIn: number;
  /** Payload bytes handed to the sink (record headers not included). */
  bytesOut: number;
  msZero: number;
  msHash: number;
  msDedup: number;
  msDelta: number;
  msCompress: number;
  msStore: number;
  msTotal: number;
}

export function emptyMetrics(): PipelineMetrics {
  return {
    pagesDirty: 0, pagesZero: 0, pagesDeduplicated: 0, pagesDelta: 0, pagesCompressed: 0, pagesRaw: 0,
    deltaOverflows: 0, cacheEvictions: 0, bytesIn: 0, bytesOut: 0,
    msZero: 0, msHash: 0, msDedup: 0, msDelta: 0, msCompress: 0, msStore: 0, msTotal: 0,
  };
}

export function addMetrics(into: PipelineMetrics, m: PipelineMetrics): void {
  for (const k of Object.keys(into) as Array<keyof PipelineMetrics>) into[k] += m[k];
}
