import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildVirtDeviceTree } from '../../src/machine/fdt/virt-device-tree.js';
import { findNode, parseFdt, propCells, propString, propStrings, propU32 } from '../../src/machine/fdt/fdt-reader.js';

const dtcMissing = spawnSync('dtc', ['--version']).status !== 0;
if (dtcMissing) console.warn('dtc (device-tree-compiler) is not installed: skipping the dtc decompile test');

const config = {
  memoryBytes: 256 << 20,
  bootargs: 'console=ttyS0 earlycon',
  initrd: { start: 0x88200000, end: 0x882e97fb },
};

describe('virt device tree', () => {
  const tree = parseFdt(buildVirtDeviceTree(config)).root;
  const node = (path: string) => {
    const n = findNode(tree, path);
    if (n === undefined) throw new Error(`missing ${path}`);
    return n;
  };

  it('has the root, chosen and memory nodes', () => {
    expect(propU32(tree, '#address-cells')).toBe(2);
    expect(propU32(tree, '#size-cells')).toBe(2);
    expect(propString(tree, 'compatible')).toBe('riscv-virtio');
    const chosen = node('/chosen');
    expect(propString(chosen, 'bootargs')).toBe('console=ttyS0 earlycon');
    expect(propString(chosen, 'stdout-path')).toBe('/soc/serial@10000000');
    expect(propCells(chosen, 'linux,initrd-start')).toEqual([0, 0x88200000]);
    expect(propCells(chosen, 'linux,initrd-end')).toEqual([0, 0x882e97fb]);
    expect(propCells(node('/memory@80000000'), 'reg')).toEqual([0, 0x80000000, 0, 0x10000000]);
  });

  it('omits initrd and bootargs when not given', () => {
    const t = parseFdt(buildVirtDeviceTree({ memoryBytes: 128 << 20 })).root;
    const chosen = findNode(t, '/chosen')!;
    expect(chosen.props.has('linux,initrd-start')).toBe(false);
    expect(chosen.props.has('bootargs')).toBe(false);
    expect(propCells(findNode(t, '/memory@80000000')!, 'reg')).toEqual([0, 0x80000000, 0, 0x08000000]);
  });

  it('describes the hart and its interrupt controller', () => {
    const cpus = node('/cpus');
    expect(propU32(cpus, 'timebase-frequency')).toBe(10_000_000);
    const cpu = node('/cpus/cpu@0');
    expect(propString(cpu, 'riscv,isa')).toBe('rv64imafdc_zicsr_zifencei');
    expect(propString(cpu, 'mmu-type')).toBe('riscv,sv39');
    const intc = node('/cpus/cpu@0/interrupt-controller');
    expect(propString(intc, 'compatible')).toBe('riscv,cpu-intc');
    expect(intc.props.has('interrupt-controller')).toBe(true);
    const ph = propU32(intc, 'phandle');
    expect(propCells(node('/soc/clint@2000000'), 'interrupts-extended')).toEqual([ph, 3, ph, 7]);
    expect(propCells(node('/soc/plic@c000000'), 'interrupts-extended')).toEqual([ph, 11, ph, 9]);
    expect(propU32(node('/cpus/cpu-map/cluster0/core0'), 'cpu')).toBe(propU32(cpu, 'phandle'));
  });

  it('wires the soc devices to the PLIC', () => {
    const plic = node('/soc/plic@c000000');
    const plicPh = propU32(plic, 'phandle');
    expect(propU32(plic, 'riscv,ndev')).toBe(95);
    expect(propCells(plic, 'reg')).toEqual([0, 0xc000000, 0, 0x600000]);
    const serial = node('/soc/serial@10000000');
    expect(propString(serial, 'compatible')).toBe('ns16550a');
    expect(propU32(serial, 'clock-frequency')).toBe(3686400);
    expect(propU32(serial, 'interrupts')).toBe(10);
    expect(propU32(serial, 'interrupt-parent')).toBe(plicPh);
    const rtc = node('/soc/rtc@101000');
    expect(propString(rtc, 'compatible')).toBe('google,goldfish-rtc');
    expect(propU32(rtc, 'interrupts')).toBe(11);
    const test = node('/soc/test@100000');
    expect(propStrings(test, 'compatible')).toEqual(['sifive,test1', 'sifive,test0', 'syscon']);
    const testPh = propU32(test, 'phandle');
    for (const [path, value] of [['/poweroff', 0x5555], ['/reboot', 0x7777]] as const) {
      const n = node(path);
      expect(propU32(n, 'value')).toBe(value);
      expect(propU32(n, 'offset')).toBe(0);
      expect(propU32(n, 'regmap')).toBe(testPh);
    }
  });

  it('lists the virtio-mmio slots in QEMU order (highest address first)', () => {
    const virtio = node('/soc').children.filter((c) => c.name.startsWith('virtio_mmio@'));
    expect(virtio.map((v) => v.name)).toEqual([8, 7, 6, 5, 4, 3, 2, 1].map((i) => `virtio_mmio@${(0x10000000 + i * 0x1000).toString(16)}`));
    for (const v of virtio) {
      const base = propCells(v, 'reg')[1];
      expect(propU32(v, 'interrupts')).toBe((base - 0x10000000) / 0x1000);
      expect(propCells(v, 'reg')[3]).toBe(0x1000);
      expect(propString(v, 'compatible')).toBe('virtio,mmio');
    }
  });

  it('generates per-hart nodes for more harts', () => {
    const t = parseFdt(buildVirtDeviceTree({ memoryBytes: 256 << 20, harts: 3 })).root;
    const intcs = [0, 1, 2].map((h) => propU32(findNode(t, `/cpus/cpu@${h}/interrupt-controller`)!, 'phandle'));
    expect(new Set(intcs).size).toBe(3);
    expect(propCells(findNode(t, '/soc/clint@2000000')!, 'interrupts-extended')).toEqual(intcs.flatMap((p) => [p, 3, p, 7]));
    expect(propCells(findNode(t, '/soc/plic@c000000')!, 'interrupts-extended')).toEqual(intcs.flatMap((p) => [p, 11, p, 9]));
    expect(findNode(t, '/cpus/cpu-map/cluster0/core2')).toBeDefined();
  });

  it('rejects an initrd outside RAM', () => {
    expect(() => buildVirtDeviceTree({ memoryBytes: 16 << 20, initrd: { start: 0x88200000, end: 0x88300000 } })).toThrow(/initrd/);
  });

  it.skipIf(dtcMissing)('decompiles with dtc -I dtb -O dts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'retrovisor-dt-'));
    try {
      const file = join(dir, 'virt.dtb');
      writeFileSync(file, buildVirtDeviceTree(config));
      const dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      for (const expected of [
        'chosen {',
        'memory@80000000 {',
        'cpu@0 {',
        'riscv,isa = "rv64imafdc_zicsr_zifencei";',
        'clint@2000000 {',
        'plic@c000000 {',
        'serial@10000000 {',
        'test@100000 {',
        'rtc@101000 {',
        'virtio_mmio@10001000 {',
        'virtio_mmio@10008000 {',
        'compatible = "syscon-poweroff";',
        'compatible = "syscon-reboot";',
        'bootargs = "console=ttyS0 earlycon";',
        'timebase-frequency = <0x989680>;',
      ]) {
        expect(dts).toContain(expected);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
