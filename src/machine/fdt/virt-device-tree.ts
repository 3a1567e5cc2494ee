/**
 * The device tree of our virt board, modelled on the one QEMU 7.2 generates
 * (see /work/shared/reference/qemu-virt-7.2.dts) minus the devices we do not
 * emulate (PCI, flash, fw-cfg, platform bus, PMU). Node order follows QEMU's:
 * Linux numbers virtio devices in tree order, and QEMU lists the virtio-mmio
 * slots from the highest address down.
 */
import { FdtBuilder, FdtNode, split64 } from './fdt-builder.js';
import { TIMEBASE_HZ, MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP } from '../clock.js';
import {
  VIRT_CLINT_BASE,
  VIRT_CLINT_SIZE,
  VIRT_DRAM_BASE,
  VIRT_PLIC_BASE,
  VIRT_PLIC_NDEV,
  VIRT_PLIC_SIZE,
  VIRT_RTC_BASE,
  VIRT_RTC_IRQ,
  VIRT_RTC_SIZE,
  VIRT_TEST_BASE,
  VIRT_TEST_SIZE,
  VIRT_UART0_BASE,
  VIRT_UART0_IRQ,
  VIRT_UART0_SIZE,
  VIRT_UART_CLOCK_HZ,
  VIRT_VIRTIO_COUNT,
  VIRT_VIRTIO_IRQ,
  VIRT_VIRTIO_SIZE,
  virtioSlotBase,
} from '../devices/virt-map.js';

export const VIRT_MODEL = 'retrovisor,virt';
export const VIRT_ISA = 'rv64imafdc_zicsr_zifencei';
export const VIRT_MMU_TYPE = 'riscv,sv39';

export interface VirtDeviceTreeConfig {
  /** RAM size in bytes (RAM starts at 0x80000000). */
  readonly memoryBytes: number;
  readonly bootargs?: string;
  /** Physical address range [start, end) of the initrd in RAM. */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** Number of harts (default 1). */
  readonly harts?: number;
  /** Optional /chosen/rng-seed bytes (the board should take them from InputPort.entropy). */
  readonly rngSeed?: Uint8Array;
  /** Model string (default "retrovisor,virt"). */
  readonly model?: string;
}

export function buildVirtDeviceTree(config: VirtDeviceTreeConfig): Uint8Array {
  const harts = config.harts ?? 1;
  if (!Number.isInteger(harts) || harts < 1 || harts > 64) throw new Error(`virt DT: unsupported hart count ${harts}`);
  if (!Number.isInteger(config.memoryBytes) || config.memoryBytes <= 0) throw new Error(`virt DT: bad memory size ${config.memoryBytes}`);

  const fdt = new FdtBuilder();
  const root = fdt.root;
  root.u32('#address-cells', 2).u32('#size-cells', 2);
  root.string('compatible', 'riscv-virtio');
  root.string('model', config.model ?? VIRT_MODEL);

  const chosen = root.addNode('chosen');
  if (config.initrd !== undefined) {
    const { start, end } = config.initrd;
    if (!(end >= start && start >= VIRT_DRAM_BASE && end <= VIRT_DRAM_BASE + config.memoryBytes)) {
      throw new Error(`virt DT: initrd [0x${start.toString(16)}, 0x${end.toString(16)}) is not inside RAM`);
    }
    chosen.u64('linux,initrd-end', end);
    chosen.u64('linux,initrd-start', start);
  }
  if (config.rngSeed !== undefined) chosen.bytes('rng-seed', config.rngSeed);
  if (config.bootargs !== undefined) chosen.string('bootargs', config.bootargs);
  chosen.string('stdout-path', `/soc/serial@${hex(VIRT_UART0_BASE)}`);

  // Created now so that the syscon nodes can point at the test device's phandle;
  // the phandles are assigned below in QEMU's order (cpus, intcs, plic, test).
  const poweroff = root.addNode('poweroff');
  const reboot = root.addNode('reboot');

  const memory = root.addNode(`memory@${hex(VIRT_DRAM_BASE)}`);
  memory.string('device_type', 'memory');
  memory.cells('reg', [...split64(VIRT_DRAM_BASE), ...split64(config.memoryBytes)]);

  const cpus = root.addNode('cpus');
  cpus.u32('#address-cells', 1).u32('#size-cells', 0);
  cpus.u32('timebase-frequency', TIMEBASE_HZ);
  const cpuPhandles: number[] = [];
  const intcPhandles: number[] = [];
  for (let h = 0; h < harts; h++) {
    const cpu = cpus.addNode(`cpu@${h}`);
    cpuPhandles.push(fdt.phandle(cpu));
    cpu.string('device_type', 'cpu');
    cpu.u32('reg', h);
    cpu.string('status', 'okay');
    cpu.string('compatible', 'riscv');
    cpu.string('riscv,isa', VIRT_ISA);
    cpu.string('mmu-type', VIRT_MMU_TYPE);
    const intc = cpu.addNode('interrupt-controller');
    intc.u32('#interrupt-cells', 1);
    intc.flag('interrupt-controller');
    intc.string('compatible', 'riscv,cpu-intc');
    intcPhandles.push(fdt.phandle(intc));
  }
  const cluster = cpus.addNode('cpu-map').addNode('cluster0');
  for (let h = 0; h < harts; h++) cluster.addNode(`core${h}`).u32('cpu', cpuPhandles[h]);

  const soc = root.addNode('soc');
  soc.u32('#address-cells', 2).u32('#size-cells', 2);
  soc.string('compatible', 'simple-bus');
  soc.flag('ranges');

  // Phandles before use, in QEMU's order: plic, then test.
  const plicNode = new FdtNode(`plic@${hex(VIRT_PLIC_BASE)}`);
  const plicPhandle = fdt.phandle(plicNode);
  const testNode = new FdtNode(`test@${hex(VIRT_TEST_BASE)}`);
  const testPhandle = fdt.phandle(testNode);

  for (const [node, value] of [[poweroff, 0x5555], [reboot, 0x7777]] as const) {
    node.u32('value', value);
    node.u32('offset', 0);
    node.u32('regmap', testPhandle);
    node.string('compatible', node === poweroff ? 'syscon-poweroff' : 'syscon-reboot');
  }

  const rtc = soc.addNode(`rtc@${hex(VIRT_RTC_BASE)}`);
  rtc.u32('interrupts', VIRT_RTC_IRQ);
  rtc.u32('interrupt-parent', plicPhandle);
  rtc.cells('reg', reg(VIRT_RTC_BASE, VIRT_RTC_SIZE));
  rtc.string('compatible', 'google,goldfish-rtc');

  const serial = soc.addNode(`serial@${hex(VIRT_UART0_BASE)}`);
  serial.u32('interrupts', VIRT_UART0_IRQ);
  serial.u32('interrupt-parent', plicPhandle);
  serial.u32('clock-frequency', VIRT_UART_CLOCK_HZ);
  serial.cells('reg', reg(VIRT_UART0_BASE, VIRT_UART0_SIZE));
  serial.string('compatible', 'ns16550a');

  testNode.cells('reg', reg(VIRT_TEST_BASE, VIRT_TEST_SIZE));
  testNode.strings('compatible', ['sifive,test1', 'sifive,test0', 'syscon']);
  soc.appendChild(testNode);

  for (let slot = VIRT_VIRTIO_COUNT - 1; slot >= 0; slot--) {
    const base = virtioSlotBase(slot);
    const v = soc.addNode(`virtio_mmio@${hex(base)}`);
    v.u32('interrupts', VIRT_VIRTIO_IRQ + slot);
    v.u32('interrupt-parent', plicPhandle);
    v.cells('reg', reg(base, VIRT_VIRTIO_SIZE));
    v.string('compatible', 'virtio,mmio');
  }

  plicNode.u32('riscv,ndev', VIRT_PLIC_NDEV);
  plicNode.cells('reg', reg(VIRT_PLIC_BASE, VIRT_PLIC_SIZE));
  plicNode.cells('interrupts-extended', intcPhandles.flatMap((ph) => [ph, MIP_MEIP, ph, MIP_SEIP]));
  plicNode.flag('interrupt-controller');
  plicNode.strings('compatible', ['sifive,plic-1.0.0', 'riscv,plic0']);
  plicNode.u32('#address-cells', 0);
  plicNode.u32('#interrupt-cells', 1);
  soc.appendChild(plicNode);

  const clint = soc.addNode(`clint@${hex(VIRT_CLINT_BASE)}`);
  clint.cells('interrupts-extended', intcPhandles.flatMap((ph) => [ph, MIP_MSIP, ph, MIP_MTIP]));
  clint.cells('reg', reg(VIRT_CLINT_BASE, VIRT_CLINT_SIZE));
  clint.strings('compatible', ['sifive,clint0', 'riscv,clint0']);

  return fdt.build();
}

function reg(base: number, size: number): number[] {
  return [...split64(base), ...split64(size)];
}

function hex(n: number): string {
  return n.toString(16);
}
