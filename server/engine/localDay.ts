/**
 * One local calendar day in a time zone, with fast conversions between its wall-clock minutes and
 * UTC instants. Most days have 24 hours at a single offset, so a minute is `start + m × 60 000`; on
 * days with a clock change every conversion goes through `shared/time.ts`.
 */

import {
  DAY,
  instantToLocal,
  localToInstant,
  localToInstantLenient,
  MINUTE,
  offsetAt,
  startOfLocalDay,
  weekdayOf,
} from '../../shared/time.ts';

export interface LocalDay {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** ISO weekday, Monday = 1 … Sunday = 7. */
  readonly weekday: number;
  /** The first instant of the day. */
  readonly start: number;
  /** The first instant of the next day. */
  readonly end: number;
  /** False on a day with a clock change (it has 23 or 25 hours). */
  readonly uniform: boolean;
  /**
   * The instant the wall clock shows `minute` (0–1440) on this day: `null` for a time skipped by a
   * clock change, the earlier instant for a time that occurs twice.
   */
  at(minute: number): number | null;
  /** Like `at`, but a skipped time moves forward to the first wall-clock time that exists. */
  atOrAfter(minute: number): number;
  /** The local minute of the day (0–1439) of an instant in [start, end). */
  minuteOf(instant: number): number;
}

/**
 * @example
 * const d = localDay('2026-03-29', 'Europe/Berlin');
 * d.at(8 * 60) === Date.UTC(2026, 2, 29, 6); d.at(2 * 60 + 30) === null; d.end - d.start === 23 * HOUR
 */
export function localDay(date: string, timeZone: string): LocalDay {
  // Immutable and asked for the same few dates over and over: kept (bounded, cleared when full).
  const key = `${timeZone}|${date}`;
  let day = days.get(key);
  if (!day) {
    day = makeLocalDay(date, timeZone);
    if (days.size >= 4_096) days.clear();
    days.set(key, day);
  }
  return day;
}

const days = new Map<string, LocalDay>();

function makeLocalDay(date: string, timeZone: string): LocalDay {
  const midnight = localToInstant(date, 0, timeZone);
  const nextMidnight = localToInstant(date, 1440, timeZone);
  const start = midnight ?? startOfLocalDay(date, timeZone);
  const end = nextMidnight ?? localToInstantLenient(date, 1440, timeZone);
  const uniform =
    midnight !== null &&
    nextMidnight !== null &&
    end - start === DAY &&
    offsetAt(start, timeZone) === offsetAt(end - 1, timeZone);
  const weekday = weekdayOf(date);
  if (uniform) {
    const perMinute = MINUTE;
    return Object.freeze<LocalDay>({
      date,
      weekday,
      start,
      end,
      uniform,
      at: (minute) => start + minute * perMinute,
      atOrAfter: (minute) => start + minute * perMinute,
      minuteOf: (instant) => Math.floor((instant - start) / perMinute),
    });
  }
  return Object.freeze<LocalDay>({
    date,
    weekday,
    start,
    end,
    uniform,
    at: (minute) => localToInstant(date, minute, timeZone),
    atOrAfter: (minute) => localToInstantLenient(date, minute, timeZone),
    minuteOf: (instant) => instantToLocal(instant, timeZone).minuteOfDay,
  });
}
