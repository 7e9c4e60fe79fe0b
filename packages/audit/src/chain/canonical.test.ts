import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonFast } from './canonical.js';

/** Keys that order differently in a JS object than sorted, or that a plain assignment mishandles. */
const awkwardKey = fc.constantFrom('0', '1', '10', '2', '__proto__', 'a', 'B', 'é', '');
/** Values the JSON of an event may hold, and some it never should (a hole, a function, a Date). */
const anything = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue(),
    fc.constantFrom(undefined, Number.NaN, -0, Number.POSITIVE_INFINITY, () => 1, new Date(0)),
    fc.array(tie('value')),
    fc.dictionary(fc.oneof(fc.string(), awkwardKey), tie('value')),
    // [1, <hole>, 2]
    fc.constant(Object.assign(new Array(3), { 0: 1, 2: 2 })),
  ),
})).value;

describe('canonicalJsonFast', () => {
  it('gives the bytes of canonicalJson for any value, so every existing hash still verifies', () => {
    fc.assert(
      fc.property(anything, (value) => {
        expect(canonicalJsonFast(value)).toBe(canonicalJson(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders keys by UTF-16 code units as Array#sort does, for few keys and for many', () => {
    const keys = fc.string({ unit: 'binary', maxLength: 4 });
    fc.assert(
      fc.property(fc.dictionary(keys, fc.integer(), { minKeys: 2, maxKeys: 40 }), (value) => {
        expect(canonicalJsonFast(value)).toBe(canonicalJson(value));
      }),
      { numRuns: 1000 },
    );
    // Astral characters are two code units from 0xD800 up: they sort before U+FFFF, as sort has them.
    expect(canonicalJsonFast({ '\uFFFF': 1, '\u{1F600}': 2, a: 3 })).toBe('{"a":3,"\u{1F600}":2,"\uFFFF":1}');
  });

  it('sorts keys at every depth, index-like keys included', () => {
    const event = { z: 1, a: { '10': 'x', '2': 'y', b: [{ d: 1, c: 2 }] }, m: undefined };
    expect(canonicalJsonFast(event)).toBe('{"a":{"10":"x","2":"y","b":[{"c":2,"d":1}]},"z":1}');
  });
});
