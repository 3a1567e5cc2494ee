import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FdtBuilder, FdtNode } from '../../src/machine/fdt/fdt-builder.js';
import { findNode, parseFdt, propCells, propString, propStrings, propU32, type FdtTreeNode } from '../../src/machine/fdt/fdt-reader.js';

interface Shape {
  name: string;
  props: [string, Uint8Array][];
  children: Shape[];
}

function toBuilder(shape: Shape, node: FdtNode): void {
  for (const [k, v] of shape.props) node.bytes(k, v);
  for (const c of shape.children) toBuilder(c, node.addNode(c.name));
}

function fromTree(node: FdtTreeNode): Shape {
  return { name: node.name, props: [...node.props.entries()], children: node.children.map(fromTree) };
}

const nameArb = fc.stringMatching(/^[a-z][a-z0-9,._+#@-]{0,20}$/);

const propsArb = fc.uniqueArray(fc.tuple(nameArb, fc.uint8Array({ maxLength: 24 })), { selector: (p) => p[0], maxLength: 5 });

const shapeArb: fc.Memo<Shape> = fc.memo((depth) =>
  fc.record({
    name: nameArb,
    props: propsArb,
    children: depth <= 1 ? fc.constant([]) : fc.uniqueArray(shapeArb(depth - 1), { selector: (c) => c.name, maxLength: 3 }),
  }),
);

describe('FDT builder and reader', () => {
  it('round-trips typed properties, phandles and reservations', () => {
    const fdt = new FdtBuilder();
    fdt.addReservation(0x8000_0000, 0x1000);
    fdt.addReservation(0x1_0000_0000n, 0xffff_ffff_0000n);
    fdt.bootCpuId = 3;
    const r = fdt.root;
    r.u32('#address-cells', 2).u64('big', 0x1234_5678_9abc_def0n).string('model', 'test').strings('compatible', ['a', 'b,c']);
    const a = r.addNode('a@10');
    a.cells('reg', [0, 0x10, 0, 0x20]).flag('empty').bytes('raw', Uint8Array.of(1, 2, 3));
    const b = a.addNode('b');
    const ph = fdt.phandle(b);
    expect(fdt.phandle(b)).toBe(ph);
    r.u32('ref', ph);
    // Re-setting a property replaces it.
    r.string('model', 'final');

    const parsed = parseFdt(fdt.build());
    expect(parsed.version).toBe(17);
    expect(parsed.bootCpuId).toBe(3);
    expect(parsed.reservations).toEqual([
      { address: 0x8000_0000n, size: 0x1000n },
      { address: 0x1_0000_0000n, size: 0xffff_ffff_0000n },
    ]);
    expect(propU32(parsed.root, '#address-cells')).toBe(2);
    expect(propCells(parsed.root, 'big')).toEqual([0x1234_5678, 0x9abc_def0]);
    expect(propString(parsed.root, 'model')).toBe('final');
    expect(propStrings(parsed.root, 'compatible')).toEqual(['a', 'b,c']);
    const pa = findNode(parsed.root, '/a@10');
    expect(pa).toBeDefined();
    expect(propCells(pa!, 'reg')).toEqual([0, 0x10, 0, 0x20]);
    expect(pa!.props.get('empty')).toEqual(new Uint8Array(0));
    expect(pa!.props.get('raw')).toEqual(Uint8Array.of(1, 2, 3));
    expect(propU32(findNode(parsed.root, '/a@10/b')!, 'phandle')).toBe(ph);
    expect(propU32(parsed.root, 'ref')).toBe(ph);
  });

  it('deduplicates property names in the strings block', () => {
    const fdt = new FdtBuilder();
    for (let i = 0; i < 50; i++) fdt.root.addNode(`n${i}`).u32('same-name', i);
    const dtb = fdt.build();
    const stringsSize = new DataView(dtb.buffer).getUint32(32);
    expect(stringsSize).toBe('same-name'.length + 1);
  });

  it('rejects bad names and values', () => {
    const n = new FdtBuilder().root;
    expect(() => n.addNode('a/b')).toThrow(Error);
    n.addNode('x');
    expect(() => n.addNode('x')).toThrow(/duplicate/);
    expect(() => n.cells('c', [-1])).toThrow(/u32/);
    expect(() => n.u64('c', -1n)).toThrow(/u64/);
    expect(() => n.string('s', 'a\0b')).toThrow(/NUL/);
  });

  it('property: any tree survives build -> parse', () => {
    fc.assert(
      fc.property(shapeArb(4), (shape) => {
        const fdt = new FdtBuilder();
        toBuilder({ ...shape, name: '' }, fdt.root);
        const parsed = parseFdt(fdt.build());
        expect(fromTree(parsed.root)).toEqual({ ...shape, name: '' });
      }),
      { numRuns: 300 },
    );
  });
});
