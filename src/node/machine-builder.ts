/**
 * The one builder of a VirtMachine from a machine description: the CLI
 * (after parsing its text), tests and benchmarks all come through here, so
 * "the standard guest" means the same images and command line everywhere.
 */
import { readFileSync } from 'node:fs';
import { VirtMachine, type ClockMode, type VirtMachineConfig } from '../machine/board/virt-machine.js';
import type { InputSource } from '../machine/input.js';
import { NullNetBackend, type NetBackend } from '../machine/virtio/net-backend.js';
import { FileBlockDevice } from './file-block-device.js';
import { guestCmdline, openGuestImages, type CmdlineOptions } from './guest-images.js';

export interface MachineSpec extends CmdlineOptions {
  memoryBytes?: number;
  /** Firmware file; null: none (a bare-metal kernel starts in M-mode); default: the standard OpenSBI. */
  bios?: string | null;
  /** Kernel file (ELF or raw image); default: the standard guest's kernel with its initramfs and command line. */
  kernel?: string;
  initrd?: string;
  /** Disk image files, attached copy-on-write (the files are never written). */
  drives?: string[];
  /** Where the standard guest's images are (default guest/images; a recording's bundle). */
  imagesDir?: string;
  /** Attach a fresh copy of the standard guest's ext4 disk. */
  disk?: boolean;
  clock?: ClockMode;
  /** false: interpret only. */
  translate?: boolean;
  /** Execution engine name (interpreter, js, ...). */
  engine?: string;
  /** Block executions before translation (0: translate everything at first execution). */
  hotThreshold?: number;
  /**
   * virtio-net devices, eth0 first. Without a backend a NIC is a cable to
   * nowhere (what a replay uses: its frames come from the log).
   */
  nics?: Array<{ mac: Uint8Array; backend?: NetBackend }>;
  /** Any other machine configuration (net backends, rng, ...). */
  machine?: Partial<VirtMachineConfig>;
}

export interface MachineIo {
  console: (byte: number) => void;
  input: InputSource;
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Builds the machine; `cleanup` closes its disks and removes temporary copies. */
export function buildMachine(spec: MachineSpec, io: MachineIo): { machine: VirtMachine; cleanup: () => void } {
  const standard = !spec.kernel && spec.bios !== null;
  const images = standard || spec.bios === undefined ? openGuestImages({ disk: spec.disk === true, dir: spec.imagesDir }) : null;
  const bios = spec.bios === null ? null : spec.bios !== undefined ? readBytes(spec.bios, 'firmware') : images!.bios;
  const kernel = spec.kernel ? readBytes(spec.kernel, 'kernel') : images?.kernel;
  if (!kernel) throw new Error('no kernel: give -kernel FILE');
  const initrd = spec.initrd ? readBytes(spec.initrd, 'initrd') : standard ? images?.initrd : undefined;
  const bootargs = standard ? guestCmdline(spec) : spec.append ?? '';
  const drives: FileBlockDevice[] = [];
  const cleanup = (): void => { for (const d of drives) d.close(); images?.cleanup(); };
  try {
    for (const path of spec.drives ?? []) {
      try {
        drives.push(new FileBlockDevice(path));
      } catch (e) {
        throw new Error(`cannot open disk image ${path}: ${(e as Error).message}`);
      }
    }
    if (spec.disk && images?.diskPath) drives.push(new FileBlockDevice(images.diskPath));
    const machine = new VirtMachine({
      memoryBytes: spec.memoryBytes,
      bios,
      kernel,
      initrd,
      bootargs,
      drives,
      clock: spec.clock ?? 'virtual',
      translate: spec.translate,
      engine: spec.engine,
      hotThreshold: spec.hotThreshold,
      nics: spec.nics?.map((n) => ({ mac: n.mac, backend: n.backend ?? new NullNetBackend() })),
      input: io.input,
      console: io.console,
      ...spec.machine,
    });
    return { machine, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
