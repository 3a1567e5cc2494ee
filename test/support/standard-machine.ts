/** A machine booting the standard guest from the committed images (tests, benchmarks, scripted sessions). */
import type { VirtMachine, VirtMachineConfig } from '../../src/machine/board/virt-machine.js';
import type { InputSource } from '../../src/machine/input.js';
import { buildMachine, type MachineSpec } from '../../src/node/machine-builder.js';

/** A machine description for the product's builder (memory, disk, initrd, engine, ...) plus the console. */
export interface StandardMachineOptions extends MachineSpec {
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
