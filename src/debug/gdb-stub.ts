/**
 * The GDB remote stub: answers one debugger's packets against a DebugTarget
 * over an abstract byte transport (src/node/gdb-server.ts adapts TCP).
 *
 * All-stop mode, one thread. While the target executes, only Ctrl-C is
 * acted on (other packets wait). A malformed packet gets `-` (bad
 * checksum) or an `E` reply and changes nothing; an exception inside a
 * command becomes `E01`. Reverse execution (`bs`, `bc`) is advertised in
 * qSupported only for reversible targets, as GDB expects.
 */
import { readRegister, registerSize, targetXml, writeRegister, G_REGS } from './registers.js';
import { RspDecoder, encodePacket, fromHex, fromLatin1, latin1, leHex, parseHexBig, parseLeHex, toHex } from './rsp-codec.js';
import { debugRead, debugWrite } from '../machine/cpu/debug-memory.js';
import { splitAddr, type WatchKind } from './debug-points.js';
import type { DebugTarget, ExecAction, StopEvent } from './debug-target.js';

export interface Transport {
  send(bytes: Uint8Array): void;
  /** Ends the connection (after `k`/`D`). */
  close(): void;
}

const MAX_MEM = 0x1000;

export class GdbStub {
  private readonly decoder = new RspDecoder();
  private noAck = false;
  private running = false;
  private queue: Uint8Array[] = [];
  private lastStop: StopEvent = { kind: 'signal', signal: 5 };
  private closed = false;
  /** Packets and replies, for tests and `--verbose`. */
  log: ((dir: '<' | '>', text: string) => void) | null = null;
  /** Settles when the stub is idle (no command in progress): tests await it. */
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly target: DebugTarget, private readonly transport: Transport) {}

  /** Bytes from the debugger. */
  receive(bytes: Uint8Array): void {
    for (const ev of this.decoder.feed(bytes)) {
      if (ev.kind === 'interrupt') { if (this.running) this.target.interrupt(); continue; }
      if (ev.kind === 'bad-checksum') { if (!this.noAck) this.transport.send(latin1('-')); continue; }
      if (ev.kind !== 'packet') continue;
      if (!this.noAck) this.transport.send(latin1('+'));
      this.queue.push(ev.data);
    }
    this.pump();
  }

  /** The connection closed: let the target run on (live) or stop serving. */
  disconnected(): void {
    if (this.closed) return;
    this.closed = true;
    this.target.detach(false);
  }

  /** Resolves once every received packet has been answered. */
  idle(): Promise<void> {
    return this.busy;
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const data = this.queue.shift() as Uint8Array;
    this.running = true;
    this.busy = this.handle(fromLatin1(data))
      .catch(() => this.reply('E01'))
      .finally(() => { this.running = false; this.pump(); });
  }

  private reply(text: string): void {
    if (this.closed) return;
    this.log?.('>', text);
    this.transport.send(encodePacket(latin1(text)));
  }

  private stopReply(s: StopEvent): string {
    this.lastStop = s;
    if (s.kind === 'exited') return `W${(s.code & 0xff).toString(16).padStart(2, '0')}`;
    if (s.kind === 'history') return `T05replaylog:${s.edge};`;
    const sig = s.signal.toString(16).padStart(2, '0');
    if (!s.hit) return `T${sig}`;
    if (s.hit.kind === 'breakpoint') return `T${sig}swbreak:;`;
    const name = s.hit.watch === 'write' ? 'watch' : s.hit.watch === 'read' ? 'rwatch' : 'awatch';
    return `T${sig}${name}:${s.hit.addr.toString(16)};`;
  }

  private async exec(action: ExecAction): Promise<void> {
    const s = await this.target.execute(action);
    this.reply(this.stopReply(s));
  }

  private async handle(p: string): Promise<void> {
    this.log?.('<', p);
    const t = this.target;
    const c = p[0];
    switch (c) {
      case '?': this.reply(this.stopReply(await t.halt())); return;
      case 'g': {
        let s = '';
        for (let i = 0; i < G_REGS; i++) s += leHex(readRegister(t.hart, i) ?? 0n, 8);
        this.reply(s);
        return;
      }
      case 'G': {
        if (!t.writable) { this.reply('E01'); return; }
        const body = p.slice(1);
        if (body.length < G_REGS * 16 || fromHex(body) === null) { this.reply('E02'); return; }
        for (let i = 0; i < G_REGS; i++) writeRegister(t.hart, i, parseLeHex(body.slice(i * 16, i * 16 + 16)) ?? 0n);
        this.reply('OK');
        return;
      }
      case 'p': {
        const n = parseHexBig(p.slice(1));
        const v = n === null ? null : readRegister(t.hart, Number(n));
        if (n === null || v === null) { this.reply('E45'); return; }
        this.reply(leHex(v, registerSize(Number(n))));
        return;
      }
      case 'P': {
        const m = /^P([0-9a-fA-F]+)=([0-9a-fA-F]+)$/.exec(p);
        const v = m ? parseLeHex(m[2]) : null;
        if (!m || v === null) { this.reply('E02'); return; }
        if (!t.writable) { this.reply('E01'); return; }
        this.reply(writeRegister(t.hart, parseInt(m[1], 16), v) ? 'OK' : 'E45');
        return;
      }
      case 'm': {
        const m = /^m([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})$/.exec(p);
        if (!m) { this.reply('E02'); return; }
        const [lo, hi] = splitAddr(BigInt('0x' + m[1]));
        const bytes = debugRead(t.hart, t.ram, lo, hi, Math.min(parseInt(m[2], 16), MAX_MEM));
        this.reply(bytes.length > 0 || parseInt(m[2], 16) === 0 ? toHex(bytes) : 'E14');
        return;
      }
      case 'M':
      case 'X': {
        const colon = p.indexOf(':');
        const m = /^[MX]([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})$/.exec(colon < 0 ? '' : p.slice(0, colon));
        if (!m) { this.reply('E02'); return; }
        const len = parseInt(m[2], 16);
        const data = c === 'M' ? fromHex(p.slice(colon + 1)) : latin1(p.slice(colon + 1));
        if (data === null || data.length !== len) { this.reply('E02'); return; }
        if (!t.writable) { this.reply('E01'); return; }
        const [lo, hi] = splitAddr(BigInt('0x' + m[1]));
        this.reply(debugWrite(t.hart, t.ram, lo, hi, data) ? 'OK' : 'E14');
        return;
      }
      case 'Z':
      case 'z': {
        const m = /^[Zz]([0-4]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(p);
        if (!m) { this.reply('E02'); return; }
        const type = Number(m[1]);
        const addr = BigInt('0x' + m[2]);
        const len = parseInt(m[3], 16);
        const add = c === 'Z';
        if (type <= 1) { if (add) t.points.addBreakpoint(addr); else t.points.removeBreakpoint(addr); }
        else {
          const kind: WatchKind = type === 2 ? 'write' : type === 3 ? 'read' : 'access';
          if (add) t.points.addWatch(addr, len, kind); else t.points.removeWatch(addr, len, kind);
        }
        this.reply('OK');
        return;
      }
      case 's':
      case 'c': {
        if (p.length > 1) {
          // resume at an address (rarely used): only on a writable target
          const a = parseHexBig(p.slice(1));
          if (a === null || !t.writable) { this.reply('E01'); return; }
          writeRegister(t.hart, 32, a);
        }
        await this.exec(c === 's' ? 'step' : 'continue');
        return;
      }
      case 'b':
        if (!t.reversible || (p !== 'bs' && p !== 'bc')) { this.reply(''); return; }
        await this.exec(p === 'bs' ? 'reverse-step' : 'reverse-continue');
        return;
      case 'v': return this.handleV(p);
      case 'q': case 'Q': return this.handleQuery(p);
      case 'H': this.reply('OK'); return;
      case 'T': this.reply('OK'); return;
      case 'k':
        this.closed = true;
        t.detach(true);
        this.transport.close();
        return;
      case 'D':
        this.reply('OK');
        this.closed = true;
        t.detach(false);
        this.transport.close();
        return;
      default:
        this.reply('');
    }
  }

  private async handleV(p: string): Promise<void> {
    if (p === 'vCont?') { this.reply('vCont;c;C;s;S'); return; }
    if (p.startsWith('vCont;')) {
      // one thread: the first action decides (GDB sends e.g. vCont;s:1 or vCont;c)
      const a = p.slice(6).split(';')[0].split(':')[0];
      if (a === 's' || a.startsWith('S')) { await this.exec('step'); return; }
      if (a === 'c' || a.startsWith('C')) { await this.exec('continue'); return; }
      this.reply('E01');
      return;
    }
    if (p === 'vMustReplyEmpty') { this.reply(''); return; }
    if (p.startsWith('vKill')) { this.reply('OK'); this.closed = true; this.target.detach(true); this.transport.close(); return; }
    this.reply('');
  }

  private async handleQuery(p: string): Promise<void> {
    if (p.startsWith('qSupported')) {
      const features = ['PacketSize=4000', 'qXfer:features:read+', 'swbreak+', 'hwbreak+', 'QStartNoAckMode+', 'vContSupported+'];
      if (this.target.reversible) features.push('ReverseStep+', 'ReverseContinue+');
      this.reply(features.join(';'));
      return;
    }
    if (p === 'QStartNoAckMode') { this.reply('OK'); this.noAck = true; return; }
    if (p.startsWith('qXfer:features:read:')) {
      const m = /^qXfer:features:read:([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m || m[1] !== 'target.xml') { this.reply('E00'); return; }
      const xml = targetXml();
      const off = parseInt(m[2], 16), len = parseInt(m[3], 16);
      const part = xml.slice(off, off + len);
      this.reply((off + len >= xml.length ? 'l' : 'm') + part);
      return;
    }
    if (p === 'qAttached') { this.reply('1'); return; }
    if (p === 'qC') { this.reply('QC1'); return; }
    if (p === 'qfThreadInfo') { this.reply('m1'); return; }
    if (p === 'qsThreadInfo') { this.reply('l'); return; }
    if (p.startsWith('qRcmd,')) {
      const cmd = fromHex(p.slice(6));
      if (cmd === null) { this.reply('E02'); return; }
      const out = await this.target.monitor(fromLatin1(cmd).trim());
      this.reply(out.length === 0 ? 'OK' : toHex(latin1(out.endsWith('\n') ? out : out + '\n')));
      return;
    }
    if (p.startsWith('qSymbol')) { this.reply('OK'); return; }
    this.reply('');
  }

  /** The stop reply for `?` when the target already stopped (tests). */
  get lastStopReply(): string {
    return this.stopReply(this.lastStop);
  }
}
