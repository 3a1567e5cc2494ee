/** A machine booting the standard guest from the committed images (tests, benchmarks, scripted sessions). */
import type { VirtMachine, VirtMachineConfig } from '../../src/machine/board/virt-machine.js';
import type { InputSource } from '../../src/machine/input.js';
import type { CmdlineOptions } from '../../src/node/guest-images.js';
import { buildMachine } from '../../src/node/machine-builder.js';

export interface StandardMachineOptions extends CmdlineOptions {
  memoryBytes?: number;
  /** Attach a fresh copy of the standard ext4 disk. */
  disk?: boolean;
  input: InputSource;
  console: (byte: number) => void;
  /** Any other machine configuration (clock, net, ...). */
  machine?: Partial<VirtMachineConfig>;
}

/** Builds the machine through the product's builder; `cleanup` closes the disk and removes its temporary copy. */
export function standardMachine(options: StandardMachineOptions): { machine: VirtMachine; cleanup: () => void } {
  const { input, console, ...spec } = options;
  return buildMachine(spec, { input, console });
}
