/**
 * Writer for flattened device trees (DTB version 17). Build a tree of
 * FdtNode objects, then serialise it with FdtBuilder.build().
 */
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_LAST_COMP_VERSION,
  FDT_MAGIC,
  FDT_PROP,
  FDT_VERSION,
} from './fdt-format.js';

const utf8 = new TextEncoder();

export interface FdtProperty {
  readonly name: string;
  readonly value: Uint8Array;
}

export class FdtNode {
  readonly props: FdtProperty[] = [];
  readonly children: FdtNode[] = [];

  constructor(readonly name: string) {
    if (name.includes('/') || name.includes('\0')) throw new Error(`FDT: bad node name ${JSON.stringify(name)}`);
  }

  addNode(name: string): FdtNode {
    if (this.children.some((c) => c.name === name)) throw new Error(`FDT: duplicate node ${name}`);
    const n = new FdtNode(name);
    this.children.push(n);
    return n;
  }

  /** Adds a node built separately (e.g. one whose phandle was needed before its place in the tree). */
  appendChild(node: FdtNode): FdtNode {
    if (this.children.some((c) => c.name === node.name)) throw new Error(`FDT: duplicate node ${node.name}`);
    this.children.push(node);
    return node;
  }

  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** Sets (or replaces) a raw property. */
  bytes(name: string, value: Uint8Array): this {
    if (name.length === 0 || name.includes('\0')) throw new Error(`FDT: bad property name ${JSON.stringify(name)}`);
    const i = this.props.findIndex((p) => p.name === name);
    const prop = { name, value: value.slice() };
    if (i >= 0) this.props[i] = prop;
    else this.props.push(prop);
    return this;
  }

  /** An empty (boolean) property such as `interrupt-controller`. */
  flag(name: string): this {
    return this.bytes(name, new Uint8Array(0));
  }

  u32(name: string, value: number): this {
    return this.cells(name, [value]);
  }

  /** A 64-bit value as two cells (high first). */
  u64(name: string, value: number | bigint): this {
    const [hi, lo] = split64(value);
    return this.cells(name, [hi, lo]);
  }

  /** An array of 32-bit big-endian cells. */
  cells(name: string, values: readonly number[]): this {
    const out = new Uint8Array(values.length * 4);
    const dv = new DataView(out.buffer);
    values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`FDT: cell ${v} of ${name} is not a u32`);
      dv.setUint32(i * 4, v);
    });
    return this.bytes(name, out);
  }

  string(name: string, value: string): this {
    return this.strings(name, [value]);
  }

  /** A list of NUL-terminated strings (e.g. `compatible`). */
  strings(name: string, values: readonly string[]): this {
    const parts = values.map((s) => {
      if (s.includes('\0')) throw new Error(`FDT: string in ${name} contains NUL`);
      return utf8.encode(s);
    });
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length + 1;
    }
    return this.bytes(name, out);
  }
}

/** Two cells for a 64-bit quantity: `<hi lo>`. */
export function split64(value: number | bigint): [number, number] {
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new Error(`FDT: ${value} is not a u64`);
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

export interface FdtReservation {
  readonly address: number | bigint;
  readonly size: number | bigint;
}

export class FdtBuilder {
  readonly root = new FdtNode('');
  readonly reservations: FdtReservation[] = [];
  bootCpuId = 0;
  private nextPhandle = 1;

  addReservation(address: number | bigint, size: number | bigint): void {
    split64(address);
    split64(size);
    this.reservations.push({ address, size });
  }

  /** Gives `node` the next free phandle (or its existing one) and returns it. */
  phandle(node: FdtNode): number {
    const existing = node.props.find((p) => p.name === 'phandle');
    if (existing !== undefined && existing.value.length === 4) {
      return new DataView(existing.value.buffer, existing.value.byteOffset).getUint32(0);
    }
    const h = this.nextPhandle++;
    node.u32('phandle', h);
    return h;
  }

  build(): Uint8Array {
    // Strings block, deduplicated (a name that is a suffix of another is not shared: keep it simple and exact).
    const nameOffsets = new Map<string, number>();
    const stringParts: Uint8Array[] = [];
    let stringsSize = 0;
    const nameOff = (name: string): number => {
      let off = nameOffsets.get(name);
      if (off === undefined) {
        off = stringsSize;
        const enc = utf8.encode(name);
        stringParts.push(enc);
        stringsSize += enc.length + 1;
        nameOffsets.set(name, off);
      }
      return off;
    };

    const struct = new Writer();
    const emit = (node: FdtNode): void => {
      struct.u32(FDT_BEGIN_NODE);
      struct.cstring(utf8.encode(node.name));
      for (const p of node.props) {
        struct.u32(FDT_PROP);
        struct.u32(p.value.length);
        struct.u32(nameOff(p.name));
        struct.raw(p.value);
        struct.align4();
      }
      for (const c of node.children) emit(c);
      struct.u32(FDT_END_NODE);
    };
    emit(this.root);
    struct.u32(FDT_END);
    const structBytes = struct.finish();

    const rsvOff = align(FDT_HEADER_SIZE, 8);
    const rsvSize = (this.reservations.length + 1) * 16;
    const structOff = rsvOff + rsvSize;
    const stringsOff = structOff + structBytes.length;
    const total = stringsOff + stringsSize;

    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, FDT_MAGIC);
    dv.setUint32(4, total);
    dv.setUint32(8, structOff);
    dv.setUint32(12, stringsOff);
    dv.setUint32(16, rsvOff);
    dv.setUint32(20, FDT_VERSION);
    dv.setUint32(24, FDT_LAST_COMP_VERSION);
    dv.setUint32(28, this.bootCpuId);
    dv.setUint32(32, stringsSize);
    dv.setUint32(36, structBytes.length);
    let o = rsvOff;
    for (const r of this.reservations) {
      const [ah, al] = split64(r.address);
      const [sh, sl] = split64(r.size);
      dv.setUint32(o, ah);
      dv.setUint32(o + 4, al);
      dv.setUint32(o + 8, sh);
      dv.setUint32(o + 12, sl);
      o += 16;
    }
    out.set(structBytes, structOff);
    o = stringsOff;
    for (const s of stringParts) {
      out.set(s, o);
      o += s.length + 1;
    }
    return out;
  }
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** A growable big-endian byte buffer. */
class Writer {
  private buf = new Uint8Array(4096);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  u32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, v);
    this.len += 4;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  cstring(bytes: Uint8Array): void {
    this.raw(bytes);
    this.ensure(1);
    this.buf[this.len++] = 0;
    this.align4();
  }

  align4(): void {
    const pad = (4 - (this.len & 3)) & 3;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
