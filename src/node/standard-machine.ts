/** A machine booting the standard guest from the committed images (tests, benchmarks, scripted sessions). */
import { VirtMachine, type VirtMachineConfig } from '../machine/board/virt-machine.js';
import type { InputSource } from '../machine/input.js';
import { FileBlockDevice } from './file-block-device.js';
import { guestCmdline, loadGuestImages, type CmdlineOptions } from './guest-images.js';

export interface StandardMachineOptions extends CmdlineOptions {
  memoryBytes?: number;
  /** Attach a fresh copy of the standard ext4 disk. */
  disk?: boolean;
  input: InputSource;
  console: (byte: number) => void;
  /** Any other machine configuration (clock, net, ...). */
  machine?: Partial<VirtMachineConfig>;
}

/** Builds the machine; `cleanup` closes the disk and removes its temporary copy. */
export function standardMachine(options: StandardMachineOptions): { machine: VirtMachine; cleanup: () => void } {
  const images = loadGuestImages({ disk: options.disk === true });
  const drives = images.diskPath ? [new FileBlockDevice(images.diskPath)] : [];
  const machine = new VirtMachine({
    memoryBytes: options.memoryBytes,
    bios: images.bios,
    kernel: images.kernel,
    initrd: images.initrd,
    bootargs: guestCmdline(options),
    drives,
    input: options.input,
    console: options.console,
    ...options.machine,
  });
  return { machine, cleanup: () => { for (const d of drives) d.close(); images.cleanup(); } };
}
