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
  /** Bytes of the XBZRLE deltas stored (same-page). */
  bytesDelta: number;
  /** Pages stored as sub-page (changed-block) deltas against their own previous version, and their bytes. */
  pagesSubpage: number;
  bytesSubpage: number;
  /** Pages where both delta encoders ran and fit: which was smaller. */
  subpageWins: number;
  xbzrleWins: number;
  /** Pages stored as a delta against a similar stored page (not their own), and their bytes. */
  pagesSimilar: number;
  bytesSimilar: number;
  /** Dirty pages the guest reported free (virtio-balloon) and that are still zero: stored as zero pages. */
  pagesFreeReported: number;
  /** Dirty pages the guest kernel's allocator held free (read by introspection), zeroed at the checkpoint: stored as zero pages. */
  pagesFreeKernel: number;
  /** 1 when introspection was on but the kernel's structures could not be trusted at this checkpoint (nothing excluded). */
  freeScanSkipped: number;
  /** Pages stored as a reference to an identical block of the machine's base disk image, and their bytes. */
  pagesDiskRef: number;
  bytesDiskRef: number;
}

export function emptyMetrics(): PipelineMetrics {
  return {
    pagesDirty: 0, pagesZero: 0, pagesDeduplicated: 0, pagesDelta: 0, pagesCompressed: 0, pagesRaw: 0,
    deltaOverflows: 0, cacheEvictions: 0, bytesIn: 0, bytesOut: 0,
    msZero: 0, msHash: 0, msDedup: 0, msDelta: 0, msCompress: 0, msStore: 0, msTotal: 0,
    bytesDelta: 0, pagesSubpage: 0, bytesSubpage: 0, subpageWins: 0, xbzrleWins: 0,
    pagesSimilar: 0, bytesSimilar: 0, pagesFreeReported: 0, pagesFreeKernel: 0, freeScanSkipped: 0, pagesDiskRef: 0, bytesDiskRef: 0,
  };
}

export function addMetrics(into: PipelineMetrics, m: PipelineMetrics): void {
  for (const k of Object.keys(into) as Array<keyof PipelineMetrics>) into[k] += m[k];
}
