/**
 * Loads a little-endian RISC-V ELF64 image's PT_LOAD segments by physical
 * address, or reports that the bytes are not an ELF (then they are a raw image).
 */
export interface LoadedImage {
  entry: number;
  low: number;
  high: number;
}

export interface ElfSegment {
  paddr: number;
  data: Uint8Array;
  memsz: number;
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 64 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function parseElf(bytes: Uint8Array): { entry: number; segments: ElfSegment[] } {
  if (!isElf(bytes)) throw new Error('not an ELF file');
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error('ELF: only 64-bit little-endian images are supported');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = v.getUint16(18, true);
  if (machine !== 243) throw new Error(`ELF: machine ${machine} is not RISC-V (243)`);
  const u64 = (o: number): number => {
    const n = v.getBigUint64(o, true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`ELF: value at ${o} too large`);
    return Number(n);
  };
  const entry = u64(24);
  const phoff = u64(32);
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  if (phentsize < 56 || phoff + phnum * phentsize > bytes.length) throw new Error('ELF: program headers out of range');
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (v.getUint32(p, true) !== 1) continue; // PT_LOAD
    const offset = u64(p + 8);
    const paddr = u64(p + 24);
    const filesz = u64(p + 32);
    const memsz = u64(p + 40);
    if (offset + filesz > bytes.length || filesz > memsz) throw new Error(`ELF: segment ${i} out of range`);
    segments.push({ paddr, data: bytes.subarray(offset, offset + filesz), memsz });
  }
  return { entry, segments };
}
