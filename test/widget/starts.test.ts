/**
 * The widget reads GET …/starts: each start's therapists as hex bits over the answer's list of
 * therapists (bit i: therapists[i]). The decoder against BigInt arithmetic, past one hex digit
 * (5 therapists), past one 32-bit word (33) and well beyond (70).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { whoOf } from '../../widget/flow.ts';

describe("the widget's reading of a start's therapists", () => {
  it('names the first and the third for "5", nobody else', () => {
    expect(whoOf('5', [11, 12, 13, 14])).toEqual([11, 13]);
  });

  it('reads the fifth therapist from the second hex digit and the 33rd from the ninth', () => {
    expect(whoOf('10', [1, 2, 3, 4, 5])).toEqual([5]);
    const ids = Array.from({ length: 33 }, (_, i) => i + 1);
    expect(whoOf('100000000', ids)).toEqual([33]);
    expect(whoOf('1ffffffff', ids)).toEqual(ids);
  });

  it('gives exactly the set bits for any number of therapists up to 70', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 70 }), (free) => {
        fc.pre(free.some(Boolean));
        const ids = free.map((_, i) => 100 + i);
        const bits = free.reduce((sum, f, i) => (f ? sum | (1n << BigInt(i)) : sum), 0n).toString(16);
        expect(whoOf(bits, ids)).toEqual(ids.filter((_, i) => free[i]));
      }),
    );
  });
});
