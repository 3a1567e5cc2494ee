/**
 * Where a particular Linux kernel keeps its page allocator's state: symbol
 * addresses and structure offsets, extracted when the kernel is built
 * (guest/build.sh, step `layout`, from the debug build's DWARF) into a small
 * JSON file committed beside the image (guest/images/linux-layout.json).
 * The file names the Image it describes by hash: a layout is only ever
 * applied to that kernel.
 */

export interface LinuxLayout {
  readonly format: 1;
  /** sha256 of the uncompressed Image these offsets belong to. */
  readonly image: string;
  readonly release: string;
  /** Kernel virtual addresses (hex strings in the file, bigints here). */
  readonly symbols: {
    /** `struct page *mem_map` (FLATMEM): pfn_to_page(pfn) = mem_map + (pfn - riscv_pfn_base). */
    readonly mem_map: bigint;
    /** `unsigned long riscv_pfn_base` (ARCH_PFN_OFFSET): the page frame `mem_map[0]` describes. */
    readonly riscv_pfn_base: bigint;
    /** `struct pglist_data contig_page_data` (no NUMA: the only node). */
    readonly contig_page_data: bigint;
    /** `enum system_states system_state`. */
    readonly system_state: bigint;
  };
  readonly page: { readonly size: number; readonly private: number; readonly page_type: number };
  readonly pglist_data: { readonly node_zones: number; readonly node_start_pfn: number; readonly node_spanned_pages: number };
  /**
   * `lock_kind` "ticket": the generic ticket spinlock (asm-generic/spinlock.h), a 32-bit word whose
   * halves are the next ticket (high) and the owner (low): held while they differ.
   */
  readonly zone: { readonly size: number; readonly lock: number; readonly lock_size: number; readonly lock_kind: 'ticket'; readonly free_area: number };
  readonly free_area: { readonly size: number; readonly nr_free: number };
  readonly constants: {
    readonly MAX_NR_ZONES: number;
    readonly MAX_ORDER: number;
    readonly PAGE_TYPE_BASE: number;
    readonly PG_buddy: number;
    readonly SYSTEM_RUNNING: number;
  };
}

/** Parses and checks a layout file's JSON; throws Error naming the first bad field. */
export function parseLinuxLayout(json: unknown): LinuxLayout {
  const o = json as Record<string, Record<string, unknown>>;
  const fail = (what: string): never => { throw new Error(`linux layout: bad or missing ${what}`); };
  if (typeof o !== 'object' || o === null || (o as Record<string, unknown>).format !== 1) fail('format (want 1)');
  const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : fail(what));
  const num = (sect: string, key: string, max = 1 << 20): number => {
    const v = o[sect]?.[key];
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : fail(`${sect}.${key}`);
  };
  const addr = (key: string): bigint => {
    const v = o.symbols?.[key];
    return typeof v === 'string' && /^0x[0-9a-f]{1,16}$/.test(v) ? BigInt(v) : fail(`symbols.${key}`);
  };
  const image = str((o as Record<string, unknown>).image, 'image');
  if (!/^[0-9a-f]{64}$/.test(image)) fail('image (sha256)');
  const layout: LinuxLayout = {
    format: 1,
    image,
    release: str((o as Record<string, unknown>).release, 'release'),
    symbols: { mem_map: addr('mem_map'), riscv_pfn_base: addr('riscv_pfn_base'), contig_page_data: addr('contig_page_data'), system_state: addr('system_state') },
    page: { size: num('page', 'size', 4096), private: num('page', 'private', 4096), page_type: num('page', 'page_type', 4096) },
    pglist_data: { node_zones: num('pglist_data', 'node_zones'), node_start_pfn: num('pglist_data', 'node_start_pfn'), node_spanned_pages: num('pglist_data', 'node_spanned_pages') },
    zone: { size: num('zone', 'size'), lock: num('zone', 'lock'), lock_size: num('zone', 'lock_size', 8), lock_kind: o.zone?.lock_kind === 'ticket' ? 'ticket' : fail('zone.lock_kind (want "ticket")'), free_area: num('zone', 'free_area') },
    free_area: { size: num('free_area', 'size', 4096), nr_free: num('free_area', 'nr_free', 4096) },
    constants: {
      MAX_NR_ZONES: num('constants', 'MAX_NR_ZONES', 8),
      MAX_ORDER: num('constants', 'MAX_ORDER', 20),
      PAGE_TYPE_BASE: num('constants', 'PAGE_TYPE_BASE', 0xffffffff),
      PG_buddy: num('constants', 'PG_buddy', 0xffffffff),
      SYSTEM_RUNNING: num('constants', 'SYSTEM_RUNNING', 64),
    },
  };
  const { page, zone, free_area: fa } = layout;
  if (page.size < 8 || page.private + 8 > page.size || page.page_type + 4 > page.size) fail('page offsets');
  if (zone.lock_size !== 4) fail('zone.lock_size (a ticket lock is 4 bytes)');
  if (zone.lock + zone.lock_size > zone.size || zone.free_area + fa.size * layout.constants.MAX_ORDER > zone.size) fail('zone offsets');
  if (fa.nr_free + 8 > fa.size) fail('free_area offsets');
  return layout;
}
