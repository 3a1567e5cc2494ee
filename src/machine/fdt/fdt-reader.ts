/**
 * Validating parser for flattened device trees (DTB versions 16 and 17).
 * Any malformed input yields an FdtError with a message saying what is wrong
 * and where; no other exception escapes.
 */
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_MAGIC,
  FDT_NOP,
  FDT_PROP,
} from './fdt-format.js';

export class FdtError extends Error {
  override name = 'FdtError';
}

export interface FdtTreeNode {
  readonly name: string;
  readonly props: Map<string, Uint8Array>;
  readonly children: FdtTreeNode[];
}

export interface ParsedFdt {
  readonly version: number;
  readonly lastCompVersion: number;
  readonly bootCpuId: number;
  readonly reservations: { address: bigint; size: bigint }[];
  readonly root: FdtTreeNode;
}

const MAX_DEPTH = 256;
const utf8 = new TextDecoder('utf-8');

export function parseFdt(bytes: Uint8Array): ParsedFdt {
  try {
    return parse(bytes);
  } catch (e) {
    if (e instanceof FdtError) throw e;
    // Safety net: report anything unexpected as a malformed tree, never as a crash.
    throw new FdtError(`FDT: malformed device tree (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parse(bytes: Uint8Array): ParsedFdt {
  if (!(bytes instanceof Uint8Array)) throw new FdtError('FDT: input is not a Uint8Array');
  if (bytes.length < FDT_HEADER_SIZE) throw new FdtError(`FDT: ${bytes.length} bytes is too short for a header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0);
  if (magic !== FDT_MAGIC) throw new FdtError(`FDT: bad magic 0x${magic.toString(16)}`);
  const totalSize = dv.getUint32(4);
  const structOff = dv.getUint32(8);
  const stringsOff = dv.getUint32(12);
  const rsvOff = dv.getUint32(16);
  const version = dv.getUint32(20);
  const lastComp = dv.getUint32(24);
  const bootCpuId = dv.getUint32(28);
  const stringsSize = dv.getUint32(32);
  if (version < 16) throw new FdtError(`FDT: version ${version} is too old (need 16 or later)`);
  if (lastComp > 17) throw new FdtError(`FDT: last compatible version ${lastComp} is newer than 17`);
  if (totalSize < FDT_HEADER_SIZE || totalSize > bytes.length) {
    throw new FdtError(`FDT: total size ${totalSize} does not fit the ${bytes.length} bytes given`);
  }
  const structSize = version >= 17 ? dv.getUint32(36) : totalSize - Math.min(structOff, totalSize);
  const headerSize = version >= 17 ? FDT_HEADER_SIZE : 36;

  checkBlock('memory reservation block', rsvOff, 0, headerSize, totalSize, 8);
  checkBlock('structure block', structOff, structSize, headerSize, totalSize, 4);
  checkBlock('strings block', stringsOff, stringsSize, headerSize, totalSize, 1);

  const reservations: { address: bigint; size: bigint }[] = [];
  for (let o = rsvOff; ; o += 16) {
    if (o + 16 > totalSize) throw new FdtError('FDT: memory reservation block is not terminated');
    const address = dv.getBigUint64(o);
    const size = dv.getBigUint64(o + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }

  const structEnd = structOff + structSize;
  const stringsEnd = stringsOff + stringsSize;
  const stack: FdtTreeNode[] = [];
  let root: FdtTreeNode | null = null;
  let p = structOff;
  let ended = false;

  const token = (): number => {
    if (p + 4 > structEnd) throw new FdtError(`FDT: structure block ends inside a token at offset ${p}`);
    const t = dv.getUint32(p);
    p += 4;
    return t;
  };

  while (!ended) {
    const at = p;
    const t = token();
    switch (t) {
      case FDT_NOP:
        break;
      case FDT_BEGIN_NODE: {
        if (root !== null && stack.length === 0) throw new FdtError(`FDT: second root node at offset ${at}`);
        if (stack.length >= MAX_DEPTH) throw new FdtError(`FDT: nodes nested deeper than ${MAX_DEPTH}`);
        const nul = bytes.indexOf(0, p);
        if (nul < 0 || nul >= structEnd) throw new FdtError(`FDT: node name at offset ${p} is not terminated`);
        const name = utf8.decode(bytes.subarray(p, nul));
        p = align4(nul + 1);
        if (p > structEnd) throw new FdtError(`FDT: node name at offset ${at} runs past the structure block`);
        const node: FdtTreeNode = { name, props: new Map(), children: [] };
        if (stack.length === 0) {
          if (name !== '') throw new FdtError(`FDT: root node has a name (${JSON.stringify(name)})`);
          root = node;
        } else {
          if (name === '' || name.includes('/')) throw new FdtError(`FDT: bad node name ${JSON.stringify(name)} at offset ${at}`);
          const parent = stack[stack.length - 1];
          if (parent.children.some((c) => c.name === name)) throw new FdtError(`FDT: duplicate node ${name} at offset ${at}`);
          parent.children.push(node);
        }
        stack.push(node);
        break;
      }
      case FDT_END_NODE:
        if (stack.length === 0) throw new FdtError(`FDT: unbalanced end of node at offset ${at}`);
        stack.pop();
        break;
      case FDT_PROP: {
        if (stack.length === 0) throw new FdtError(`FDT: property outside any node at offset ${at}`);
        const node = stack[stack.length - 1];
        if (node.children.length > 0) throw new FdtError(`FDT: property after a child node at offset ${at}`);
        const len = token();
        const nameOff = token();
        if (len > structEnd - p) throw new FdtError(`FDT: property at offset ${at} (length ${len}) runs past the structure block`);
        if (nameOff >= stringsSize) throw new FdtError(`FDT: property name offset ${nameOff} outside the strings block`);
        const nul = bytes.indexOf(0, stringsOff + nameOff);
        if (nul < 0 || nul >= stringsEnd) throw new FdtError(`FDT: property name at strings offset ${nameOff} is not terminated`);
        const name = utf8.decode(bytes.subarray(stringsOff + nameOff, nul));
        if (name === '') throw new FdtError(`FDT: empty property name at offset ${at}`);
        if (node.props.has(name)) throw new FdtError(`FDT: duplicate property ${name} at offset ${at}`);
        node.props.set(name, bytes.slice(p, p + len));
        p = align4(p + len);
        if (p > structEnd) throw new FdtError(`FDT: property at offset ${at} runs past the structure block`);
        break;
      }
      case FDT_END:
        if (root === null) throw new FdtError('FDT: no root node');
        if (stack.length !== 0) throw new FdtError(`FDT: end of tree at offset ${at} inside an open node`);
        ended = true;
        break;
      default:
        throw new FdtError(`FDT: unknown token 0x${t.toString(16)} at offset ${at}`);
    }
  }
  if (root === null) throw new FdtError('FDT: no root node');
  return { version, lastCompVersion: lastComp, bootCpuId, reservations, root };
}

function checkBlock(what: string, off: number, size: number, headerSize: number, total: number, alignment: number): void {
  if (off % alignment !== 0) throw new FdtError(`FDT: ${what} offset ${off} is not ${alignment}-byte aligned`);
  if (off < headerSize || off > total || size > total - off) {
    throw new FdtError(`FDT: ${what} (offset ${off}, size ${size}) lies outside the tree (size ${total})`);
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The node at an absolute path such as "/soc/serial@10000000", or undefined. */
export function findNode(root: FdtTreeNode, path: string): FdtTreeNode | undefined {
  let node: FdtTreeNode | undefined = root;
  for (const part of path.split('/')) {
    if (part === '') continue;
    node = node.children.find((c) => c.name === part);
    if (node === undefined) return undefined;
  }
  return node;
}

/** Big-endian 32-bit cells of a property. */
export function propCells(node: FdtTreeNode, name: string): number[] {
  const v = node.props.get(name);
  if (v === undefined) throw new FdtError(`FDT: no property ${name} in node ${node.name}`);
  if (v.length % 4 !== 0) throw new FdtError(`FDT: property ${name} is not a cell array`);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 4) out.push(dv.getUint32(i));
  return out;
}

export function propU32(node: FdtTreeNode, name: string): number {
  const c = propCells(node, name);
  if (c.length !== 1) throw new FdtError(`FDT: property ${name} is not a single cell`);
  return c[0];
}

/** NUL-separated string list of a property. */
export function propStrings(node: FdtTreeNode, name: string): string[] {
  const v = node.props.get(name);
  if (v === undefined) throw new FdtError(`FDT: no property ${name} in node ${node.name}`);
  if (v.length === 0 || v[v.length - 1] !== 0) throw new FdtError(`FDT: property ${name} is not a NUL-terminated string list`);
  return utf8.decode(v.subarray(0, v.length - 1)).split('\0');
}

export function propString(node: FdtTreeNode, name: string): string {
  const s = propStrings(node, name);
  if (s.length !== 1) throw new FdtError(`FDT: property ${name} is not a single string`);
  return s[0];
}
