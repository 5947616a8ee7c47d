/**
 * A therapist's working hours on one local date, in wall-clock minutes of the day.
 */

import { weekdayOf } from '../../shared/time.ts';
import { type Interval, intervalsOf, subtract, toIntervalSet } from './intervals.ts';

/** Regular hours on an ISO weekday (1 = Monday … 7 = Sunday), minutes of the day [start, end). */
export interface WeeklyHours {
  weekday: number;
  startMinute: number;
  endMinute: number;
}

/**
 * A dated change to the regular hours. `closed` without times closes the whole day, `closed` with
 * times removes that part, `open` adds hours (also on a day with no regular hours).
 */
export interface HoursException {
  date: string;
  kind: 'closed' | 'open';
  startMinute?: number | null;
  endMinute?: number | null;
}

export interface TherapistHours {
  weeklyHours: readonly WeeklyHours[];
  exceptions: readonly HoursException[];
}

function clampedRange(start: number | null | undefined, end: number | null | undefined): Interval | null {
  if (start == null || end == null) return null;
  const s = Math.max(0, start);
  const e = Math.min(1440, end);
  return e > s ? { start: s, end: e } : null;
}

/**
 * The working minutes of `date`, sorted and merged: the weekday's regular hours, emptied by a
 * whole-day closure, plus every `open` exception, minus every partial `closed` exception (a closure
 * wins over extra hours at the same time). `weekday` (ISO) may be passed when the caller knows it.
 * @example
 * workingMinutes({ weeklyHours: [{ weekday: 3, startMinute: 480, endMinute: 1080 }],
 *   exceptions: [{ date: '2026-06-10', kind: 'closed', startMinute: 720, endMinute: 840 }] }, '2026-06-10')
 *   // [{ start: 480, end: 720 }, { start: 840, end: 1080 }]
 */
export function workingMinutes(
  hours: TherapistHours,
  date: string,
  weekday = weekdayOf(date),
): readonly Interval[] {
  // Most days have no exception: then nothing is made (a search asks for every day of every therapist).
  let todays: HoursException[] | undefined;
  for (const x of hours.exceptions) {
    if (x.date !== date) continue;
    todays ??= [];
    todays.push(x);
  }
  if (todays === undefined) return regularMinutes(hours.weeklyHours, weekday);
  const wholeDayClosed = todays.some(
    (x) => x.kind === 'closed' && (x.startMinute == null || x.endMinute == null),
  );
  const open: Interval[] = wholeDayClosed ? [] : [...regularMinutes(hours.weeklyHours, weekday)];
  const closed: Interval[] = [];
  for (const x of todays) {
    const r = clampedRange(x.startMinute, x.endMinute);
    if (r) (x.kind === 'open' ? open : closed).push(r);
  }
  const merged = toIntervalSet(open);
  return closed.length === 0 ? intervalsOf(merged) : subtract(merged, toIntervalSet(closed));
}

/**
 * The regular hours of an ISO weekday, sorted and merged; worked out once per list of weekly hours
 * (a configuration's lists are not changed once made: a new configuration makes new ones), as a
 * search asks for every day of every therapist. Frozen, as every caller shares them.
 */
function regularMinutes(weekly: readonly WeeklyHours[], weekday: number): readonly Interval[] {
  let table = regular.get(weekly);
  if (!table) {
    table = Array.from({ length: 7 }, (_, i) => {
      const open: Interval[] = [];
      for (const w of weekly) {
        const r = w.weekday === i + 1 ? clampedRange(w.startMinute, w.endMinute) : null;
        if (r) open.push(r);
      }
      return Object.freeze(intervalsOf(toIntervalSet(open)).map((r) => Object.freeze(r)));
    });
    regular.set(weekly, table);
  }
  return table[weekday - 1] ?? [];
}

const regular = new WeakMap<readonly WeeklyHours[], readonly (readonly Interval[])[]>();
