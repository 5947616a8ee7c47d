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
export function workingMinutes(hours: TherapistHours, date: string, weekday = weekdayOf(date)): Interval[] {
  const todays = hours.exceptions.filter((x) => x.date === date);
  const wholeDayClosed = todays.some(
    (x) => x.kind === 'closed' && (x.startMinute == null || x.endMinute == null),
  );
  const open: Interval[] = [];
  if (!wholeDayClosed) {
    for (const w of hours.weeklyHours) {
      const r = w.weekday === weekday ? clampedRange(w.startMinute, w.endMinute) : null;
      if (r) open.push(r);
    }
  }
  const closed: Interval[] = [];
  for (const x of todays) {
    const r = clampedRange(x.startMinute, x.endMinute);
    if (r) (x.kind === 'open' ? open : closed).push(r);
  }
  const merged = toIntervalSet(open);
  return closed.length === 0 ? intervalsOf(merged) : subtract(merged, toIntervalSet(closed));
}
