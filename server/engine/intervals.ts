/**
 * Half-open intervals [start, end) on a number line (epoch ms or minutes of a day), kept as sorted,
 * disjoint sets so that "does anything overlap?" is a binary search, not a scan.
 */

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
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const { start, end } of sorted) {
    const last = ends.length - 1;
    if (last >= 0 && start <= ends[last]!) {
      if (end > ends[last]!) ends[last] = end;
    } else {
      starts.push(start);
      ends.push(end);
    }
  }
  return { starts, ends };
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
 * True when some interval of the set overlaps [start, end). Touching is not overlapping.
 * @example overlaps({ starts: [10], ends: [20] }, 20, 30) === false
 */
export function overlaps(set: IntervalSet, start: number, end: number): boolean {
  const i = firstEndingAfter(set, start);
  return i < set.starts.length && set.starts[i]! < end;
}

/**
 * True when [start, end) lies wholly inside the set (inside one interval, since touching ones are merged).
 * @example covers({ starts: [10], ends: [20] }, 10, 20) === true
 */
export function covers(set: IntervalSet, start: number, end: number): boolean {
  const i = firstEndingAfter(set, start);
  return i < set.starts.length && set.starts[i]! <= start && set.ends[i]! >= end;
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
