// The remote-protocol framing: checksums, escapes, run-length decoding, and a
// decoder that survives any byte stream (fuzzed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PACKET, RspDecoder, checksum, encodePacket, fromLatin1, latin1, unescapePayload } from '../../src/debug/rsp-codec.js';

describe('RSP codec', () => {
  it('frames with the checksum GDB expects', () => {
    expect(fromLatin1(encodePacket('OK'))).toBe('$OK#9a');
    expect(fromLatin1(encodePacket(''))).toBe('$#00');
  });

  it('escapes $ # } * and the decoder undoes it', () => {
    const payload = Uint8Array.from([0x24, 0x23, 0x7d, 0x2a, 0, 255, 0x41]);
    const evs = new RspDecoder().feed(encodePacket(payload));
    expect(evs).toEqual([{ kind: 'packet', data: payload }]);
  });

  it('decodes run-length encoding and rejects malformed repeats', () => {
    expect(fromLatin1(unescapePayload(latin1('0* ')) as Uint8Array)).toBe('0000');
    expect(unescapePayload(latin1('*!'))).toBeNull();
    expect(unescapePayload(latin1('}'))).toBeNull();
  });

  it('reports acks, interrupts and bad checksums', () => {
    const d = new RspDecoder();
    expect(d.feed(latin1('+-\x03$g#00$g#67'))).toEqual([
      { kind: 'ack' }, { kind: 'nack' }, { kind: 'interrupt' }, { kind: 'bad-checksum' }, { kind: 'packet', data: latin1('g') },
    ]);
    expect(d.feed(latin1('$g#zz'))).toEqual([{ kind: 'bad-checksum' }]);
  });

  it('drops oversized packets', () => {
    const big = new Uint8Array(MAX_PACKET * 2 + 10).fill(0x61);
    const framed = Uint8Array.from([0x24, ...big, 0x23, 0x30, 0x30]);
    expect(new RspDecoder().feed(framed)).toEqual([{ kind: 'bad-checksum' }]);
  });

  it('round-trips any payload, split at any points (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(400), { maxLength: 5 }), (payload, cuts) => {
      const wire = encodePacket(payload);
      const d = new RspDecoder();
      const evs = [];
      let at = 0;
      for (const c of [...cuts].sort((a, b) => a - b)) { const e = Math.min(c, wire.length); evs.push(...d.feed(wire.subarray(at, e))); at = Math.max(at, e); }
      evs.push(...d.feed(wire.subarray(at)));
      expect(evs).toEqual([{ kind: 'packet', data: payload }]);
    }));
  });

  it('never throws on arbitrary bytes, and every packet it yields has a valid checksum (fuzz)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const evs = new RspDecoder().feed(bytes);
      for (const e of evs) if (e.kind === 'packet') expect(e.data.length).toBeLessThanOrEqual(MAX_PACKET);
    }), { numRuns: 500 });
    expect(checksum(latin1('g'))).toBe(0x67);
  });
});
