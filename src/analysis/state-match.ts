/**
 * Does a machine hold exactly the state of a repository checkpoint? The
 * machine's fingerprint (registers, RAM per region, each device) is taken,
 * the checkpoint is restored into the same machine, and the fingerprints
 * are compared; the answer names the first registers, RAM region or device
 * that differ. (Restoring is what the next interval does anyway, and it
 * needs no second machine.)
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { restoreMachine } from '../checkpoint/restore-machine.js';
import type { Repository } from '../store/repository.js';
import { ARCH_WORDS, captureArch, diffArch, hashArch } from '../replay/arch-state.js';
import { componentNames, hashDevices } from '../replay/device-hash.js';
import { firstDifferingRegion, hashRam, type RamHash } from '../replay/ram-hash.js';

interface Fingerprint { arch: Int32Array; ram: RamHash; devices: Uint32Array }

function fingerprint(m: VirtMachine): Fingerprint {
  const arch = new Int32Array(ARCH_WORDS);
  captureArch(m, arch);
  return { arch, ram: hashRam(m.ram), devices: hashDevices(m) };
}

/** null when the machine is in checkpoint `id`'s state, else what differs. The machine holds the checkpoint afterwards. */
export function compareWithCheckpoint(m: VirtMachine, repo: Repository, id: number): string | null {
  const replayed = fingerprint(m);
  restoreMachine(m, repo, id);
  const stored = fingerprint(m);
  const problems: string[] = [];
  if (hashArch(replayed.arch) !== hashArch(stored.arch)) {
    problems.push(`registers differ: ${diffArch(stored.arch, replayed.arch).join('; ').replaceAll('recorded', 'checkpoint').replaceAll('replayed', 'replay')}`);
  }
  if (replayed.ram.hash !== stored.ram.hash) {
    const region = firstDifferingRegion(stored.ram, replayed.ram, m.ram.base);
    problems.push(`RAM differs, first in the 1 MiB region at 0x${region.toString(16)}`);
  }
  const names = componentNames(m);
  for (let i = 0; i < Math.max(replayed.devices.length, stored.devices.length); i++) {
    if (replayed.devices[i] !== stored.devices[i]) { problems.push(`${names[i] ?? `component ${i}`} state differs`); break; }
  }
  return problems.length ? problems.join('; ') : null;
}
