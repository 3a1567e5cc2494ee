import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { StateRecord, StateValue } from '../../src/machine/state.js';
import { decodeState, encodeState, StateCodecError } from '../../src/encoding/state-codec.js';

const { value } = fc.letrec<{ value: StateValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.boolean(), fc.integer(), fc.maxSafeInteger(), fc.double(), fc.string(), fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
}));
const record = fc.tuple(fc.nat(), fc.dictionary(fc.string().filter((k) => k !== 'version'), value, { maxKeys: 6, noNullPrototype: true }))
  .map(([version, rest]) => ({ ...rest, version }) as StateRecord);

test('state records round trip exactly', () => {
  fc.assert(fc.property(record, (r) => {
    expect(decodeState(encodeState(r))).toStrictEqual(r);
  }), { numRuns: 500 });
  const r = { version: 2, regs: new Uint8Array([1, 2]), pc: 0x80200000, f: -0, nan: NaN, big: 2 ** 60, nested: { a: [1, 'x', null] }, ['__proto__']: 5 } as unknown as StateRecord;
  const back = decodeState(encodeState(r));
  expect(Object.is(back.f, -0)).toBe(true);
  expect(back.nan).toBeNaN();
  expect(back.big).toBe(2 ** 60);
});

test('malformed state bytes give StateCodecError', () => {
  const good = encodeState({ version: 1, a: [1, 2, 3], s: 'hello', b: new Uint8Array(10) });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), fc.option(fc.nat()), (flips, cut) => {
    const m = good.slice();
    for (const [i, x] of flips) m[i % m.length] ^= x;
    const input = cut === null ? m : m.subarray(0, cut % m.length);
    try {
      decodeState(input);
    } catch (e) {
      expect(e).toBeInstanceOf(StateCodecError);
    }
  }), { numRuns: 1000 });
  expect(() => decodeState(new Uint8Array([82, 86, 83, 84, 9]))).toThrow(/version 9 is not supported/);
  expect(() => encodeState({ version: 1, d: new Date() as unknown as StateValue })).toThrow(/unsupported value .* at record\.d/);
});
