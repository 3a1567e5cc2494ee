/**
 * Pacing of an idle guest against the host clock (`--pace`, the default on a
 * terminal or with a live network). Guest time is deterministic: busy time
 * comes from the instruction count and an idle hart skips whole to its next
 * timer deadline, never part of the way (replay repeats exactly that). The
 * pacer only decides how long the host waits before such a skip.
 *
 * Two rules:
 * - guest time never runs ahead of the host clock (counted from `start`);
 * - a guest that is behind the host clock (busy time runs slower than the host
 *   on a slow or loaded machine, and a wait cut short by input does not
 *   advance guest time) catches up at most CATCH_UP times faster than real
 *   time. Without this bound it caught up by skipping idle time at once, so a
 *   timeout (an ARP probe, ping -W, udhcpc -T) expired before a peer on the
 *   network had any host time to answer: two VMs pinging each other on a
 *   loaded host lost every packet.
 */
import { TIMEBASE_HZ } from '../machine/clock.js';

/** Idle guest time passes at most this many times faster than host time while catching up. */
export const CATCH_UP = 2;

const ticksToMs = (ticks: number): number => (ticks / TIMEBASE_HZ) * 1000;

export class IdlePacer {
  private hostStartMs = 0;
  private guestStartMs = 0;
  /** The idle period being waited out: the guest time it began at, and when (host). */
  private idleAtTicks = -1;
  private idleSinceMs = 0;

  constructor(private readonly hostNow: () => number = () => performance.now()) {}

  /** Pacing counts from here: guest time `guestTicks` is host time now. */
  start(guestTicks: number): void {
    this.hostStartMs = this.hostNow();
    this.guestStartMs = ticksToMs(guestTicks);
    this.idleAtTicks = -1;
  }

  /**
   * Host milliseconds to wait before the idle guest at `nowTicks` may skip to
   * `deadlineTicks` (0 or less: skip now). Ask again after waiting (or after
   * input): the same idle period counts the host time already waited.
   */
  waitMs(nowTicks: number, deadlineTicks: number): number {
    const host = this.hostNow();
    if (nowTicks !== this.idleAtTicks) {
      this.idleAtTicks = nowTicks;
      this.idleSinceMs = host;
    }
    const ahead = ticksToMs(deadlineTicks) - this.guestStartMs - (host - this.hostStartMs);
    const catchUp = ticksToMs(deadlineTicks - nowTicks) / CATCH_UP - (host - this.idleSinceMs);
    return Math.max(ahead, catchUp);
  }
}
