// Differential test: the same scripted shell session on Retrovisor and on QEMU
// (the reference machine, same images) must print the same thing.
import { afterAll, describe, expect, it } from 'vitest';
import { GuestSession } from '../support/guest-session.js';
import { READY_MARKER, CURSOR_QUERY } from '../../src/node/guest-images.js';
import { bootQemu, type QemuGuest } from '../support/qemu.js';

const PROMPT = 'retrovisor:~# ';
// Typed as __E""ND__ so the echoed command line does not contain the marker itself.
const END = '__END__';
const typed = (cmd: string): string => `${cmd}; echo __E""ND__`;

const SESSION = [
  'echo hello $((6*7)) $((0x7fffffff * 3)) $((-17 / 5)) $((-17 % 5))',
  'uname -srm',
  'ls -l /bin | head -4',
  'md5sum /bin/busybox',
  'seq 1 2000 | sha256sum',
  "awk 'BEGIN { x = 1; for (i = 0; i < 40; i++) x = x * 1.07 + 0.3; printf \"%.10e %d %.4f\\n\", x, x, 1 / 3 }'",
  '/workloads/compute 2 32',
  'cat /proc/cmdline',
  'ls /dev | head -12',
];


/** Splits a raw console transcript into each command's output (same cleaning for both machines). */
function outputs(raw: string): string[] {
  // the tty wraps long echoed lines with "\r\r\n"; busybox asks for the cursor position before prompts
  const text = raw.replace(CURSOR_QUERY, '').replace(/\r\r\n/g, '').replace(/\r\n/g, '\n');
  const result: string[] = [];
  let at = text.indexOf(PROMPT);
  for (;;) {
    const typedAt = text.indexOf('__E""ND__\n', at);
    if (typedAt < 0) break;
    const start = typedAt + '__E""ND__\n'.length;
    const end = text.indexOf(END + '\n', start);
    if (end < 0) break;
    result.push(text.slice(start, end).replace(/\n$/, ''));
    at = end + END.length;
  }
  return result;
}

describe('differential: Retrovisor vs QEMU', () => {
  let qemu: QemuGuest | undefined;
  afterAll(async () => { await qemu?.kill(); });

  it('prints the same output for the same session', async () => {
    let ourRaw = '';
    const s = new GuestSession({ onOutput: (t) => { ourRaw += t; } });
    try {
      s.runUntil(READY_MARKER, 300_000_000);
      s.runUntil(PROMPT);
      for (const cmd of SESSION) {
        s.type(typed(cmd) + '\n');
        s.runUntil(END + '\r\n', 2_000_000_000);
        s.runUntil(PROMPT);
      }
    } finally {
      s.close();
    }

    qemu = bootQemu();
    const ready = await qemu.waitFor(READY_MARKER, { timeoutMs: 60_000 });
    let from = (await qemu.waitFor(PROMPT, { from: ready.end, timeoutMs: 30_000 })).end;
    for (const cmd of SESSION) {
      qemu.write(typed(cmd) + '\n');
      const hit = await qemu.waitFor(END + '\n', { from, timeoutMs: 60_000 });
      from = (await qemu.waitFor(PROMPT, { from: hit.end, timeoutMs: 30_000 })).end;
    }

    const ours = outputs(ourRaw);
    const theirs = outputs(qemu.rawOutput());
    expect(ours).toHaveLength(SESSION.length);
    expect(ours[0]).toContain('hello 42 6442450941 -3 -2');
    expect(ours[6]).toMatch(/checksum=[0-9a-f]{16}/);
    for (let i = 0; i < SESSION.length; i++) expect({ cmd: SESSION[i], out: ours[i] }).toEqual({ cmd: SESSION[i], out: theirs[i] });
  }, 300_000);
});
