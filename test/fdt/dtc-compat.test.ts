import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findNode, parseFdt, propCells, propString, propStrings, propU32 } from '../../src/machine/fdt/fdt-reader.js';

const dtcMissing = spawnSync('dtc', ['--version']).status !== 0;
if (dtcMissing) console.warn('dtc (device-tree-compiler) is not installed: skipping the dtc compatibility test');

const source = `/dts-v1/;
/memreserve/ 0x80000000 0x200000;
/ {
  #address-cells = <2>;
  #size-cells = <2>;
  compatible = "a,b", "c";
  node@1 {
    reg = <0x0 0x1 0x0 0x10>;
    label: inner { flag; bytes = [01 02 03]; };
  };
  other { ref = <&label>; };
};
`;

describe('reader on trees written by dtc', () => {
  it.skipIf(dtcMissing)('parses a dtc-compiled blob', () => {
    const dtb = execFileSync('dtc', ['-I', 'dts', '-O', 'dtb', '-@'], { input: source, stdio: ['pipe', 'pipe', 'pipe'] });
    const fdt = parseFdt(new Uint8Array(dtb));
    expect(fdt.reservations).toEqual([{ address: 0x80000000n, size: 0x200000n }]);
    expect(propStrings(fdt.root, 'compatible')).toEqual(['a,b', 'c']);
    expect(propCells(findNode(fdt.root, '/node@1')!, 'reg')).toEqual([0, 1, 0, 0x10]);
    const inner = findNode(fdt.root, '/node@1/inner')!;
    expect(inner.props.get('bytes')).toEqual(Uint8Array.of(1, 2, 3));
    expect(propU32(findNode(fdt.root, '/other')!, 'ref')).toBe(propU32(inner, 'phandle'));
    expect(propString(findNode(fdt.root, '/__symbols__')!, 'label')).toBe('/node@1/inner');
  });
});
