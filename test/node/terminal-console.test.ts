// Console escapes: Ctrl-A x quits, Ctrl-A s checkpoints, Ctrl-A Ctrl-A sends Ctrl-A; pipes pass bytes through untouched.
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TerminalConsole, type EscapeCommand } from '../../src/node/terminal-console.js';

function fakeTty(isTTY: boolean): NodeJS.ReadStream {
  const s = new PassThrough() as unknown as NodeJS.ReadStream & { isRaw: boolean };
  Object.assign(s, { isTTY, isRaw: false, setRawMode(v: boolean) { s.isRaw = v; return s; } });
  return s;
}

function harness(isTTY: boolean) {
  const stdin = fakeTty(isTTY);
  const written: Buffer[] = [];
  const stdout = new Writable({ write(chunk: Buffer, _e, cb) { written.push(chunk); cb(); } }) as unknown as NodeJS.WriteStream;
  const input: number[] = [];
  const escapes: EscapeCommand[] = [];
  let ended = false;
  const term = new TerminalConsole({ input: (b) => input.push(...b), escape: (c) => escapes.push(c), end: () => { ended = true; } }, stdin, stdout);
  const feed = (bytes: number[]) => (stdin as unknown as PassThrough).write(Buffer.from(bytes));
  return { term, stdin, feed, input, escapes, written, isEnded: () => ended };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('terminal console', () => {
  it('interprets Ctrl-A escapes on a terminal and puts it in raw mode', async () => {
    const h = harness(true);
    expect((h.stdin as unknown as { isRaw: boolean }).isRaw).toBe(true);
    h.feed([0x61, 0x01, 0x73, 0x62, 0x01, 0x01, 0x03, 0x01, 0x68, 0x01, 0x78, 0x63]);
    await tick();
    expect(h.input).toEqual([0x61, 0x62, 0x01, 0x03]); // "a", "b", a literal Ctrl-A, Ctrl-C to the guest
    expect(h.escapes).toEqual(['checkpoint', 'help', 'quit']); // bytes after Ctrl-A x are not delivered
    h.term.close();
    expect((h.stdin as unknown as { isRaw: boolean }).isRaw).toBe(false);
  });

  it('passes piped bytes through untouched and reports the end of input', async () => {
    const h = harness(false);
    h.feed([0x01, 0x78, 0x0a]);
    (h.stdin as unknown as PassThrough).end();
    await tick();
    await tick();
    expect(h.input).toEqual([0x01, 0x78, 0x0a]);
    expect(h.escapes).toEqual([]);
    expect(h.isEnded()).toBe(true);
  });

  it('buffers guest output until flush', () => {
    const h = harness(false);
    for (const c of 'hello') h.term.write(c.charCodeAt(0));
    expect(h.written).toHaveLength(0);
    h.term.flush();
    expect(Buffer.concat(h.written).toString()).toBe('hello');
    h.term.close();
  });
});
