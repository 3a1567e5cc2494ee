/** Instruction counts as users type them in monitor commands: 1500000, 1.5M, 2G, 0x1000. */
export function parseInstret(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  const m = /^(\d+(?:\.\d+)?)([kmg])?$/i.exec(t);
  if (!m) return NaN;
  const mult = { k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}
