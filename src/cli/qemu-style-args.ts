/**
 * QEMU habits on the command line: single-dash long options (`-kernel F`,
 * `-m 256M`, `-drive file=F`, `-nic user`) are rewritten to the double-dash form commander
 * parses.
 */
const SINGLE_DASH = new Set(['m', 'kernel', 'initrd', 'append', 'bios', 'drive', 'nographic', 'nic', 'netdev', 'device', 'gdb']);

export function normalizeQemuArgs(argv: readonly string[]): string[] {
  return argv.map((a) => {
    const m = /^-([a-z]+)$/.exec(a);
    if (m && SINGLE_DASH.has(m[1])) return `--${m[1]}`;
    return a;
  });
}

/** `-m` accepts QEMU's forms: 256, 256M, 1G (plain numbers are MiB). */
export function parseMemorySize(text: string): number {
  const m = /^(\d+)([MmGg])?[Bb]?$/.exec(text.trim());
  if (!m) throw new Error(`bad memory size "${text}" (use e.g. 256M or 1G)`);
  const n = Number(m[1]);
  const mib = m[2] === 'G' || m[2] === 'g' ? n * 1024 : n;
  return mib * 1024 * 1024;
}

/** `-drive file=PATH[,format=raw][,if=virtio]` or a bare path. */
export function parseDrive(text: string): string {
  if (!text.includes('=')) return text;
  let file: string | undefined;
  for (const part of text.split(',')) {
    const [k, v] = part.split('=', 2);
    if (k === 'file') file = v;
    else if (k === 'format' && v !== 'raw') throw new Error(`-drive: only format=raw is supported (got ${v})`);
    else if (k === 'if' && v !== 'virtio' && v !== 'none') throw new Error(`-drive: only if=virtio is supported (got ${v})`);
  }
  if (!file) throw new Error(`-drive needs file=PATH (got "${text}")`);
  return file;
}

/** Instruction counts like 50M, 2G, 1000. */
export function parseCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KkMmGg])?$/.exec(text.trim());
  if (!m) throw new Error(`bad count "${text}"`);
  const mult = { k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

/** `-device` specs naming the balloon (QEMU's spellings; free page reporting is always offered). */
export function isBalloonDevice(text: string): boolean {
  const name = text.split(',', 1)[0];
  return name === 'virtio-balloon-device' || name === 'virtio-balloon' || name === 'virtio-balloon-pci';
}
