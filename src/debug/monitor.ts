/** Text the monitor commands share between live and recorded targets. */
import { INSTRUCTIONS_PER_TICK, type VirtMachine } from '../machine/board/virt-machine.js';
import { TIMEBASE_HZ } from '../machine/clock.js';

const PRIV = ['U', 'S', '?', 'M'];

export function describeMachine(m: VirtMachine): string {
  const h = m.hart;
  const pc = ((BigInt(h.pcHi >>> 0) << 32n) | BigInt(h.pcLo >>> 0)).toString(16);
  const time = m.clockMode === 'virtual' ? `guest time ${(m.now() / TIMEBASE_HZ).toFixed(6)} s (${m.now()} ticks, ${INSTRUCTIONS_PER_TICK} instructions per tick while busy)` : 'guest time follows the host clock';
  return `instret ${m.instret}, pc 0x${pc}, ${PRIV[h.priv] ?? h.priv}-mode; ${time}`;
}
