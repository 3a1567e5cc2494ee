/**
 * The one idle-skip rule of recording and replay. In the virtual clock a hart
 * waiting in WFI with nothing pending jumps straight to its next timer
 * deadline; when a guest-time checkpoint falls due first, the jump stops at
 * the checkpoint's time (and the checkpoint is taken there, the hart still
 * waiting). The recorder's schedule (CheckpointSchedule.skipLimit) bounds its
 * skips with it; the replayer, meeting that checkpoint's marker in the log,
 * applies the same rule with the marker's time as the bound, so both make the
 * same partial skip. Time never moves backwards.
 */
export function idleSkipTarget(now: number, deadline: number, bound: number): number {
  return Math.min(deadline, Math.max(bound, now));
}
