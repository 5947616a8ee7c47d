/**
 * Half-open intervals [start, end) on a number line (epoch ms or minutes of a day), kept as sorted,
 * disjoint sets so that "does anything overlap?" is a binary search, not a scan.
 */

import { type Scratch, withScratch } from './scratch.ts';

export interface Interval {
  start: number;
  end: number;
}

/**
 * Sorted, disjoint intervals that neither overlap nor touch: `starts[i] < ends[i] < starts[i + 1]`.
 * Both arrays are therefore ascending, which is what the binary searches below rely on.
 */
export interface IntervalSet {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

export const EMPTY_SET: IntervalSet = { starts: [], ends: [] };

/**
 * The union of `intervals` as an interval set; empty intervals are dropped, overlapping and touching
 * ones are merged.
 * @example toIntervalSet([{ start: 5, end: 8 }, { start: 1, end: 3 }, { start: 3, end: 4 }])
 *   // { starts: [1, 5], ends: [4, 8] }
 */
export function toIntervalSet(intervals: readonly Interval[]): IntervalSet {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const i of intervals) {
    starts.push(i.start);
    ends.push(i.end);
  }
  return unionOf(starts, ends);
}

/**
 * The union of the intervals [starts[i], ends[i]) — like `toIntervalSet`, for callers that collect
 * bare numbers. Sorts starts and ends separately (a native numeric sort, no comparator) and sweeps
 * them as open/close events: the union is where at least one interval is open. Input already
 * sorted by start (as a database returns it with `ORDER BY start`) is merged in one pass, unsorted;
 * when it already is a set, the result is the arrays given (the callers build them for the call).
 * @example unionOf([5, 1, 3], [8, 3, 4]) // { starts: [1, 5], ends: [4, 8] }
 */
export function unionOf(starts: readonly number[], ends: readonly number[]): IntervalSet {
  if (isAscending(starts)) return unionOfSorted(starts, ends);
  return withScratch((scratch) => unionOfUnsorted(scratch, starts, ends));
}

function unionOfUnsorted(scratch: Scratch, starts: readonly number[], ends: readonly number[]): IntervalSet {
  let n = 0;
  const opens = scratch.float64(starts.length);
  const closes = scratch.float64(starts.length);
  for (let i = 0; i < starts.length; i++) {
    if (ends[i]! > starts[i]!) {
      opens[n] = starts[i]!;
      closes[n] = ends[i]!;
      n++;
    }
  }
  const o = opens.subarray(0, n).sort();
  const c = closes.subarray(0, n).sort();
  const outStarts: number[] = [];
  const outEnds: number[] = [];
  let depth = 0;
  let i = 0;
  let j = 0;
  while (j < n) {
    // An interval opening where another closes continues the union: opens go first on ties.
    if (i < n && o[i]! <= c[j]!) {
      if (depth++ === 0) outStarts.push(o[i]!);
      i++;
    } else {
      if (--depth === 0) outEnds.push(c[j]!);
      j++;
    }
  }
  return { starts: outStarts, ends: outEnds };
}

/** Whether intervals sorted by start are non-empty and neither overlap nor touch. */
function isDisjoint(starts: readonly number[], ends: readonly number[]): boolean {
  for (let i = 0; i < starts.length; i++) {
    if (!(ends[i]! > starts[i]!) || (i > 0 && starts[i]! <= ends[i - 1]!)) return false;
  }
  return true;
}

function isAscending(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return false;
  return true;
}

function unionOfSorted(starts: readonly number[], ends: readonly number[]): IntervalSet {
  // Already a set (one therapist's appointments seldom touch): the arrays themselves, not a copy.
  if (isDisjoint(starts, ends)) return { starts, ends };
  const outStarts: number[] = [];
  const outEnds: number[] = [];
  let last = -1;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const end = ends[i]!;
    if (end <= start) continue;
    if (last >= 0 && start <= outEnds[last]!) {
      if (end > outEnds[last]!) outEnds[last] = end;
    } else {
      outStarts.push(start);
      outEnds.push(end);
      last++;
    }
  }
  return { starts: outStarts, ends: outEnds };
}

/** The intervals of a set as objects, in order. */
export function intervalsOf(set: IntervalSet): Interval[] {
  return set.starts.map((start, i) => ({ start, end: set.ends[i]! }));
}

/**
 * Index of the first interval whose end lies after `at`, or `set.ends.length` when there is none.
 * That interval is the only candidate for containing or overlapping anything that starts at `at`.
 */
export function firstEndingAfter(set: IntervalSet, at: number): number {
  const ends = set.ends;
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * True when some interval of the set overlaps the non-empty [start, end). Touching is not overlapping.
 * @example overlaps({ starts: [10], ends: [20] }, 20, 30) === false
 */
export function overlaps(set: IntervalSet, start: number, end: number): boolean {
  const i = firstEndingAfter(set, start);
  return i < set.starts.length && set.starts[i]! < end;
}

/**
 * True when the non-empty [start, end) lies wholly inside the set (inside one interval, since touching ones are merged).
 * @example covers({ starts: [10], ends: [20] }, 10, 20) === true
 */
export function covers(set: IntervalSet, start: number, end: number): boolean {
  const i = firstEndingAfter(set, start);
  return i < set.starts.length && set.starts[i]! <= start && set.ends[i]! >= end;
}

/**
 * Where something `length` long can start in `from` minus `remove`: for each gap of at least that
 * length (> 0), the range [lo, hi] of its starts (hi = the gap's end − length), as two arrays of
 * numbers, without an object per gap. The slot search writes them for every therapist into shared
 * arrays instead (`startRangesInto`).
 * @example startRanges({ starts: [0], ends: [100] }, { starts: [40], ends: [50] }, 45)
 *   // { lo: [50], hi: [55] } — the gap 0–40 is too short
 */
export function startRanges(
  from: IntervalSet,
  remove: IntervalSet,
  length: number,
): { lo: number[]; hi: number[] } {
  const out = { lo: new Float64Array(maxStartRanges(from, remove)), hi: new Float64Array(0) };
  out.hi = new Float64Array(out.lo.length);
  const n = startRangesInto(from, remove, length, out, 0);
  return { lo: Array.from(out.lo.subarray(0, n)), hi: Array.from(out.hi.subarray(0, n)) };
}

/** The most ranges `startRanges` can give: each interval removed splits at most one gap in two. */
export function maxStartRanges(from: IntervalSet, remove: IntervalSet): number {
  return from.starts.length + remove.starts.length;
}

/**
 * `startRanges` written into `out` from index `at` on (room for `maxStartRanges` there); returns
 * the index after the last range. A search asks it for every therapist: one pair of arrays for
 * all of them instead of two growing arrays each.
 */
export function startRangesInto(
  from: IntervalSet,
  remove: IntervalSet,
  length: number,
  out: { lo: Float64Array; hi: Float64Array },
  at: number,
): number {
  const { lo, hi } = out;
  let n = at;
  let j = 0;
  for (let i = 0; i < from.starts.length; i++) {
    let start = from.starts[i]!;
    const end = from.ends[i]!;
    while (j < remove.starts.length && remove.ends[j]! <= start) j++;
    let k = j;
    while (start < end && k < remove.starts.length && remove.starts[k]! < end) {
      const next = remove.starts[k]!;
      if (next - start >= length) {
        lo[n] = start;
        hi[n++] = next - length;
      }
      start = Math.max(start, remove.ends[k]!);
      k++;
    }
    if (end - start >= length) {
      lo[n] = start;
      hi[n++] = end - length;
    }
  }
  return n;
}

/**
 * The parts of `from` not covered by `remove`, in order (one linear sweep over both sets).
 * @example subtract(toIntervalSet([{ start: 0, end: 10 }]), toIntervalSet([{ start: 3, end: 5 }]))
 *   // [{ start: 0, end: 3 }, { start: 5, end: 10 }]
 */
export function subtract(from: IntervalSet, remove: IntervalSet): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (let i = 0; i < from.starts.length; i++) {
    let start = from.starts[i]!;
    const end = from.ends[i]!;
    while (j < remove.starts.length && remove.ends[j]! <= start) j++;
    let k = j;
    while (start < end && k < remove.starts.length && remove.starts[k]! < end) {
      if (remove.starts[k]! > start) out.push({ start, end: remove.starts[k]! });
      start = Math.max(start, remove.ends[k]!);
      k++;
    }
    if (start < end) out.push({ start, end });
  }
  return out;
}
