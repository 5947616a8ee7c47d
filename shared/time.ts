/**
 * Wall-clock time in a practice's time zone, with nothing but `Intl`.
 *
 * Instants are epoch milliseconds (UTC). A local date is `YYYY-MM-DD`; a local time is the minute
 * of the day (0–1439). Weekdays are ISO: Monday = 1 … Sunday = 7.
 */

import type { Instant } from './domain.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, Map<number, number>>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows, e.g. `isTimeZone('Europe/Berlin')`. */
export function isTimeZone(timeZone: string): boolean {
  if (formatters.has(timeZone)) return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's offset from UTC at an instant, in milliseconds (local − UTC).
 * @example offsetAt(Date.UTC(2026, 0, 1), 'Europe/Berlin') === 3_600_000
 */
export function offsetAt(instant: Instant, timeZone: string): number {
  let perZone = offsetCache.get(timeZone);
  if (!perZone) {
    perZone = new Map();
    offsetCache.set(timeZone, perZone);
  }
  // Offsets change a few times a year. A quarter hour whose two ends have the same offset has it
  // throughout (no zone changes twice within 15 minutes), so it is cached as a whole; a quarter
  // hour with a change in it is answered minute by minute.
  const bucket = Math.floor(instant / QUARTER);
  let offset = perZone.get(bucket);
  if (offset === undefined) {
    const a = exactOffset(bucket * QUARTER, timeZone);
    offset = a === exactOffset((bucket + 1) * QUARTER - MINUTE, timeZone) ? a : Number.NaN;
    if (perZone.size > 100_000) perZone.clear();
    perZone.set(bucket, offset);
  }
  return Number.isNaN(offset) ? exactOffset(Math.floor(instant / MINUTE) * MINUTE, timeZone) : offset;
}

const QUARTER = 15 * MINUTE;

/** The offset at a whole minute, asked of Intl. */
function exactOffset(at: Instant, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  return asUtc - at;
}

/** Parses `YYYY-MM-DD` into its parts, or throws. */
export function parseDate(date: string): { year: number; month: number; day: number } {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const probe = new Date(utcMidnight(year, month, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new RangeError(`no such date: ${date}`);
  }
  return { year, month, day };
}

/** Epoch ms of 00:00 UTC on a date; years 0–99 are years 0–99 (`Date.UTC` would take them for 1900–1999). */
function utcMidnight(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

/** True for a real calendar date written `YYYY-MM-DD`, from 1900 to 2999 (the range input may use). */
export function isDate(date: string): boolean {
  try {
    const { year } = parseDate(date);
    return year >= 1900 && year <= 2999;
  } catch {
    return false;
  }
}

/**
 * Day numbers (days since 1970-01-01) of the dates seen lately. Slot searches and bookings turn
 * the same few dozen dates into numbers over and over; parsing and validating each time was a
 * noticeable share of a booking's time. Bounded: cleared when full.
 */
const dayNumbers = new Map<string, number>();

/** Days since 1970-01-01 of a valid `YYYY-MM-DD`, or throws like `parseDate`. */
function dayNumberOf(date: string): number {
  let n = dayNumbers.get(date);
  if (n === undefined) {
    const { year, month, day } = parseDate(date);
    n = Math.round(utcMidnight(year, month, day) / DAY);
    if (dayNumbers.size >= 10_000) dayNumbers.clear();
    dayNumbers.set(date, n);
  }
  return n;
}

/** `YYYY-MM-DD` of a day number. */
function dateOfDayNumber(n: number): string {
  const { year, month, day } = civilFromDays(n);
  return formatDate(year, month, day);
}

/** Day numbers of 0001-01-01 and 9999-12-31: the dates `YYYY-MM-DD` can write. */
const FIRST_DAY = -719_162;
const LAST_DAY = 2_932_896;

/** @example addDays('2026-03-28', 2) === '2026-03-30' */
export function addDays(date: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError(`not a whole number of days: ${days}`);
  const n = dayNumberOf(date) + days;
  if (n < FIRST_DAY || n > LAST_DAY) throw new RangeError(`${date} + ${days} days is past year 1–9999`);
  return dateOfDayNumber(n);
}

/** Whole days from `a` to `b`. @example daysBetween('2026-01-01', '2026-01-31') === 30 */
export function daysBetween(a: string, b: string): number {
  return dayNumberOf(b) - dayNumberOf(a);
}

/** ISO weekday of a local date, Monday = 1 … Sunday = 7. */
export function weekdayOf(date: string): number {
  const dow = (((dayNumberOf(date) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return dow === 0 ? 7 : dow;
}

/**
 * The instant at which the wall clock in `timeZone` shows `date` at `minuteOfDay`.
 * Returns `null` for a time that does not exist (skipped by a clock change); for a time that
 * exists twice it returns the earlier instant. `minuteOfDay` may be 1440 (midnight of the next day).
 * @example localToInstant('2026-03-29', 8 * 60, 'Europe/Berlin') === Date.UTC(2026, 2, 29, 6)
 */
export function localToInstant(date: string, minuteOfDay: number, timeZone: string): Instant | null {
  const wall = dayNumberOf(date) * DAY + minuteOfDay * MINUTE;
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  let best: Instant | null = null;
  for (const offset of before === after ? [before] : [before, after]) {
    const candidate = wall - offset;
    if (candidate + offsetAt(candidate, timeZone) === wall && (best === null || candidate < best)) {
      best = candidate;
    }
  }
  return best;
}

/** Like `localToInstant`, but a skipped wall-clock time moves forward to the first one that exists. */
export function localToInstantLenient(date: string, minuteOfDay: number, timeZone: string): Instant {
  for (let m = minuteOfDay; m <= minuteOfDay + 180; m++) {
    const t = localToInstant(date, m, timeZone);
    if (t !== null) return t;
  }
  throw new RangeError(`no local time near ${date} ${minuteOfDay} in ${timeZone}`);
}

/** The first instant of a local day. */
export function startOfLocalDay(date: string, timeZone: string): Instant {
  return localToInstantLenient(date, 0, timeZone);
}

export interface LocalTime {
  date: string;
  minuteOfDay: number;
  weekday: number;
  offsetMinutes: number;
}

/**
 * The calendar date of a day number (days since 1970-01-01), by Howard Hinnant's civil-from-days:
 * plain integer arithmetic, many times faster than going through `Date` and `toISOString`.
 */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function formatDate(year: number, month: number, day: number): string {
  return `${year < 1000 ? String(year).padStart(4, '0') : year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** What the wall clock in `timeZone` shows at `instant`. */
export function instantToLocal(instant: Instant, timeZone: string): LocalTime {
  const offset = offsetAt(instant, timeZone);
  const local = instant + offset;
  const days = Math.floor(local / DAY);
  const { year, month, day } = civilFromDays(days);
  const dow = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return {
    date: formatDate(year, month, day),
    minuteOfDay: Math.floor((local - days * DAY) / MINUTE),
    weekday: dow === 0 ? 7 : dow,
    offsetMinutes: Math.round(offset / MINUTE),
  };
}

/** The local date of an instant. */
export function localDate(instant: Instant, timeZone: string): string {
  return instantToLocal(instant, timeZone).date;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `HH:MM` for a minute of the day. @example formatMinute(545) === '09:05' */
export function formatMinute(minuteOfDay: number): string {
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
}

/** Minute of the day for `HH:MM` (24:00 allowed), or throws. */
export function parseMinute(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new RangeError(`not a time (HH:MM): ${hhmm}`);
  const h = Number(m[1]);
  const mi = Number(m[2]);
  if (mi > 59 || h > 24 || (h === 24 && mi !== 0)) throw new RangeError(`no such time: ${hhmm}`);
  return h * 60 + mi;
}

/**
 * ISO-8601 with the zone's offset at that instant.
 * @example toIsoWithOffset(Date.UTC(2026, 6, 1, 7), 'Europe/Berlin') === '2026-07-01T09:00:00+02:00'
 */
export function toIsoWithOffset(instant: Instant, timeZone: string): string {
  // The offset as written (whole minutes; some historical offsets had seconds), and the wall clock
  // from that same offset, so the text always denotes `instant` (to the second).
  const off = Math.round(offsetAt(instant, timeZone) / MINUTE);
  const local = instant + off * MINUTE;
  const days = Math.floor(local / DAY);
  // A slots answer writes hundreds of times of a few days at one offset: the date and the offset
  // are written once and kept for the next call.
  if (days !== iso.days) {
    const { year, month, day } = civilFromDays(days);
    iso.date = formatDate(year, month, day);
    iso.days = days;
  }
  if (off !== iso.offset) {
    const abs = Math.abs(off);
    iso.offsetText = `${off < 0 ? '-' : '+'}${TWO_DIGITS[Math.floor(abs / 60)]}:${TWO_DIGITS[abs % 60]}`;
    iso.offset = off;
  }
  const ms = local - days * DAY;
  const minute = Math.floor(ms / MINUTE);
  return `${iso.date}T${TWO_DIGITS[Math.floor(minute / 60)]}:${TWO_DIGITS[minute % 60]}:${TWO_DIGITS[Math.floor((ms % MINUTE) / 1000)]}${iso.offsetText}`;
}

/**
 * `toIsoWithOffset` for many instants of one zone, as a slots answer writes them: the same text,
 * about twice as fast. The date, the offset and the minute of the day come from tables kept by the
 * writer (a whole minute is written from one table entry); an instant with seconds is passed on.
 */
export function isoWriter(timeZone: string): (instant: Instant) => string {
  let days = Number.NaN;
  let offset = Number.NaN;
  let prefix = '';
  let suffix = '';
  return (instant) => {
    const off = Math.round(offsetAt(instant, timeZone) / MINUTE);
    const local = instant + off * MINUTE;
    const ms = local - Math.floor(local / DAY) * DAY;
    if (ms % MINUTE !== 0) return toIsoWithOffset(instant, timeZone);
    const d = (local - ms) / DAY;
    if (d !== days || off !== offset) {
      const { year, month, day } = civilFromDays(d);
      const abs = Math.abs(off);
      prefix = `${formatDate(year, month, day)}T`;
      suffix = `:00${off < 0 ? '-' : '+'}${TWO_DIGITS[Math.floor(abs / 60)]}:${TWO_DIGITS[abs % 60]}`;
      days = d;
      offset = off;
    }
    return prefix + HOURS_MINUTES[ms / MINUTE] + suffix;
  };
}

/** `00:00` … `23:59`, by minute of the day. */
const HOURS_MINUTES = Array.from(
  { length: 24 * 60 },
  (_, m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`,
);

/** `00` … `99`. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/** `toIsoWithOffset`'s last date and offset, as written. */
const iso = { days: Number.NaN, date: '', offset: Number.NaN, offsetText: '' };

/** Age in whole years on a local date, from a birth date. @example ageOn('2008-03-01', '2026-02-28') === 17 */
export function ageOn(birthDate: string, onDate: string): number {
  const b = parseDate(birthDate);
  const d = parseDate(onDate);
  let age = d.year - b.year;
  if (d.month < b.month || (d.month === b.month && d.day < b.day)) age--;
  return age;
}
