/**
 * User-mode networking through passt (Debian package `passt`): DHCP, DNS,
 * NAT of TCP/UDP/ICMP through ordinary host sockets, no privileges. passt
 * serves one VM on a UNIX socket with QEMU's stream framing; connections to
 * the gateway address reach the host's loopback.
 *
 * One passt per NIC, started with `--one-off` so it also quits by itself when
 * our end of the socket closes (should this process die without stopping it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PortForward {
  protocol: 'tcp' | 'udp';
  /** Host address to bind ('' in QEMU's spelling; we bind 127.0.0.1 then, see docs/network.md). */
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

export interface PasstOptions {
  forwards: readonly PortForward[];
  /** MTU passt hands out by DHCP (default 1500: the guest's receive buffers hold one 1500-byte frame). */
  mtu?: number;
}

export const PASST_PACKAGE_HINT = 'install the Debian package "passt" (apt-get install passt)';

/** The passt executable on PATH, or null. */
export function findPasst(path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'passt');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** passt's -t/-u option values for QEMU-style forwards. */
export function passtForwardArgs(forwards: readonly PortForward[]): string[] {
  const args: string[] = [];
  for (const f of forwards) {
    const addr = f.hostAddress === '' ? '127.0.0.1' : f.hostAddress;
    args.push(f.protocol === 'tcp' ? '-t' : '-u', `${addr}/${f.hostPort}:${f.guestPort}`);
  }
  return args;
}

export class PasstProcess {
  private child: ChildProcess | null = null;
  private readonly dir: string;
  readonly socketPath: string;
  /** The last lines passt wrote (for error messages). */
  private readonly output: string[] = [];
  private exitListener = (): void => this.stop();
  exited: string | null = null;

  private constructor(private readonly executable: string, private readonly options: PasstOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'retrovisor-passt-'));
    // passt started as root drops to "nobody", which must be able to create its socket here
    if (process.getuid?.() === 0) chmodSync(this.dir, 0o777);
    this.socketPath = join(this.dir, 'passt.socket');
  }

  /** Starts passt and waits (up to `timeoutMs`) for its socket. */
  static async start(options: PasstOptions, timeoutMs = 10_000): Promise<PasstProcess> {
    const exe = findPasst();
    if (!exe) throw new Error(`user-mode networking needs passt, which is not on PATH: ${PASST_PACKAGE_HINT}`);
    const p = new PasstProcess(exe, options);
    try {
      await p.launch(timeoutMs);
      return p;
    } catch (e) {
      p.stop();
      throw e;
    }
  }

  get args(): string[] {
    return ['--foreground', '--quiet', '--one-off', '--mtu', String(this.options.mtu ?? 1500),
      '--socket', this.socketPath, ...passtForwardArgs(this.options.forwards)];
  }

  private async launch(timeoutMs: number): Promise<void> {
    const child = spawn(this.executable, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    process.once('exit', this.exitListener);
    const keep = (b: Buffer): void => {
      for (const line of b.toString().split('\n')) {
        // passt also tries syslog; in containers without one it says so on every line
        if (line.trim() && !line.startsWith('Failed to send')) this.output.push(line);
      }
      if (this.output.length > 40) this.output.splice(0, this.output.length - 40);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => { this.exited = signal ? `signal ${signal}` : `code ${code}`; });
    child.on('error', (e) => { this.exited = e.message; });
    const t0 = Date.now();
    while (!existsSync(this.socketPath)) {
      if (this.exited) throw new Error(`passt exited (${this.exited}) before serving: ${this.output.slice(-5).join(' | ') || 'no output'}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`passt did not create its socket within ${timeoutMs} ms: ${this.output.slice(-5).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** What passt said last (for messages when its link drops). */
  get lastOutput(): string {
    return this.output.slice(-3).join(' | ');
  }

  stop(): void {
    process.off('exit', this.exitListener);
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    this.child = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
