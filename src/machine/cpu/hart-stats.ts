/**
 * Event counters of a hart's slow paths (TLB fills, page walks, MMIO, code
 * drops, ...), for profiles such as `npm run bench:boot -- --profile`. Only
 * paths that already leave the interpreter's inline fast path count, so the
 * counters cost nothing where speed matters. They never affect what the guest
 * computes and are not part of the hart's state (a restore does not reset them).
 */
export const HartStat = {
  /** run() calls (slices handed to the hart by the machine). */
  runs: 0,
  /** run() calls that ended before their budget (sliceStop: interrupt state, MMIO, WFI, xRET...). */
  sliceStops: 1,
  /** Synchronous exceptions that unwound the interpreter (traps taken by throw). */
  trapsThrown: 2,
  /** Fetch TLB misses (fetchFill). */
  fetchFills: 3,
  /** Load TLB misses that translated (dataPa for a load). */
  loadFills: 4,
  /** Store TLB misses that translated (dataPa for a store). */
  storeFills: 5,
  /** Sv39 page-table walks. */
  pageWalks: 6,
  /** Walks that set A or D bits in a PTE. */
  pteUpdates: 7,
  /** Loads through loadSlow (TLB miss, MMIO, page crossing, watched or hooked pages). */
  loadSlow: 8,
  /** Stores through storeSlow (as loadSlow, plus code-watched and dirty-log pages). */
  storeSlow: 9,
  /** Device register reads and writes by the hart. */
  mmioReads: 10,
  mmioWrites: 11,
  /** Whole-TLB flushes (sfence.vma, satp, PMP, debug hooks, RAM-level drops). */
  tlbFlushes: 12,
  /** Code pages whose decoded slots or translations were dropped because they were written. */
  codePageDrops: 13,
  /** Instructions decoded into the code cache (misses of the decoded-slot cache). */
  decodes: 14,
  /** Instructions executed through execSlot (FP, AMO, CSR, system: everything off the inline path). */
  execSlot: 15,
  /** sfence.vma with an address that dropped only that page's TLB entries. */
  tlbPageFlushes: 16,
} as const;

export type HartStatName = keyof typeof HartStat;
export const HART_STAT_COUNT = 17;
export const HART_STAT_NAMES = Object.keys(HartStat) as HartStatName[];
