/**
 * Region plans (region-compiler.ts) as one flat Int32Array, so a batch can be
 * handed to a compile service's thread (compile-service.ts) as a single
 * transferable buffer: structured-cloning the plans' thousands of small
 * objects cost about as much main-thread time as emitting them.
 *
 * Layout: region count; per region its other-page count and per other page
 * delta, ram; its block count, then per block start, end, transfer (0/1),
 * instruction count and per instruction d, w0, imm, raw. A region's labels are its blocks' starts in order
 * (planRegion assigns them so); a round-trip test checks that the
 * unpacked plans emit the same bytes.
 */
import type { RegionPlan } from './region-compiler.js';

type BlockPlan = RegionPlan['blocks'][number];
type Insn = BlockPlan['insns'][number];

export function packPlans(plans: readonly RegionPlan[]): Int32Array {
  let n = 1;
  for (const p of plans) {
    n += 2 + 2 * p.pages.length + 4 * p.blocks.length + 4 * p.insns;
  }
  const out = new Int32Array(n);
  let k = 0;
  out[k++] = plans.length;
  for (const p of plans) {
    out[k++] = p.pages.length;
    for (const pg of p.pages) { out[k++] = pg.delta; out[k++] = pg.ram; }
    out[k++] = p.blocks.length;
    for (const b of p.blocks) {
      out[k++] = b.start;
      out[k++] = b.end;
      out[k++] = b.transfer ? 1 : 0;
      out[k++] = b.insns.length;
      for (const i of b.insns) {
        out[k++] = i.d;
        out[k++] = i.w0;
        out[k++] = i.imm;
        out[k++] = i.raw;
      }
    }
  }
  if (k !== n) throw new Error('plan-codec: a plan\'s instruction count does not match its blocks');
  return out;
}

export function unpackPlans(a: Int32Array): RegionPlan[] {
  let k = 0;
  const plans: RegionPlan[] = [];
  const count = a[k++];
  for (let r = 0; r < count; r++) {
    const np = a[k++];
    const pages: { delta: number; ram: number }[] = [];
    for (let i = 0; i < np; i++, k += 2) pages.push({ delta: a[k], ram: a[k + 1] });
    const nb = a[k++];
    const blocks: BlockPlan[] = [];
    const labels = new Map<number, number>();
    let total = 0;
    for (let b = 0; b < nb; b++) {
      const start = a[k++], end = a[k++], transfer = a[k++] !== 0, ni = a[k++];
      const insns: Insn[] = [];
      for (let i = 0; i < ni; i++, k += 4) insns.push({ d: a[k], w0: a[k + 1], imm: a[k + 2], raw: a[k + 3] });
      labels.set(start, b);
      blocks.push({ start, insns, transfer, end });
      total += ni;
    }
    plans.push({ blocks, labels, insns: total, pages });
  }
  return plans;
}
