import { describe, expect, it } from 'vitest';
import { Scratch, withScratch } from '../../server/engine/scratch.ts';

describe('the scratch a computation borrows its typed arrays from', () => {
  it('cuts zeroed arrays of the length asked that do not overlap', () => {
    const s = new Scratch(8);
    const a = s.float64(3);
    const b = s.float64(5);
    const i = s.int32(4);
    expect([a.length, b.length, i.length]).toEqual([3, 5, 4]);
    a.fill(1);
    b.fill(2);
    i.fill(3);
    expect([...a, ...b]).toEqual([1, 1, 1, 2, 2, 2, 2, 2]);
    expect([...i]).toEqual([3, 3, 3, 3]);
  });

  it('grows past its buffer without touching what was cut before', () => {
    const s = new Scratch(4);
    const a = s.float64(3);
    a.set([7, 8, 9]);
    const b = s.float64(10);
    b.fill(5);
    const c = s.int32(3);
    const d = s.int32(6);
    c.fill(1);
    d.fill(2);
    expect([...a]).toEqual([7, 8, 9]);
    expect([...b]).toEqual(Array(10).fill(5));
    expect([...c]).toEqual([1, 1, 1]);
    expect([...d]).toEqual(Array(6).fill(2));
  });

  it('gives zeros again after a reset, where the last computation wrote', () => {
    const s = new Scratch(16);
    s.float64(16).fill(4);
    s.int32(16).fill(4);
    s.reset();
    expect([...s.float64(16)]).toEqual(Array(16).fill(0));
    expect([...s.int32(16)]).toEqual(Array(16).fill(0));
  });

  it('lends the kept scratch to one computation at a time: one started inside another gets its own', () => {
    const first = withScratch((s) => s);
    expect(withScratch((s) => s)).toBe(first);
    withScratch((outer) => {
      expect(outer).toBe(first);
      const mine = outer.float64(4);
      mine.set([1, 2, 3, 4]);
      withScratch((inner) => {
        expect(inner).not.toBe(outer);
        inner.float64(4).fill(9);
      });
      expect([...mine]).toEqual([1, 2, 3, 4]);
    });
    // After an error too, the kept scratch is lent again.
    expect(() =>
      withScratch(() => {
        throw new Error('the computation failed');
      }),
    ).toThrow('the computation failed');
    expect(withScratch((s) => s)).toBe(first);
  });
});
