/** Parsing of `--checkpoint-every` text. */
import type { CheckpointInterval } from '../checkpoint/checkpoint-schedule.js';

export function parseCheckpointInterval(text: string, ticksPerSecond: number): CheckpointInterval {
  const t = text.trim().toLowerCase();
  const time = /^(\d+(?:\.\d+)?)(ms|s|us)$/.exec(t);
  if (time) {
    const scale = time[2] === 's' ? 1 : time[2] === 'ms' ? 1e-3 : 1e-6;
    const every = Math.round(Number(time[1]) * scale * ticksPerSecond);
    if (!(every > 0)) throw new Error(`--checkpoint-every ${text}: interval too short`);
    return { unit: 'ticks', every };
  }
  const count = /^(\d+(?:\.\d+)?)([kmg]?)$/.exec(t);
  if (count) {
    const every = Math.round(Number(count[1]) * ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[count[2]]);
    if (!(every > 0)) throw new Error(`--checkpoint-every ${text}: interval must be positive`);
    return { unit: 'instructions', every };
  }
  throw new Error(`--checkpoint-every ${text}: expected a guest time (100ms, 1s) or an instruction count (50M)`);
}

