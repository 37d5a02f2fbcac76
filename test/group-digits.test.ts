/** groupDigits writes what toLocaleString('en-US') writes, without loading ICU for integers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupDigits } from '../src/group-digits.js';

describe('groupDigits', () => {
  it('equals toLocaleString("en-US") for any safe integer and for fractions', () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => groupDigits(n) === n.toLocaleString('en-US')));
    for (const n of [0, 7, 999, 1000, -1000, 1234567, 2.5, -0.125, 1e21]) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
  });
});
