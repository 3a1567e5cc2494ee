/**
 * The real command line in a child process (dist/cli/main.js, built by
 * `npm test`), driven through its console: for end-to-end tests of things
 * that live in the CLI's asynchronous run loop (networks, passt). Also drives
 * QEMU on the same guest for side-by-side benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { guestNodeArgs } from '../../src/node/guest-process-flags.js';
import { fileURLToPath } from 'node:url';

/** dist/cli/main.js of this checkout (from test/support, or from dist/bench/test/support in benchmarks). */
export const CLI = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist/cli/main.js');
})();

export class CliVm {
  readonly child: ChildProcess;
  /** Console output (stdout) so far. */
  output = '';
  /** Messages on stderr ([retrovisor: ...]). */
  messages = '';
  exit: Promise<number | null>;
  private waiters: Array<() => void> = [];

  /** `retrovisor ARGS` (or, with `command`, any program with the guest's console on stdio, e.g. QEMU). */
  constructor(args: string[], env: NodeJS.ProcessEnv = process.env, command?: string) {
    const [cmd, argv] = command ? [command, args] : [process.execPath, [...guestNodeArgs(), CLI, ...args]];
    this.child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stdout?.on('data', (b: Buffer) => { this.output += b.toString('latin1'); this.notify(); });
    this.child.stderr?.on('data', (b: Buffer) => { this.messages += b.toString('latin1'); this.notify(); });
    this.exit = new Promise((res) => this.child.on('exit', (code) => { this.notify(); res(code); }));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `pattern` appears in stdout (or stderr with `where: 'messages'`) after `from`; returns the text up to the end of the match. */
  async waitFor(pattern: string | RegExp, options: { timeoutMs?: number; from?: number; where?: 'output' | 'messages' } = {}): Promise<string> {
    const { timeoutMs = 120_000, from = 0, where = 'output' } = options;
    const t0 = Date.now();
    for (;;) {
      const text = (where === 'output' ? this.output : this.messages).slice(from);
      const i = typeof pattern === 'string' ? text.indexOf(pattern) : text.search(pattern);
      if (i >= 0) {
        const len = typeof pattern === 'string' ? pattern.length : (text.slice(i).match(pattern) as RegExpMatchArray)[0].length;
        return text.slice(0, i + len);
      }
      if (this.child.exitCode !== null) throw new Error(`VM exited (${this.child.exitCode}) before "${String(pattern)}"; stderr: ${this.messages.slice(-2000)}\nconsole: ${this.output.slice(-2000)}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`no "${String(pattern)}" within ${timeoutMs} ms; stderr: ${this.messages.slice(-2000)}\nconsole: ${this.output.slice(-3000)}`);
      await new Promise<void>((res) => { const t = setTimeout(res, 200); this.waiters.push(() => { clearTimeout(t); res(); }); });
    }
  }

  type(text: string): void {
    this.child.stdin?.write(text);
  }

  /**
   * Runs a shell command and returns what it printed. The markers around it
   * are computed by the shell (`$((…))`), so the echo of the typed line (which
   * the terminal may wrap anywhere) never matches them.
   */
  private seq = 0;
  async sh(command: string, timeoutMs = 120_000): Promise<string> {
    const n = ++this.seq;
    const from = this.output.length;
    const begin = `@@BEGIN-${n * 1000 + 3}@@\r\n`;
    const end = `@@END-${n * 1000 + 7}@@`;
    this.type(`echo "@@BEGIN-$((${n}*1000+3))@@"; ${command}; echo "@@END-$((${n}*1000+7))@@"\n`);
    const text = await this.waitFor(end, { timeoutMs, from });
    const i = text.indexOf(begin);
    return text.slice(i + begin.length, text.length - end.length);
  }

  /** Waits for the shell prompt after boot. */
  async booted(timeoutMs = 180_000): Promise<void> {
    await this.waitFor('RETROVISOR-READY', { timeoutMs });
    await this.waitFor('# ', { timeoutMs, from: this.output.indexOf('RETROVISOR-READY') });
  }

  /** Powers the guest off and waits for the process to end (kills it after `timeoutMs`). */
  async poweroff(timeoutMs = 60_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.type('poweroff -f\n');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(t);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
