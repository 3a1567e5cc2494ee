/**
 * Drives the standard guest on a Retrovisor machine synchronously, for tests
 * and benchmarks: run until the console shows a marker, type a line, read the
 * answer. Console input is posted through the machine's input port (the
 * recorded seam) once the guest's UART driver listens.
 */
import type { VirtMachine, StopReason, VirtMachineConfig } from '../../src/machine/board/virt-machine.js';
import { SeededInputSource, type InputSource } from '../../src/machine/input.js';
import { CURSOR_QUERY } from '../../src/node/guest-images.js';
import type { MachineSpec } from '../../src/node/machine-builder.js';
import { standardMachine } from './standard-machine.js';

/** The machine (as the product's builder takes it: memory, disk, initrd, engine, ...) and the session's own options. */
export interface GuestSessionOptions extends MachineSpec {
  input?: InputSource;
  /** Extra machine configuration. */
  machine?: Partial<VirtMachineConfig>;
  /** Echo console output here as it arrives. */
  onOutput?: (text: string) => void;
}


export class GuestSession {
  readonly machine: VirtMachine;
  /** Everything the guest printed, with cursor queries removed. */
  output = '';
  /** Offset in `output` up to which expectations have consumed text. */
  cursor = 0;
  private raw: number[] = [];
  private readonly pendingInput: Uint8Array[] = [];
  private readonly cleanup: () => void;
  lastStop: StopReason = { kind: 'limit' };

  constructor(private readonly options: GuestSessionOptions = {}) {
    const built = standardMachine({
      ...options,
      input: options.input ?? new SeededInputSource(),
      console: (b) => { this.raw.push(b); },
    });
    this.machine = built.machine;
    this.cleanup = built.cleanup;
  }

  close(): void {
    this.cleanup();
  }

  private collect(): void {
    if (this.raw.length === 0) return;
    // the tty wraps long echoed lines at the terminal width with "\r\r\n": drop those so commands match
    const text = String.fromCharCode(...this.raw).replace(CURSOR_QUERY, '').replace(/\r\r\n/g, '');
    this.raw = [];
    this.output += text;
    this.options.onOutput?.(text);
  }

  /**
   * Runs until `pattern` appears after the cursor (then moves the cursor past
   * it and returns the text before it), or throws after `maxInstructions`.
   */
  runUntil(pattern: string | RegExp, maxInstructions = 500_000_000, step = 200_000): string {
    const limit = this.machine.instret + maxInstructions;
    for (;;) {
      this.collect();
      const rest = this.output.slice(this.cursor);
      const m = typeof pattern === 'string' ? (rest.includes(pattern) ? { index: rest.indexOf(pattern), len: pattern.length } : null) : (() => { const r = pattern.exec(rest); return r ? { index: r.index, len: r[0].length } : null; })();
      if (m) {
        const before = rest.slice(0, m.index);
        this.cursor += m.index + m.len;
        return before;
      }
      if (this.machine.instret >= limit) throw new Error(`guest did not print ${String(pattern)} within ${maxInstructions} instructions\n--- console tail ---\n${this.output.slice(-2000)}`);
      if (this.lastStop.kind === 'poweroff' || this.lastStop.kind === 'reboot' || this.lastStop.kind === 'fail') {
        throw new Error(`guest stopped (${this.lastStop.kind}) before printing ${String(pattern)}\n--- console tail ---\n${this.output.slice(-2000)}`);
      }
      this.flushInput();
      this.lastStop = this.machine.run(Math.min(step, limit - this.machine.instret));
      if (this.lastStop.kind === 'idle' && this.pendingInput.length === 0) {
        this.collect();
        if (!this.output.slice(this.cursor).match(pattern)) throw new Error(`guest went idle with nothing to wake it before printing ${String(pattern)}\n--- console tail ---\n${this.output.slice(-2000)}`);
      }
    }
  }

  /** Types text on the console (delivered when the guest's UART receive interrupt is enabled). */
  type(text: string): void {
    this.pendingInput.push(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
    this.flushInput();
  }

  private flushInput(): void {
    if (this.pendingInput.length === 0 || !this.machine.uart.rxInterruptEnabled) return;
    for (const data of this.pendingInput) this.machine.input.post({ kind: 'console', data });
    this.pendingInput.length = 0;
  }

  /** Types a shell command and returns its output (the text between the echoed command and the next prompt). */
  command(cmd: string, prompt = '# ', maxInstructions = 500_000_000): string {
    this.type(cmd + '\n');
    this.runUntil(cmd + '\r\n', maxInstructions);
    return this.runUntil(prompt, maxInstructions).replace(/\r\n/g, '\n').replace(/\n?[^\n]*$/, '');
  }

  /** Runs until the guest powers off. */
  runToPoweroff(maxInstructions = 2_000_000_000): StopReason {
    const limit = this.machine.instret + maxInstructions;
    while (this.machine.instret < limit) {
      this.flushInput();
      this.lastStop = this.machine.run(Math.min(5_000_000, limit - this.machine.instret));
      this.collect();
      if (this.lastStop.kind !== 'limit' && this.lastStop.kind !== 'idle') return this.lastStop;
      if (this.lastStop.kind === 'idle' && this.pendingInput.length === 0) return this.lastStop;
    }
    return this.lastStop;
  }
}
