import type { CheckpointMeta } from './checkpoint-meta.js';

export interface PrunePolicy {
  /** Keep the N newest checkpoints (by id). */
  keepLast?: number;
  /** Keep the oldest checkpoint of every interval of this length of `timeField`. */
  keepEvery?: number;
  timeField?: 'guestTime' | 'hostTime' | 'instructions';
  /** Ids that are always kept. */
  keep?: number[];
}

/** Ids the policy would remove; everything is kept when the policy names no rule. */
export function selectForRemoval(checkpoints: CheckpointMeta[], policy: PrunePolicy): number[] {
  if (policy.keepLast === undefined && policy.keepEvery === undefined) return [];
  const sorted = [...checkpoints].sort((a, b) => a.id - b.id);
  const kept = new Set<number>(policy.keep ?? []);
  if (policy.keepLast !== undefined) {
    for (const c of sorted.slice(Math.max(0, sorted.length - policy.keepLast))) kept.add(c.id);
  }
  if (policy.keepEvery !== undefined) {
    if (!(policy.keepEvery > 0)) throw new RangeError('keepEvery must be positive');
    const field = policy.timeField ?? 'guestTime';
    const seen = new Set<number>();
    for (const c of [...sorted].sort((a, b) => a[field] - b[field] || a.id - b.id)) {
      const bucket = Math.floor(c[field] / policy.keepEvery);
      if (!seen.has(bucket)) { seen.add(bucket); kept.add(c.id); }
    }
  }
  return sorted.filter((c) => !kept.has(c.id)).map((c) => c.id);
}
