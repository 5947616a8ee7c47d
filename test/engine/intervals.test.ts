import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  covers,
  type Interval,
  type IntervalSet,
  intervalsOf,
  overlaps,
  startRanges,
  subtract,
  toIntervalSet,
  unionOf,
} from '../../server/engine/intervals.ts';

const interval = fc
  .record({ start: fc.integer({ min: 0, max: 60 }), length: fc.integer({ min: -2, max: 15 }) })
  .map(({ start, length }): Interval => ({ start, end: start + length }));
const intervals = fc.array(interval, { maxLength: 12 });
const nonEmptyInterval = interval.filter((i) => i.end > i.start);

/** Whether the half-open unit [x, x + 1) lies in any of the intervals (all bounds are integers). */
const inAny = (list: readonly Interval[], x: number) => list.some((i) => i.start <= x && x + 1 <= i.end);
const inSet = (set: IntervalSet, x: number) => covers(set, x, x + 1);

function isNormal(set: IntervalSet): boolean {
  return set.starts.every(
    (s, i) => s < set.ends[i]! && (i === 0 || set.ends[i - 1]! < s) && set.starts.length === set.ends.length,
  );
}

describe('interval sets', () => {
  it('merge overlapping and touching intervals and drop empty ones', () => {
    expect(
      intervalsOf(
        toIntervalSet([
          { start: 5, end: 8 },
          { start: 1, end: 3 },
          { start: 3, end: 4 },
          { start: 9, end: 9 },
        ]),
      ),
    ).toEqual([
      { start: 1, end: 4 },
      { start: 5, end: 8 },
    ]);
  });

  it('treat touching as not overlapping', () => {
    const set = toIntervalSet([{ start: 10, end: 20 }]);
    expect(overlaps(set, 0, 10)).toBe(false);
    expect(overlaps(set, 20, 30)).toBe(false);
    expect(overlaps(set, 19, 30)).toBe(true);
    expect(covers(set, 10, 20)).toBe(true);
    expect(covers(set, 10, 21)).toBe(false);
  });

  it('hold exactly the points of their intervals, sorted, disjoint and apart, in any input order', () => {
    fc.assert(
      fc.property(intervals, (list) => {
        const set = unionOf(
          list.map((i) => i.start),
          list.map((i) => i.end),
        );
        expect(isNormal(set)).toBe(true);
        expect(set).toEqual(toIntervalSet([...list].sort((a, b) => a.start - b.start)));
        for (let x = -1; x < 80; x++) expect(inSet(set, x)).toBe(inAny(list, x));
      }),
    );
  });

  it('answer overlap and cover questions like a scan of every interval', () => {
    fc.assert(
      fc.property(intervals, nonEmptyInterval, (list, probe) => {
        const nonEmpty = list.filter((i) => i.end > i.start);
        const scan = nonEmpty.some((i) => i.start < probe.end && probe.start < i.end);
        expect(overlaps(toIntervalSet(list), probe.start, probe.end)).toBe(scan);
        expect(covers(toIntervalSet(list), probe.start, probe.end)).toBe(
          Array.from({ length: probe.end - probe.start }, (_, k) => probe.start + k).every((x) =>
            inAny(list, x),
          ),
        );
      }),
    );
  });

  it('subtract point by point', () => {
    fc.assert(
      fc.property(intervals, intervals, (a, b) => {
        const rest = subtract(toIntervalSet(a), toIntervalSet(b));
        expect(isNormal(toIntervalSet(rest))).toBe(true);
        expect(toIntervalSet(rest)).toEqual({
          starts: rest.map((i) => i.start),
          ends: rest.map((i) => i.end),
        });
        for (let x = -1; x < 80; x++) expect(inAny(rest, x)).toBe(inAny(a, x) && !inAny(b, x));
      }),
    );
  });

  it('start ranges: exactly the starts from which `length` lies wholly in the difference', () => {
    fc.assert(
      fc.property(intervals, intervals, fc.integer({ min: 1, max: 12 }), (a, b, length) => {
        const { lo, hi } = startRanges(toIntervalSet(a), toIntervalSet(b), length);
        expect(lo).toHaveLength(hi.length);
        const inRanges = (x: number) => lo.some((l, i) => l <= x && x <= hi[i]!);
        for (let x = -1; x < 80; x++) {
          let fits = true;
          for (let y = x; y < x + length; y++) fits &&= inAny(a, y) && !inAny(b, y);
          expect(inRanges(x), `start ${x}`).toBe(fits);
        }
      }),
    );
    expect(startRanges({ starts: [0], ends: [100] }, { starts: [40], ends: [50] }, 45)).toEqual({
      lo: [50],
      hi: [55],
    });
  });
});
