/**
 * The guest console on the host terminal: raw mode on a TTY (so Ctrl-C goes
 * to the guest), plain reads from a pipe, and QEMU's Ctrl-A escapes
 * (Ctrl-A x quits, Ctrl-A h helps, Ctrl-A Ctrl-A sends Ctrl-A).
 */
export type EscapeCommand = 'quit' | 'help' | 'checkpoint';

export interface ConsoleHandlers {
  input(bytes: Uint8Array): void;
  escape(command: EscapeCommand): void;
  end(): void;
}

const CTRL_A = 0x01;

export class TerminalConsole {
  private escapePending = false;
  private readonly wasRaw: boolean;
  private readonly outChunks: number[] = [];

  constructor(
    private readonly handlers: ConsoleHandlers,
    private readonly stdin: NodeJS.ReadStream = process.stdin,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
  ) {
    this.wasRaw = stdin.isTTY ? stdin.isRaw : false;
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', this.onData);
    stdin.on('end', this.onEnd);
    stdin.resume();
  }

  get interactive(): boolean {
    return this.stdin.isTTY === true;
  }

  /** Guest output byte; buffered until flush() so output costs one write per slice. */
  write(byte: number): void {
    this.outChunks.push(byte);
  }

  flush(): void {
    if (this.outChunks.length === 0) return;
    this.stdout.write(Uint8Array.from(this.outChunks));
    this.outChunks.length = 0;
  }

  close(): void {
    this.flush();
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    if (this.stdin.isTTY) this.stdin.setRawMode(this.wasRaw);
    this.stdin.pause();
  }

  private readonly onEnd = (): void => this.handlers.end();

  private readonly onData = (chunk: Buffer): void => {
    if (!this.interactive) {
      this.handlers.input(new Uint8Array(chunk));
      return;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (this.escapePending) {
        this.escapePending = false;
        if (b === CTRL_A) out.push(CTRL_A);
        else if (b === 0x78 /* x */) { this.emit(out); this.handlers.escape('quit'); return; }
        else if (b === 0x68 /* h */) this.handlers.escape('help');
        else if (b === 0x73 /* s */) this.handlers.escape('checkpoint');
        continue;
      }
      if (b === CTRL_A) { this.escapePending = true; continue; }
      out.push(b);
    }
    this.emit(out);
  };

  private emit(out: number[]): void {
    if (out.length > 0) this.handlers.input(Uint8Array.from(out));
  }
}

export const ESCAPE_HELP = '\r\nC-a h    print this help\r\nC-a x    exit Retrovisor\r\nC-a s    take a checkpoint (when a repository is configured)\r\nC-a C-a  send C-a\r\n';
