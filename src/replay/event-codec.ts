/**
 * Binary form of events inside a frame. Each event: u8 tag, ULEB128 instret
 * delta (from the previous event in the frame, the first from the frame's
 * base), ULEB128 pc, then the payload. Guest time is stored as the signed
 * distance from instret/10 (the idle skip so far), small in a busy guest.
 * Arch snapshots are XORed with the previous one in the same frame, so
 * unchanged registers cost a byte. Frames decode independently (seeking).
 */
import { ARCH_FIELDS, ARCH_WORDS, hashArch } from './arch-state.js';
import { ByteReader } from './byte-reader.js';
import type { ByteWriter } from '../encoding/byte-writer.js';
import type { LogEvent } from './log-event.js';
import { combineRegions } from './ram-hash.js';

const TAG = { entropy: 1, clock: 2, clockDelta: 3, console: 4, netRx: 5, start: 6, arch: 7, ram: 8, checkpoint: 9, end: 10, run: 11, netLink: 12, discard: 13 } as const;
/** Most page runs one discard event may hold (a page list, alternating free and used pages of 4 GiB of RAM). */
export const MAX_DISCARD_RUNS = 1 << 19;
/** Largest single payload we accept when decoding (entropy request, console chunk, net frame). */
export const MAX_PAYLOAD = 1 << 20;
const INSTRUCTIONS_PER_TICK = 10;

function skipOf(ticks: number, instret: number): number {
  return ticks - Math.floor(instret / INSTRUCTIONS_PER_TICK);
}

export class EventEncoder {
  private lastInstret = 0;
  private lastClock = NaN;
  private readonly prevArch = new Int32Array(ARCH_WORDS);

  /** Starts a frame whose events are relative to `baseInstret`. */
  beginFrame(baseInstret: number): void {
    this.lastInstret = baseInstret;
    this.lastClock = NaN;
    this.prevArch.fill(0);
  }

  encode(w: ByteWriter, e: LogEvent): void {
    const delta = e.instret - this.lastInstret;
    if (delta < 0) throw new RangeError(`event at instret ${e.instret} after one at ${this.lastInstret}`);
    const head = (tag: number): void => { w.u8(tag); w.uleb(delta); w.uleb(e.pc >>> 0); };
    switch (e.kind) {
      case 'entropy': head(TAG.entropy); w.blob(e.data); break;
      case 'clock': {
        const d = e.ns - this.lastClock;
        if (Number.isSafeInteger(d) && this.lastClock + d === e.ns) { head(TAG.clockDelta); w.sleb(d); }
        else { head(TAG.clock); w.f64(e.ns); }
        this.lastClock = e.ns;
        break;
      }
      case 'console': head(TAG.console); w.sleb(skipOf(e.ticks, e.instret)); w.blob(e.data); break;
      case 'net-rx': head(TAG.netRx); w.sleb(skipOf(e.ticks, e.instret)); w.uleb(e.slot); w.blob(e.frame); break;
      case 'net-link': head(TAG.netLink); w.sleb(skipOf(e.ticks, e.instret)); w.uleb(e.slot); w.u8(e.up ? 1 : 0); break;
      case 'discard': {
        // runs as gaps and lengths: sorted, so every number is small
        head(TAG.discard); w.sleb(skipOf(e.ticks, e.instret));
        const n = e.runs.length >>> 1;
        w.uleb(n);
        let end = 0;
        for (let i = 0; i < n * 2; i += 2) { w.uleb(e.runs[i] - end); w.uleb(e.runs[i + 1]); end = e.runs[i] + e.runs[i + 1]; }
        break;
      }
      case 'start': head(TAG.start); w.sleb(skipOf(e.ticks, e.instret)); break;
      case 'arch': {
        head(TAG.arch);
        w.u32(e.hash);
        for (let i = 0; i < ARCH_FIELDS.length * 2; i += 2) {
          w.uleb((e.words[i] ^ this.prevArch[i]) >>> 0);
          w.sleb(e.words[i + 1] ^ this.prevArch[i + 1]);
        }
        this.prevArch.set(e.words.subarray(0, ARCH_WORDS));
        break;
      }
      case 'ram':
        head(TAG.ram);
        w.u8(e.regionShift);
        w.uleb(e.regions.length);
        for (let i = 0; i < e.regions.length; i++) w.u32(e.regions[i]);
        w.uleb(e.devices.length);
        for (let i = 0; i < e.devices.length; i++) w.u32(e.devices[i]);
        break;
      case 'checkpoint': head(TAG.checkpoint); w.sleb(skipOf(e.ticks, e.instret)); w.blob(new TextEncoder().encode(e.id)); break;
      case 'end': head(TAG.end); w.blob(new TextEncoder().encode(e.reason)); w.sleb(e.code); break;
      case 'run': head(TAG.run); w.uleb(Math.min(e.n, Number.MAX_SAFE_INTEGER)); w.u8(e.idleReturn ? 1 : 0); break;
    }
    this.lastInstret = e.instret;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes `count` events from a frame's raw bytes; throws ReplayLogError (naming `where`) on anything malformed. */
/** `discards` is false for logs older than the discard event (log-format.ts DISCARD_LOG_VERSION): its tag is then unknown. */
export function decodeEvents(raw: Uint8Array, where: string, baseInstret: number, count: number, discards = true): LogEvent[] {
  const r = new ByteReader(raw, where);
  const out: LogEvent[] = [];
  let instret = baseInstret;
  let lastClock = NaN;
  const prev = new Int32Array(ARCH_WORDS);
  const text = (): string => {
    const b = r.blob(4096);
    try { return utf8.decode(b); } catch { return r.fail('string is not UTF-8'); }
  };
  const ticksAt = (at: number): number => {
    const t = r.sleb() + Math.floor(at / INSTRUCTIONS_PER_TICK);
    if (t < 0) r.fail('negative guest time');
    return t;
  };
  for (let k = 0; k < count; k++) {
    const tag = r.u8();
    instret += r.uleb();
    if (!Number.isSafeInteger(instret)) r.fail('instret out of range');
    const pc = r.uleb();
    if (pc > 0xffffffff) r.fail('pc out of range');
    switch (tag) {
      case TAG.entropy: out.push({ kind: 'entropy', instret, pc, data: r.blob(MAX_PAYLOAD) }); break;
      case TAG.clock: lastClock = r.f64(); out.push({ kind: 'clock', instret, pc, ns: lastClock }); break;
      case TAG.clockDelta: {
        if (Number.isNaN(lastClock)) r.fail('clock delta without a base value');
        lastClock += r.sleb();
        out.push({ kind: 'clock', instret, pc, ns: lastClock });
        break;
      }
      case TAG.console: { const ticks = ticksAt(instret); out.push({ kind: 'console', instret, pc, ticks, data: r.blob(MAX_PAYLOAD) }); break; }
      case TAG.netRx: {
        const ticks = ticksAt(instret);
        const slot = r.uleb();
        if (slot > 255) r.fail('net slot out of range');
        out.push({ kind: 'net-rx', instret, pc, ticks, slot, frame: r.blob(MAX_PAYLOAD) });
        break;
      }
      case TAG.netLink: {
        const ticks = ticksAt(instret);
        const slot = r.uleb();
        if (slot > 255) r.fail('net slot out of range');
        const up = r.u8();
        if (up > 1) r.fail(`bad link state ${up}`);
        out.push({ kind: 'net-link', instret, pc, ticks, slot, up: up === 1 });
        break;
      }
      case TAG.discard: {
        if (!discards) r.fail(`unknown event tag ${tag} (discard events need log version 2)`);
        const ticks = ticksAt(instret);
        const n = r.uleb();
        if (n > MAX_DISCARD_RUNS) r.fail(`discard of ${n} runs`);
        const runs = new Uint32Array(n * 2);
        let end = 0;
        for (let i = 0; i < n * 2; i += 2) {
          const first = end + r.uleb(), count = r.uleb();
          if (first + count > 0xffffffff) r.fail('discarded page out of range');
          runs[i] = first; runs[i + 1] = count; end = first + count;
        }
        out.push({ kind: 'discard', instret, pc, ticks, runs });
        break;
      }
      case TAG.start: out.push({ kind: 'start', instret, pc, ticks: ticksAt(instret) }); break;
      case TAG.arch: {
        const hash = r.u32();
        const words = new Int32Array(ARCH_WORDS);
        for (let i = 0; i < ARCH_FIELDS.length * 2; i += 2) {
          const lo = r.uleb();
          if (lo > 0xffffffff) r.fail('register value out of range');
          const hi = r.sleb();
          if (hi > 0x7fffffff || hi < -0x80000000) r.fail('register value out of range');
          words[i] = lo ^ prev[i];
          words[i + 1] = hi ^ prev[i + 1];
        }
        prev.set(words);
        if (hashArch(words) !== hash) r.fail('arch snapshot does not match its hash');
        out.push({ kind: 'arch', instret, pc, hash, words });
        break;
      }
      case TAG.ram: {
        const regionShift = r.u8();
        if (regionShift < 12 || regionShift > 30) r.fail(`bad RAM region size 2^${regionShift}`);
        const n = r.uleb();
        if (n > 1 << 16 || n * 4 > r.remaining) r.fail(`bad RAM region count ${n}`);
        const regions = new Uint32Array(n);
        for (let i = 0; i < n; i++) regions[i] = r.u32();
        const nd = r.uleb();
        if (nd > 64 || nd * 4 > r.remaining) r.fail(`bad device count ${nd}`);
        const devices = new Uint32Array(nd);
        for (let i = 0; i < nd; i++) devices[i] = r.u32();
        out.push({ kind: 'ram', instret, pc, regionShift, regions, hash: combineRegions(regions), devices });
        break;
      }
      case TAG.checkpoint: { const ticks = ticksAt(instret); out.push({ kind: 'checkpoint', instret, pc, ticks, id: text() }); break; }
      case TAG.end: { const reason = text(); out.push({ kind: 'end', instret, pc, reason, code: r.sleb() }); break; }
      case TAG.run: {
        const n = r.uleb();
        const flag = r.u8();
        if (flag > 1) r.fail(`bad run flag ${flag}`);
        out.push({ kind: 'run', instret, pc, n, idleReturn: flag === 1 });
        break;
      }
      default: r.fail(`unknown event tag ${tag}`);
    }
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} bytes after the last of ${count} events`);
  return out;
}
