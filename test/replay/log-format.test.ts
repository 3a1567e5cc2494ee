// The replay log format: round trip, clear errors for corrupt, truncated and
// unknown-version logs, version-1 logs still read, and a fuzzed reader that
// only ever throws ReplayLogError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZstdCodec } from '../../src/node/codecs/zstd-codec.js';
import { ARCH_FIELDS, ARCH_WORDS, hashArch } from '../../src/replay/arch-state.js';
import { crc32 as crc } from '../../src/encoding/crc32.js';
import { codecList } from '../../src/replay/frame-compressor.js';
import type { LogEvent } from '../../src/replay/log-event.js';
import { LOG_VERSION } from '../../src/replay/log-format.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter, MemorySink } from '../../src/replay/log-writer.js';
import { combineRegions } from '../../src/replay/ram-hash.js';
import { ReplayLogError } from '../../src/replay/replay-error.js';
import { mulberry32, meta } from './session.js';

const codecs = codecList(new ZstdCodec(3));
const FIELD_WORDS = ARCH_FIELDS.length * 2;

function synthEvents(seed: number, n: number): LogEvent[] {
  const r = mulberry32(seed);
  const out: LogEvent[] = [];
  let instret = 0;
  let ns = 1_767_225_600_000_000_000;
  out.push({ kind: 'clock', instret: 0, pc: 0, ns });
  out.push({ kind: 'start', instret: 0, pc: 0x80000000, ticks: 0 });
  const bytes = (k: number): Uint8Array => Uint8Array.from({ length: k }, () => Math.floor(r() * 256));
  for (let i = 0; i < n; i++) {
    instret += Math.floor(r() * 100_000);
    const pc = Math.floor(r() * 2 ** 32);
    const ticks = Math.floor(instret / 10) + Math.floor(r() * 1000);
    switch (Math.floor(r() * 7)) {
      case 0: out.push({ kind: 'entropy', instret, pc, data: bytes(1 + Math.floor(r() * 64)) }); break;
      case 1: ns += Math.floor(r() * 1e6); out.push({ kind: 'clock', instret, pc, ns }); break;
      case 2: out.push({ kind: 'console', instret, pc, ticks, data: bytes(1 + Math.floor(r() * 8)) }); break;
      case 3:
        if (i % 5 === 1) out.push({ kind: 'discard', instret, pc, ticks, runs: Uint32Array.of(i % 7, 1 + (i % 300), 400 + i, 2 ** 31) });
        else if (i % 3 === 0) out.push({ kind: 'net-link', instret, pc, ticks, slot: i % 4, up: i % 2 === 0 });
        else out.push({ kind: 'net-rx', instret, pc, ticks, slot: 7, frame: bytes(60) });
        break;
      case 4: {
        const words = new Int32Array(ARCH_WORDS);
        for (let k = 0; k < FIELD_WORDS; k++) words[k] = (r() * 2 ** 32) | 0;
        out.push({ kind: 'arch', instret, pc, hash: hashArch(words), words });
        break;
      }
      case 5: out.push({ kind: 'run', instret, pc, n: Math.floor(r() * 5e6), idleReturn: r() < 0.5 }); break;
      default: {
        const regions = Uint32Array.from({ length: 16 }, () => Math.floor(r() * 2 ** 32));
        out.push({ kind: 'ram', instret, pc, regionShift: 20, regions, hash: combineRegions(regions), devices: Uint32Array.of(1, 2, 0xffffffff) });
      }
    }
  }
  out.push({ kind: 'end', instret, pc: 1, reason: 'done', code: 0 });
  return out;
}

function writeLog(events: LogEvent[], frameBytes = 4096, close = true): Uint8Array {
  const sink = new MemorySink();
  const w = new LogWriter(sink, new ZstdCodec(3), meta(1000), frameBytes);
  for (const e of events) w.add(e);
  if (close) w.close(); else w.flush();
  return sink.bytes();
}

/** The log as an older writer would have labelled it: the version byte set and the header crc recomputed. */
function asVersion(log: Uint8Array, version: number): Uint8Array {
  const b = log.slice();
  b[4] = version;
  let pos = 5, metaLen = 0;
  for (let shift = 0; ; shift += 7) {
    const x = b[pos++];
    metaLen += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) break;
  }
  const crcAt = pos + metaLen;
  const c = crc(b, 0, crcAt);
  b[crcAt] = c & 0xff; b[crcAt + 1] = (c >>> 8) & 0xff; b[crcAt + 2] = (c >>> 16) & 0xff; b[crcAt + 3] = c >>> 24;
  return b;
}

const withoutDiscards = (evs: LogEvent[]): LogEvent[] => evs.filter((e) => e.kind !== 'discard');

function errorOf(f: () => unknown): ReplayLogError {
  try { f(); } catch (e) {
    if (e instanceof ReplayLogError) return e;
    throw e;
  }
  throw new Error('expected a ReplayLogError');
}

describe('replay log format', () => {
  const events = synthEvents(7, 3000);
  const log = writeLog(events);

  it('round-trips every event kind through several frames, via the index', () => {
    const r = new LogReader(log, 'a.rvr', codecs);
    expect(r.indexed).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.frames.length).toBeGreaterThan(5);
    // arch words past the fields are padding and are not stored
    const norm = (e: LogEvent): unknown => (e.kind === 'arch' ? { ...e, words: Array.from(e.words.subarray(0, FIELD_WORDS)) } : e);
    expect([...r.all()].map(norm)).toEqual(events.map(norm));
    expect(r.meta.hashInterval).toBe(1000);
  });

  it('seeks: frameFor finds the frame holding an instret', () => {
    const r = new LogReader(log, 'a.rvr', codecs);
    const target = events[2000].instret;
    const f = r.frameFor(target);
    expect(r.frames[f].baseInstret).toBeLessThanOrEqual(target);
    if (f + 1 < r.frames.length) expect(r.frames[f + 1].baseInstret).toBeGreaterThan(target);
  });

  it('without the trailer (a crash before close) finds the frames by scanning', () => {
    const open = writeLog(events, 4096, false);
    const r = new LogReader(open, 'b.rvr', codecs);
    expect(r.indexed).toBe(false);
    expect([...r.all()].length).toBe(events.length);
  });

  it('a log cut inside a frame opens as truncated and yields every complete frame', () => {
    const open = writeLog(events, 4096, false);
    const r0 = new LogReader(open, 'c.rvr', codecs);
    const cut = open.subarray(0, r0.frames[4].end + 10);
    const r = new LogReader(cut, 'c.rvr', codecs);
    expect(r.truncated).toBe(true);
    expect(r.truncation).toMatch(/log ends inside frame 5/);
    expect(r.frames.length).toBe(5);
    const got = [...r.all()];
    expect(got.length).toBeGreaterThan(0);
    expect(got[got.length - 1].instret).toBe(events[got.length - 1].instret);
  });

  it('a flipped byte inside a frame is a checksum error naming the file and frame', () => {
    const r0 = new LogReader(log, 'd.rvr', codecs);
    const bad = log.slice();
    const f = r0.frames[3];
    bad[f.payloadOffset + 5] ^= 0x40;
    const r = new LogReader(bad, 'd.rvr', codecs);
    expect(() => r.events(2)).not.toThrow();
    const e = errorOf(() => r.events(3));
    expect(e.message).toMatch(/^d\.rvr: frame 3 \(offset \d+\): checksum mismatch/);
  });

  it('writes version 2 (the version that added discard events)', () => {
    expect(LOG_VERSION).toBe(2);
    expect(log[4]).toBe(2);
    expect(new LogReader(log, 'a.rvr', codecs).version).toBe(2);
    expect(events.some((e) => e.kind === 'discard')).toBe(true);
  });

  it('still reads version 1 logs, which cannot hold discard events', () => {
    const old = withoutDiscards(events);
    const v1 = asVersion(writeLog(old), 1);
    const r = new LogReader(v1, 'v1.rvr', codecs);
    expect(r.version).toBe(1);
    expect(r.indexed).toBe(true);
    const norm = (e: LogEvent): unknown => (e.kind === 'arch' ? { ...e, words: Array.from(e.words.subarray(0, FIELD_WORDS)) } : e);
    expect([...r.all()].map(norm)).toEqual(old.map(norm));
    // a discard tag in a version 1 log is damage, not an event
    const bad = new LogReader(asVersion(log, 1), 'v1d.rvr', codecs);
    const frame = bad.frames.findIndex((_, i) => new LogReader(log, 'a.rvr', codecs).events(i).some((e) => e.kind === 'discard'));
    expect(frame).toBeGreaterThanOrEqual(0);
    expect(errorOf(() => bad.events(frame)).message).toMatch(/^v1d\.rvr: frame \d+ \(offset \d+\).*unknown event tag 13 \(discard events need log version 2\)/);
  });

  it('rejects an unknown version, bad magic and a damaged header clearly', () => {
    const v = log.slice(); v[4] = 9;
    expect(errorOf(() => new LogReader(v, 'e.rvr', codecs)).message).toBe('e.rvr: unsupported replay log version 9 (this build reads versions 1 to 2)');
    const z = asVersion(log, 0);
    expect(errorOf(() => new LogReader(z, 'e0.rvr', codecs)).message).toBe('e0.rvr: unsupported replay log version 0 (this build reads versions 1 to 2)');
    const m = log.slice(); m[0] = 0x58;
    expect(errorOf(() => new LogReader(m, 'f.rvr', codecs)).message).toMatch(/f\.rvr: not a Retrovisor replay log/);
    const h = log.slice(); h[12] ^= 1;
    expect(errorOf(() => new LogReader(h, 'g.rvr', codecs)).message).toMatch(/g\.rvr: header/);
    expect(errorOf(() => new LogReader(new Uint8Array(0), 'h.rvr', codecs)).message).toMatch(/h\.rvr/);
  });

  it('fuzz: any bytes, or a mutated log, either read or throw ReplayLogError', () => {
    const small = writeLog(synthEvents(3, 200), 1024);
    const readAll = (b: Uint8Array): void => {
      try {
        const r = new LogReader(b, 'fuzz.rvr', codecs);
        for (let i = 0; i < r.frames.length; i++) r.events(i);
      } catch (e) {
        if (!(e instanceof ReplayLogError)) throw e;
      }
    };
    // the same damage against a version 1 log (header re-labelled, crc kept valid)
    const smallV1 = asVersion(writeLog(withoutDiscards(synthEvents(3, 200)), 1024), 1);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => readAll(b)), { numRuns: 300 });
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(small.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(small.length),
      fc.boolean(),
      (edits, cut, v1) => {
        const b = (v1 ? smallV1 : small).slice(0, Math.max(cut, 1));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        readAll(b);
      },
    ), { numRuns: 500 });
  });

  it('property: any log without discard events reads the same as version 1 and version 2', () => {
    fc.assert(fc.property(fc.nat(1000), fc.integer({ min: 1, max: 120 }), (seed, n) => {
      const evs = withoutDiscards(synthEvents(seed, n));
      const b = writeLog(evs, 512);
      const read = (x: Uint8Array): LogEvent[] => [...new LogReader(x, 'p.rvr', codecs).all()];
      expect(read(asVersion(b, 1))).toEqual(read(b));
    }), { numRuns: 60 });
  });

  it('fuzz: mutated frame payloads that keep a valid checksum still fail cleanly', () => {
    // recompute the crc so the decoder (not the checksum) meets the damage
    fc.assert(fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.boolean(), (seed, edits, v1) => {
      const evs = synthEvents(seed % 1000, 40);
      const sink = new MemorySink();
      const w = new LogWriter(sink, codecList().byId(0), meta(1000), 1 << 20);
      for (const e of evs) w.add(e);
      w.flush();
      const b = v1 ? asVersion(sink.bytes(), 1) : sink.bytes();
      const r0 = new LogReader(b, 'm.rvr', codecs);
      const f = r0.frames[0];
      for (const [at, v] of edits) b[f.payloadOffset + (at % f.storedLen)] = v;
      const crcAt = f.payloadOffset + f.storedLen;
      const c = crc(b, f.offset, crcAt);
      b[crcAt] = c & 0xff; b[crcAt + 1] = (c >>> 8) & 0xff; b[crcAt + 2] = (c >>> 16) & 0xff; b[crcAt + 3] = c >>> 24;
      try { new LogReader(b, 'm.rvr', codecs).events(0); } catch (e) { if (!(e instanceof ReplayLogError)) throw e; }
    }), { numRuns: 300 });
  });
});

