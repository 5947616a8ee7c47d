/**
 * Calendar arithmetic on local dates: the same answers as the Date object gives, for any date the
 * product accepts (1900–2999), however often a date is asked for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  ageOn,
  DAY,
  daysBetween,
  formatMinute,
  HOUR,
  instantToLocal,
  isDate,
  isoWriter,
  isTimeZone,
  localDate,
  localToInstant,
  localToInstantLenient,
  MINUTE,
  offsetAt,
  parseDate,
  parseMinute,
  startOfLocalDay,
  toIsoWithOffset,
  weekdayOf,
} from '../../shared/time.ts';

const utc = (date: string) => Date.parse(`${date}T00:00:00Z`);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const dates = fc
  .date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2999, 11, 31)), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('calendar arithmetic', () => {
  it('adds days, counts days and names weekdays as the Date object does', () => {
    fc.assert(
      fc.property(dates, fc.integer({ min: -800, max: 800 }), (date, n) => {
        expect(addDays(date, n)).toBe(iso(utc(date) + n * DAY));
        expect(daysBetween(date, addDays(date, n))).toBe(n);
        const dow = new Date(utc(date)).getUTCDay();
        expect(weekdayOf(date)).toBe(dow === 0 ? 7 : dow);
      }),
      { numRuns: 2000 },
    );
  });

  it('crosses month, leap-day and year ends', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('1900-01-01', -1)).toBe('1899-12-31');
    expect(daysBetween('2026-01-01', '2027-01-01')).toBe(365);
    expect(weekdayOf('2026-11-27')).toBe(5);
  });

  it('refuses a fractional, non-finite or far too large number of days', () => {
    expect(() => addDays('2026-01-01', 0.5)).toThrow(RangeError);
    expect(() => addDays('2026-01-01', Number.NaN)).toThrow(RangeError);
    expect(() => addDays('2026-01-01', 1e8)).toThrow(RangeError);
    expect(addDays('9999-12-30', 1)).toBe('9999-12-31');
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
  });

  it('refuses what is not a date, every time it is asked', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
      expect(() => weekdayOf('2026-13-01')).toThrow(RangeError);
      expect(() => daysBetween('26-01-01', '2026-01-01')).toThrow(RangeError);
    }
  });

  it('finds wall-clock times on both clock-change days in Berlin', () => {
    // Spring: 02:30 does not exist; 03:00 CEST is 01:00 UTC.
    expect(localToInstant('2026-03-29', 150, 'Europe/Berlin')).toBeNull();
    expect(localToInstant('2026-03-29', 180, 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1));
    // Autumn: 02:30 exists twice; the earlier (CEST, 00:30 UTC) is meant.
    expect(localToInstant('2026-10-25', 150, 'Europe/Berlin')).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(localToInstant('2026-10-25', 8 * 60, 'Europe/Berlin')).toBe(Date.UTC(2026, 9, 25, 7));
  });
});

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const KOLKATA = 'Asia/Kolkata';

describe('MINUTE, HOUR and DAY', () => {
  it('are a minute, an hour and a day of 24 hours in milliseconds', () => {
    expect(MINUTE).toBe(60_000);
    expect(HOUR).toBe(3_600_000);
    expect(DAY).toBe(86_400_000);
  });

  it('build on each other: an hour is 60 minutes, a day is 24 hours', () => {
    expect(HOUR).toBe(60 * MINUTE);
    expect(DAY).toBe(24 * HOUR);
  });

  it('are a length of time, not a local day: a clock-change day in Berlin is not DAY long', () => {
    expect(startOfLocalDay('2026-03-30', BERLIN) - startOfLocalDay('2026-03-29', BERLIN)).toBe(DAY - HOUR);
    expect(startOfLocalDay('2026-10-26', BERLIN) - startOfLocalDay('2026-10-25', BERLIN)).toBe(DAY + HOUR);
  });
});

describe('isTimeZone', () => {
  it('is true for IANA zones east and west of UTC and with a non-hour offset', () => {
    expect(isTimeZone(BERLIN)).toBe(true);
    expect(isTimeZone(NEW_YORK)).toBe(true);
    expect(isTimeZone(KOLKATA)).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
  });

  it('is true for an old name the zone database still links, e.g. Asia/Calcutta', () => {
    expect(isTimeZone('Asia/Calcutta')).toBe(true);
  });

  it('is false for a name no zone has, a city without its area, padding and the empty string', () => {
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('Berlin')).toBe(false);
    expect(isTimeZone('Europe/Berlin ')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('gives the same answer however often it is asked', () => {
    for (let i = 0; i < 3; i++) {
      expect(isTimeZone(BERLIN)).toBe(true);
      expect(isTimeZone('Mars/Olympus')).toBe(false);
    }
  });
});

describe('offsetAt', () => {
  it('is local time minus UTC in milliseconds: +1 h in Berlin in winter, +2 h in summer', () => {
    expect(offsetAt(Date.UTC(2026, 0, 1), BERLIN)).toBe(HOUR);
    expect(offsetAt(Date.UTC(2026, 6, 1), BERLIN)).toBe(2 * HOUR);
  });

  it('changes in Berlin at exactly 01:00 UTC on 2026-03-29 (02:00 → 03:00 local)', () => {
    expect(offsetAt(Date.UTC(2026, 2, 29, 0, 59, 59, 999), BERLIN)).toBe(HOUR);
    expect(offsetAt(Date.UTC(2026, 2, 29, 1), BERLIN)).toBe(2 * HOUR);
  });

  it('changes in Berlin at exactly 01:00 UTC on 2026-10-25 (03:00 → 02:00 local)', () => {
    expect(offsetAt(Date.UTC(2026, 9, 25, 0, 59, 59, 999), BERLIN)).toBe(2 * HOUR);
    expect(offsetAt(Date.UTC(2026, 9, 25, 1), BERLIN)).toBe(HOUR);
  });

  it('is negative west of UTC and changes at 02:00 local in New York (2026-03-08, 2026-11-01)', () => {
    expect(offsetAt(Date.UTC(2026, 0, 1), NEW_YORK)).toBe(-5 * HOUR);
    expect(offsetAt(Date.UTC(2026, 2, 8, 6, 59, 59, 999), NEW_YORK)).toBe(-5 * HOUR);
    expect(offsetAt(Date.UTC(2026, 2, 8, 7), NEW_YORK)).toBe(-4 * HOUR);
    expect(offsetAt(Date.UTC(2026, 10, 1, 5, 59, 59, 999), NEW_YORK)).toBe(-4 * HOUR);
    expect(offsetAt(Date.UTC(2026, 10, 1, 6), NEW_YORK)).toBe(-5 * HOUR);
  });

  it('is +5:30 in Kolkata all year round', () => {
    for (const instant of [Date.UTC(2026, 0, 1), Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1)]) {
      expect(offsetAt(instant, KOLKATA)).toBe(5 * HOUR + 30 * MINUTE);
    }
  });

  it('does not change over the turn of the year or on a leap day', () => {
    expect(offsetAt(Date.UTC(2026, 11, 31, 22, 59, 59, 999), BERLIN)).toBe(HOUR);
    expect(offsetAt(Date.UTC(2026, 11, 31, 23), BERLIN)).toBe(HOUR);
    expect(offsetAt(Date.UTC(2027, 0, 1, 4, 59), NEW_YORK)).toBe(-5 * HOUR);
    expect(offsetAt(Date.UTC(2027, 0, 1, 5), NEW_YORK)).toBe(-5 * HOUR);
    expect(offsetAt(Date.UTC(2028, 1, 29, 12), BERLIN)).toBe(HOUR);
  });

  it('answers alike for every minute around a change, however often it is asked', () => {
    for (let round = 0; round < 2; round++) {
      for (let m = -30; m < 30; m++) {
        const instant = Date.UTC(2026, 2, 29, 1) + m * MINUTE;
        expect(offsetAt(instant, BERLIN)).toBe(m < 0 ? HOUR : 2 * HOUR);
      }
    }
  });

  it('throws a RangeError for an unknown zone or an instant that is not a time', () => {
    expect(() => offsetAt(Date.UTC(2026, 0, 1), 'Mars/Olympus')).toThrow(RangeError);
    expect(() => offsetAt(Number.NaN, BERLIN)).toThrow(RangeError);
    expect(() => offsetAt(8.64e15 + 1, BERLIN)).toThrow(RangeError);
  });
});

describe('parseDate', () => {
  it('splits YYYY-MM-DD into year, month (1–12) and day', () => {
    expect(parseDate('2026-03-29')).toEqual({ year: 2026, month: 3, day: 29 });
    expect(parseDate('2026-10-25')).toEqual({ year: 2026, month: 10, day: 25 });
  });

  it('knows the last and the first day of a year', () => {
    expect(parseDate('2026-12-31')).toEqual({ year: 2026, month: 12, day: 31 });
    expect(parseDate('2027-01-01')).toEqual({ year: 2027, month: 1, day: 1 });
  });

  it('accepts 29 February in leap years only (2028 and 2000 yes; 2027 and 2100 no)', () => {
    expect(parseDate('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    expect(parseDate('2000-02-29')).toEqual({ year: 2000, month: 2, day: 29 });
    expect(() => parseDate('2027-02-29')).toThrow(RangeError);
    expect(() => parseDate('2100-02-29')).toThrow(RangeError);
  });

  it('parses years outside the range input may use (that is isDate’s job)', () => {
    expect(parseDate('1899-12-31')).toEqual({ year: 1899, month: 12, day: 31 });
    expect(parseDate('9999-12-31')).toEqual({ year: 9999, month: 12, day: 31 });
  });

  it('throws a RangeError "no such date" for a day or month the calendar does not have', () => {
    for (const date of ['2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-02-30']) {
      expect(() => parseDate(date)).toThrow(new RangeError(`no such date: ${date}`));
    }
  });

  it('throws a RangeError "not a date" for anything not written exactly YYYY-MM-DD', () => {
    for (const date of [
      '',
      '2026-1-1',
      '26-01-01',
      '2026/01/01',
      '2026-01-01T00:00',
      ' 2026-01-01',
      '2026-01-01\n',
      '+2026-01-01',
    ]) {
      expect(() => parseDate(date)).toThrow(new RangeError(`not a date (YYYY-MM-DD): ${date}`));
    }
  });
});

describe('isDate', () => {
  it('is true for real calendar dates, year ends and leap days included', () => {
    for (const date of ['2026-03-29', '2026-10-25', '2026-12-31', '2027-01-01', '2028-02-29']) {
      expect(isDate(date)).toBe(true);
    }
  });

  it('is true from 1900-01-01 to 2999-12-31 and false just outside', () => {
    expect(isDate('1900-01-01')).toBe(true);
    expect(isDate('2999-12-31')).toBe(true);
    expect(isDate('1899-12-31')).toBe(false);
    expect(isDate('3000-01-01')).toBe(false);
  });

  it('is false, and does not throw, for dates that do not exist or are written otherwise', () => {
    for (const date of ['2027-02-29', '2026-13-01', '2026-04-31', '2026-1-1', '2026-01-01 ', '']) {
      expect(isDate(date)).toBe(false);
    }
  });
});

describe('addDays', () => {
  it('counts calendar days, so clock-change days are one day each', () => {
    expect(addDays('2026-03-28', 1)).toBe('2026-03-29');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(addDays('2026-10-24', 2)).toBe('2026-10-26');
    expect(addDays('2026-10-26', -2)).toBe('2026-10-24');
  });

  it('crosses the turn of the year both ways', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(addDays('2026-12-01', 45)).toBe('2027-01-15');
  });

  it('passes through 29 February in a leap year and skips it otherwise', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2028-02-29', 1)).toBe('2028-03-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2028-02-29', 366)).toBe('2029-03-01');
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28');
  });

  it('returns the same date for 0 days', () => {
    expect(addDays('2028-02-29', 0)).toBe('2028-02-29');
  });

  it('throws a RangeError for a date that is not one, every time it is asked', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => addDays('2027-02-29', 1)).toThrow(RangeError);
      expect(() => addDays('2026-1-1', 1)).toThrow(RangeError);
    }
  });

  it('throws a RangeError for infinite or unsafe numbers of days and for results past 0001–9999', () => {
    expect(() => addDays('2026-01-01', Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => addDays('2026-01-01', 2 ** 53)).toThrow(RangeError);
    expect(() => addDays('2026-01-01', -1e8)).toThrow(RangeError);
  });
});

describe('daysBetween', () => {
  it('counts a 23-hour and a 25-hour day as one day each', () => {
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(daysBetween('2026-10-24', '2026-10-26')).toBe(2);
  });

  it('is one from 31 December to 1 January', () => {
    expect(daysBetween('2026-12-31', '2027-01-01')).toBe(1);
  });

  it('counts 366 days in the leap year 2028 and 365 in 2027', () => {
    expect(daysBetween('2028-01-01', '2029-01-01')).toBe(366);
    expect(daysBetween('2027-01-01', '2028-01-01')).toBe(365);
    expect(daysBetween('2028-02-28', '2028-03-01')).toBe(2);
  });

  it('is 0 for the same date and negative when the second date comes first', () => {
    expect(daysBetween('2026-03-29', '2026-03-29')).toBe(0);
    expect(daysBetween('2027-01-01', '2026-12-31')).toBe(-1);
  });

  it('throws a RangeError when either date is not one', () => {
    expect(() => daysBetween('2027-02-29', '2027-03-01')).toThrow(RangeError);
    expect(() => daysBetween('2027-03-01', '2027-3-1')).toThrow(RangeError);
  });
});

describe('weekdayOf', () => {
  it('is ISO: Monday = 1 … Sunday = 7', () => {
    expect(weekdayOf('2026-03-30')).toBe(1);
    expect(weekdayOf('2026-04-01')).toBe(3);
    expect(weekdayOf('2026-04-05')).toBe(7);
  });

  it('gives Sunday for both clock-change days in Berlin', () => {
    expect(weekdayOf('2026-03-29')).toBe(7);
    expect(weekdayOf('2026-10-25')).toBe(7);
  });

  it('carries on over the turn of the year and a leap day', () => {
    expect(weekdayOf('2026-12-31')).toBe(4);
    expect(weekdayOf('2027-01-01')).toBe(5);
    expect(weekdayOf('2028-02-29')).toBe(2);
    expect(weekdayOf('2028-03-01')).toBe(3);
  });

  it('is right before 1970 too', () => {
    expect(weekdayOf('1970-01-01')).toBe(4);
    expect(weekdayOf('1969-12-31')).toBe(3);
    expect(weekdayOf('1900-01-01')).toBe(1);
  });

  it('throws a RangeError for a date that is not one', () => {
    expect(() => weekdayOf('2027-02-29')).toThrow(RangeError);
    expect(() => weekdayOf('')).toThrow(RangeError);
  });
});

describe('localToInstant', () => {
  it('turns a local date and minute into the instant, as in the example', () => {
    expect(localToInstant('2026-03-29', 8 * 60, BERLIN)).toBe(Date.UTC(2026, 2, 29, 6));
    expect(localToInstant('2026-01-15', 9 * 60 + 30, BERLIN)).toBe(Date.UTC(2026, 0, 15, 8, 30));
  });

  it('returns null for a time in the spring gap in Berlin (02:00–02:59 on 2026-03-29)', () => {
    expect(localToInstant('2026-03-29', 119, BERLIN)).toBe(Date.UTC(2026, 2, 29, 0, 59));
    expect(localToInstant('2026-03-29', 120, BERLIN)).toBeNull();
    expect(localToInstant('2026-03-29', 150, BERLIN)).toBeNull();
    expect(localToInstant('2026-03-29', 179, BERLIN)).toBeNull();
    expect(localToInstant('2026-03-29', 180, BERLIN)).toBe(Date.UTC(2026, 2, 29, 1));
  });

  it('picks the earlier instant (summer time) for a time Berlin has twice on 2026-10-25', () => {
    expect(localToInstant('2026-10-25', 119, BERLIN)).toBe(Date.UTC(2026, 9, 24, 23, 59));
    expect(localToInstant('2026-10-25', 120, BERLIN)).toBe(Date.UTC(2026, 9, 25, 0));
    expect(localToInstant('2026-10-25', 150, BERLIN)).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(localToInstant('2026-10-25', 179, BERLIN)).toBe(Date.UTC(2026, 9, 25, 0, 59));
    expect(localToInstant('2026-10-25', 180, BERLIN)).toBe(Date.UTC(2026, 9, 25, 2));
  });

  it('finds every minute of both clock-change days that exists, and only those', () => {
    for (const date of ['2026-03-29', '2026-10-25']) {
      for (let m = 0; m < 1440; m++) {
        const instant = localToInstant(date, m, BERLIN);
        if (date === '2026-03-29' && m >= 120 && m < 180) {
          expect(instant).toBeNull();
        } else {
          expect(instant).not.toBeNull();
          expect(instantToLocal(instant!, BERLIN)).toMatchObject({ date, minuteOfDay: m });
        }
      }
    }
  });

  it('takes minute 1440 as midnight of the next day, also on clock-change days', () => {
    expect(localToInstant('2026-03-29', 1440, BERLIN)).toBe(Date.UTC(2026, 2, 29, 22));
    expect(localToInstant('2026-10-25', 1440, BERLIN)).toBe(Date.UTC(2026, 9, 25, 23));
    expect(localToInstant('2026-12-31', 1440, BERLIN)).toBe(localToInstant('2027-01-01', 0, BERLIN));
  });

  it('works over the turn of the year and on a leap day', () => {
    expect(localToInstant('2027-01-01', 0, BERLIN)).toBe(Date.UTC(2026, 11, 31, 23));
    expect(localToInstant('2026-12-31', 23 * 60, NEW_YORK)).toBe(Date.UTC(2027, 0, 1, 4));
    expect(localToInstant('2028-02-29', 0, BERLIN)).toBe(Date.UTC(2028, 1, 28, 23));
    expect(localToInstant('2028-02-29', 1439, NEW_YORK)).toBe(Date.UTC(2028, 2, 1, 4, 59));
  });

  it('knows the gap and the repeated hour in New York (2026-03-08 and 2026-11-01)', () => {
    expect(localToInstant('2026-03-08', 150, NEW_YORK)).toBeNull();
    expect(localToInstant('2026-03-08', 180, NEW_YORK)).toBe(Date.UTC(2026, 2, 8, 7));
    expect(localToInstant('2026-11-01', 90, NEW_YORK)).toBe(Date.UTC(2026, 10, 1, 5, 30));
    expect(localToInstant('2026-11-01', 120, NEW_YORK)).toBe(Date.UTC(2026, 10, 1, 7));
  });

  it('subtracts the half-hour offset in Kolkata, also across the turn of the year', () => {
    expect(localToInstant('2026-03-29', 150, KOLKATA)).toBe(Date.UTC(2026, 2, 28, 21));
    expect(localToInstant('2027-01-01', 0, KOLKATA)).toBe(Date.UTC(2026, 11, 31, 18, 30));
  });

  it('throws a RangeError for a date that is not one, an unknown zone or a minute that is not a number', () => {
    expect(() => localToInstant('2027-02-29', 0, BERLIN)).toThrow(RangeError);
    expect(() => localToInstant('2026-01-01', 0, 'Mars/Olympus')).toThrow(RangeError);
    expect(() => localToInstant('2026-01-01', Number.NaN, BERLIN)).toThrow(RangeError);
  });
});

describe('localToInstantLenient', () => {
  it('agrees with localToInstant for every time that exists', () => {
    expect(localToInstantLenient('2026-03-29', 180, BERLIN)).toBe(Date.UTC(2026, 2, 29, 1));
    expect(localToInstantLenient('2026-07-01', 9 * 60, BERLIN)).toBe(Date.UTC(2026, 6, 1, 7));
    expect(localToInstantLenient('2027-01-01', 0, KOLKATA)).toBe(Date.UTC(2026, 11, 31, 18, 30));
  });

  it('moves a time in the spring gap forward to 03:00, the first time that exists', () => {
    expect(localToInstantLenient('2026-03-29', 120, BERLIN)).toBe(Date.UTC(2026, 2, 29, 1));
    expect(localToInstantLenient('2026-03-29', 150, BERLIN)).toBe(Date.UTC(2026, 2, 29, 1));
    expect(localToInstantLenient('2026-03-29', 179, BERLIN)).toBe(Date.UTC(2026, 2, 29, 1));
    expect(localToInstantLenient('2026-03-08', 150, NEW_YORK)).toBe(Date.UTC(2026, 2, 8, 7));
  });

  it('picks the earlier instant for a time that exists twice, like localToInstant', () => {
    expect(localToInstantLenient('2026-10-25', 150, BERLIN)).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(localToInstantLenient('2026-11-01', 90, NEW_YORK)).toBe(Date.UTC(2026, 10, 1, 5, 30));
  });

  it('takes minute 1440 as midnight of the next day, over the turn of the year and a leap day', () => {
    expect(localToInstantLenient('2026-12-31', 1440, BERLIN)).toBe(Date.UTC(2026, 11, 31, 23));
    expect(localToInstantLenient('2028-02-29', 1440, NEW_YORK)).toBe(Date.UTC(2028, 2, 1, 5));
  });

  it('throws a RangeError when no time exists within three hours (Apia skipped 2011-12-30)', () => {
    expect(() => localToInstantLenient('2011-12-30', 0, 'Pacific/Apia')).toThrow(
      new RangeError('no local time near 2011-12-30 0 in Pacific/Apia'),
    );
  });

  it('throws a RangeError for a date that is not one or an unknown zone', () => {
    expect(() => localToInstantLenient('2027-02-29', 0, BERLIN)).toThrow(RangeError);
    expect(() => localToInstantLenient('2026-01-01', 0, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('startOfLocalDay', () => {
  it('is local midnight: 23:00 UTC the day before in Berlin in winter, 22:00 in summer', () => {
    expect(startOfLocalDay('2026-01-15', BERLIN)).toBe(Date.UTC(2026, 0, 14, 23));
    expect(startOfLocalDay('2026-07-01', BERLIN)).toBe(Date.UTC(2026, 5, 30, 22));
  });

  it('makes 2026-03-29 a 23-hour day in Berlin', () => {
    expect(startOfLocalDay('2026-03-29', BERLIN)).toBe(Date.UTC(2026, 2, 28, 23));
    expect(startOfLocalDay('2026-03-30', BERLIN)).toBe(Date.UTC(2026, 2, 29, 22));
    expect(startOfLocalDay('2026-03-30', BERLIN) - startOfLocalDay('2026-03-29', BERLIN)).toBe(23 * HOUR);
  });

  it('makes 2026-10-25 a 25-hour day in Berlin', () => {
    expect(startOfLocalDay('2026-10-25', BERLIN)).toBe(Date.UTC(2026, 9, 24, 22));
    expect(startOfLocalDay('2026-10-26', BERLIN)).toBe(Date.UTC(2026, 9, 25, 23));
    expect(startOfLocalDay('2026-10-26', BERLIN) - startOfLocalDay('2026-10-25', BERLIN)).toBe(25 * HOUR);
  });

  it('makes the clock-change days in New York 23 and 25 hours long, and every day in Kolkata 24', () => {
    expect(startOfLocalDay('2026-03-09', NEW_YORK) - startOfLocalDay('2026-03-08', NEW_YORK)).toBe(23 * HOUR);
    expect(startOfLocalDay('2026-11-02', NEW_YORK) - startOfLocalDay('2026-11-01', NEW_YORK)).toBe(25 * HOUR);
    expect(startOfLocalDay('2026-03-30', KOLKATA) - startOfLocalDay('2026-03-29', KOLKATA)).toBe(24 * HOUR);
    expect(startOfLocalDay('2026-10-26', KOLKATA) - startOfLocalDay('2026-10-25', KOLKATA)).toBe(24 * HOUR);
  });

  it('starts the new year and a leap day at local midnight west and east of UTC', () => {
    expect(startOfLocalDay('2027-01-01', BERLIN)).toBe(Date.UTC(2026, 11, 31, 23));
    expect(startOfLocalDay('2027-01-01', NEW_YORK)).toBe(Date.UTC(2027, 0, 1, 5));
    expect(startOfLocalDay('2027-01-01', KOLKATA)).toBe(Date.UTC(2026, 11, 31, 18, 30));
    expect(startOfLocalDay('2028-02-29', NEW_YORK)).toBe(Date.UTC(2028, 1, 29, 5));
    expect(startOfLocalDay('2028-03-01', NEW_YORK) - startOfLocalDay('2028-02-29', NEW_YORK)).toBe(24 * HOUR);
  });

  it('starts at the first minute that exists when midnight is skipped (Santiago, 2024-09-08, 00:00 → 01:00)', () => {
    expect(localToInstant('2024-09-08', 0, 'America/Santiago')).toBeNull();
    expect(startOfLocalDay('2024-09-08', 'America/Santiago')).toBe(Date.UTC(2024, 8, 8, 4));
  });

  it('throws a RangeError for a day the zone skipped, a date that is not one or an unknown zone', () => {
    expect(() => startOfLocalDay('2011-12-30', 'Pacific/Apia')).toThrow(RangeError);
    expect(startOfLocalDay('2011-12-31', 'Pacific/Apia')).toBe(Date.UTC(2011, 11, 30, 10));
    expect(() => startOfLocalDay('2027-02-29', BERLIN)).toThrow(RangeError);
    expect(() => startOfLocalDay('2026-01-01', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('instantToLocal', () => {
  it('gives date, minute of the day, ISO weekday and offset in minutes', () => {
    expect(instantToLocal(Date.UTC(2026, 6, 1, 7), BERLIN)).toEqual({
      date: '2026-07-01',
      minuteOfDay: 9 * 60,
      weekday: 3,
      offsetMinutes: 120,
    });
  });

  it('jumps from 01:59 to 03:00 in Berlin on 2026-03-29', () => {
    expect(instantToLocal(Date.UTC(2026, 2, 29, 0, 59), BERLIN)).toEqual({
      date: '2026-03-29',
      minuteOfDay: 119,
      weekday: 7,
      offsetMinutes: 60,
    });
    expect(instantToLocal(Date.UTC(2026, 2, 29, 1), BERLIN)).toEqual({
      date: '2026-03-29',
      minuteOfDay: 180,
      weekday: 7,
      offsetMinutes: 120,
    });
  });

  it('shows 02:30 twice in Berlin on 2026-10-25, told apart by the offset', () => {
    expect(instantToLocal(Date.UTC(2026, 9, 25, 0, 30), BERLIN)).toEqual({
      date: '2026-10-25',
      minuteOfDay: 150,
      weekday: 7,
      offsetMinutes: 120,
    });
    expect(instantToLocal(Date.UTC(2026, 9, 25, 1, 30), BERLIN)).toEqual({
      date: '2026-10-25',
      minuteOfDay: 150,
      weekday: 7,
      offsetMinutes: 60,
    });
  });

  it('is still in the old year in New York and already in the new one in Berlin and Kolkata', () => {
    const instant = Date.UTC(2026, 11, 31, 23, 30);
    expect(instantToLocal(instant, NEW_YORK)).toEqual({
      date: '2026-12-31',
      minuteOfDay: 18 * 60 + 30,
      weekday: 4,
      offsetMinutes: -300,
    });
    expect(instantToLocal(instant, BERLIN)).toEqual({
      date: '2027-01-01',
      minuteOfDay: 30,
      weekday: 5,
      offsetMinutes: 60,
    });
    expect(instantToLocal(instant, KOLKATA)).toEqual({
      date: '2027-01-01',
      minuteOfDay: 5 * 60,
      weekday: 5,
      offsetMinutes: 330,
    });
  });

  it('knows the leap day', () => {
    expect(instantToLocal(Date.UTC(2028, 1, 28, 23), BERLIN)).toEqual({
      date: '2028-02-29',
      minuteOfDay: 0,
      weekday: 2,
      offsetMinutes: 60,
    });
    expect(instantToLocal(Date.UTC(2028, 2, 1, 4, 59), NEW_YORK)).toMatchObject({
      date: '2028-02-29',
      minuteOfDay: 1439,
    });
  });

  it('rounds down to the whole minute, before 1970 too', () => {
    expect(instantToLocal(Date.UTC(2026, 6, 1, 7, 0, 59, 999), BERLIN).minuteOfDay).toBe(9 * 60);
    expect(instantToLocal(Date.UTC(1969, 11, 31, 23, 59, 30), 'UTC')).toEqual({
      date: '1969-12-31',
      minuteOfDay: 1439,
      weekday: 3,
      offsetMinutes: 0,
    });
  });

  it('throws a RangeError for an instant that is not a time or an unknown zone', () => {
    expect(() => instantToLocal(Number.NaN, BERLIN)).toThrow(RangeError);
    expect(() => instantToLocal(Date.UTC(2026, 0, 1), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('localDate', () => {
  it('is the date the wall clock shows at the instant', () => {
    expect(localDate(Date.UTC(2026, 6, 1, 21, 59), BERLIN)).toBe('2026-07-01');
    expect(localDate(Date.UTC(2026, 6, 1, 22), BERLIN)).toBe('2026-07-02');
  });

  it('keeps all 23 hours of 2026-03-29 and all 25 hours of 2026-10-25 on that date in Berlin', () => {
    expect(localDate(Date.UTC(2026, 2, 28, 22, 59), BERLIN)).toBe('2026-03-28');
    expect(localDate(Date.UTC(2026, 2, 28, 23), BERLIN)).toBe('2026-03-29');
    expect(localDate(Date.UTC(2026, 2, 29, 21, 59), BERLIN)).toBe('2026-03-29');
    expect(localDate(Date.UTC(2026, 2, 29, 22), BERLIN)).toBe('2026-03-30');
    expect(localDate(Date.UTC(2026, 9, 24, 21, 59), BERLIN)).toBe('2026-10-24');
    expect(localDate(Date.UTC(2026, 9, 24, 22), BERLIN)).toBe('2026-10-25');
    expect(localDate(Date.UTC(2026, 9, 25, 22, 59), BERLIN)).toBe('2026-10-25');
    expect(localDate(Date.UTC(2026, 9, 25, 23), BERLIN)).toBe('2026-10-26');
  });

  it('turns the year at local midnight: west of UTC later, east of UTC earlier', () => {
    expect(localDate(Date.UTC(2027, 0, 1, 4, 59), NEW_YORK)).toBe('2026-12-31');
    expect(localDate(Date.UTC(2027, 0, 1, 5), NEW_YORK)).toBe('2027-01-01');
    expect(localDate(Date.UTC(2026, 11, 31, 18, 29), KOLKATA)).toBe('2026-12-31');
    expect(localDate(Date.UTC(2026, 11, 31, 18, 30), KOLKATA)).toBe('2027-01-01');
  });

  it('gives 29 February in a leap year', () => {
    expect(localDate(Date.UTC(2028, 1, 29, 12), NEW_YORK)).toBe('2028-02-29');
    expect(localDate(Date.UTC(2028, 1, 29, 23), BERLIN)).toBe('2028-03-01');
  });

  it('throws a RangeError for an instant that is not a time or an unknown zone', () => {
    expect(() => localDate(Number.NaN, BERLIN)).toThrow(RangeError);
    expect(() => localDate(Date.UTC(2026, 0, 1), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('formatMinute', () => {
  it('writes a minute of the day as HH:MM with leading zeros', () => {
    expect(formatMinute(0)).toBe('00:00');
    expect(formatMinute(545)).toBe('09:05');
    expect(formatMinute(1439)).toBe('23:59');
  });

  it('writes minute 1440, the end of the day, as 24:00', () => {
    expect(formatMinute(1440)).toBe('24:00');
  });

  it('does not wrap minutes past the end of the day', () => {
    expect(formatMinute(1500)).toBe('25:00');
  });

  it('is undone by parseMinute for every minute from 00:00 to 24:00', () => {
    for (let m = 0; m <= 1440; m++) expect(parseMinute(formatMinute(m))).toBe(m);
  });
});

describe('parseMinute', () => {
  it('reads HH:MM as the minute of the day', () => {
    expect(parseMinute('00:00')).toBe(0);
    expect(parseMinute('09:05')).toBe(545);
    expect(parseMinute('23:59')).toBe(1439);
  });

  it('allows 24:00 as the end of the day, and nothing after it', () => {
    expect(parseMinute('24:00')).toBe(1440);
    expect(() => parseMinute('24:01')).toThrow(new RangeError('no such time: 24:01'));
    expect(() => parseMinute('25:00')).toThrow(new RangeError('no such time: 25:00'));
  });

  it('throws a RangeError "no such time" for minute 60 or more', () => {
    expect(() => parseMinute('23:60')).toThrow(new RangeError('no such time: 23:60'));
    expect(() => parseMinute('00:99')).toThrow(new RangeError('no such time: 00:99'));
  });

  it('throws a RangeError "not a time" for anything not written exactly HH:MM', () => {
    for (const hhmm of ['', '9:05', '09:5', '0905', ' 09:05', '09:05 ', '09:05\n', '-1:00', '09:05:00']) {
      expect(() => parseMinute(hhmm)).toThrow(new RangeError(`not a time (HH:MM): ${hhmm}`));
    }
  });
});

describe('toIsoWithOffset', () => {
  it('writes the local time with the zone’s offset, as in the example', () => {
    expect(toIsoWithOffset(Date.UTC(2026, 6, 1, 7), BERLIN)).toBe('2026-07-01T09:00:00+02:00');
    expect(toIsoWithOffset(Date.UTC(2026, 0, 15, 8, 30), BERLIN)).toBe('2026-01-15T09:30:00+01:00');
  });

  it('switches from +01:00 to +02:00 in Berlin on 2026-03-29', () => {
    expect(toIsoWithOffset(Date.UTC(2026, 2, 29, 0, 59), BERLIN)).toBe('2026-03-29T01:59:00+01:00');
    expect(toIsoWithOffset(Date.UTC(2026, 2, 29, 1), BERLIN)).toBe('2026-03-29T03:00:00+02:00');
  });

  it('tells the two 02:30s in Berlin on 2026-10-25 apart by the offset', () => {
    expect(toIsoWithOffset(Date.UTC(2026, 9, 25, 0, 30), BERLIN)).toBe('2026-10-25T02:30:00+02:00');
    expect(toIsoWithOffset(Date.UTC(2026, 9, 25, 1, 30), BERLIN)).toBe('2026-10-25T02:30:00+01:00');
  });

  it('writes negative offsets with a minus sign and half hours as :30', () => {
    expect(toIsoWithOffset(Date.UTC(2027, 0, 1, 3), NEW_YORK)).toBe('2026-12-31T22:00:00-05:00');
    expect(toIsoWithOffset(Date.UTC(2026, 6, 1, 12), NEW_YORK)).toBe('2026-07-01T08:00:00-04:00');
    expect(toIsoWithOffset(Date.UTC(2026, 11, 31, 18, 30), KOLKATA)).toBe('2027-01-01T00:00:00+05:30');
    expect(toIsoWithOffset(Date.UTC(2026, 6, 1, 12), 'America/St_Johns')).toBe('2026-07-01T09:30:00-02:30');
  });

  it('writes UTC as +00:00, not Z', () => {
    expect(toIsoWithOffset(Date.UTC(2028, 1, 29, 12), 'UTC')).toBe('2028-02-29T12:00:00+00:00');
  });

  it('keeps the seconds and drops the milliseconds', () => {
    expect(toIsoWithOffset(Date.UTC(2026, 6, 1, 7, 0, 5, 999), BERLIN)).toBe('2026-07-01T09:00:05+02:00');
  });

  it('writes the same text for an instant whatever it wrote before (any order of instants and zones)', () => {
    const call = fc.tuple(
      fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }),
      fc.constantFrom(BERLIN, NEW_YORK, KOLKATA, 'UTC', 'America/St_Johns'),
    );
    fc.assert(
      fc.property(fc.array(call, { minLength: 2, maxLength: 20 }), (calls) => {
        const forwards = calls.map(([t, zone]) => toIsoWithOffset(t, zone));
        const backwards = [...calls].reverse().map(([t, zone]) => toIsoWithOffset(t, zone));
        expect(backwards.reverse()).toEqual(forwards);
        expect(forwards.map(Date.parse)).toEqual(calls.map(([t]) => Math.floor(t / 1000) * 1000));
      }),
    );
  });

  it('denotes the instant it was given, every quarter hour around both clock changes', () => {
    for (const [zone, around] of [
      [BERLIN, Date.UTC(2026, 2, 29, 1)],
      [BERLIN, Date.UTC(2026, 9, 25, 1)],
      [NEW_YORK, Date.UTC(2026, 2, 8, 7)],
      [NEW_YORK, Date.UTC(2026, 10, 1, 6)],
      [KOLKATA, Date.UTC(2027, 0, 1)],
    ] as const) {
      for (let q = -12; q <= 12; q++) {
        const instant = around + q * 15 * MINUTE + 7_000;
        expect(Date.parse(toIsoWithOffset(instant, zone))).toBe(instant);
      }
    }
  });

  it('throws a RangeError for an instant that is not a time or an unknown zone', () => {
    expect(() => toIsoWithOffset(Number.NaN, BERLIN)).toThrow(RangeError);
    expect(() => toIsoWithOffset(Date.UTC(2026, 0, 1), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('ageOn', () => {
  it('adds a year on the birthday and not the day before', () => {
    expect(ageOn('1990-06-15', '2026-06-14')).toBe(35);
    expect(ageOn('1990-06-15', '2026-06-15')).toBe(36);
    expect(ageOn('2008-03-01', '2026-02-28')).toBe(17);
    expect(ageOn('2008-03-01', '2026-03-01')).toBe(18);
  });

  it('counts the turn of the year only on the birthday itself', () => {
    expect(ageOn('2000-12-31', '2026-12-30')).toBe(25);
    expect(ageOn('2000-12-31', '2026-12-31')).toBe(26);
    expect(ageOn('2001-01-01', '2026-12-31')).toBe(25);
    expect(ageOn('2001-01-01', '2027-01-01')).toBe(26);
  });

  it('has someone born on 29 February a year older on 1 March in other years', () => {
    expect(ageOn('2000-02-29', '2027-02-28')).toBe(26);
    expect(ageOn('2000-02-29', '2027-03-01')).toBe(27);
  });

  it('has someone born on 29 February a year older on 29 February in leap years', () => {
    expect(ageOn('2000-02-29', '2028-02-28')).toBe(27);
    expect(ageOn('2000-02-29', '2028-02-29')).toBe(28);
  });

  it('puts the day before a 1 March birthday on 29 February in a leap year', () => {
    expect(ageOn('2010-03-01', '2028-02-29')).toBe(17);
    expect(ageOn('2010-03-01', '2028-03-01')).toBe(18);
  });

  it('treats a birthday on a clock-change day like any other', () => {
    expect(ageOn('2000-03-29', '2026-03-29')).toBe(26);
    expect(ageOn('2000-10-25', '2026-10-24')).toBe(25);
  });

  it('is 0 on the day of birth and negative before it', () => {
    expect(ageOn('2026-05-01', '2026-05-01')).toBe(0);
    expect(ageOn('2026-05-01', '2026-04-30')).toBe(-1);
  });

  it('throws a RangeError when either date is not one', () => {
    expect(() => ageOn('2027-02-29', '2028-01-01')).toThrow(RangeError);
    expect(() => ageOn('2000-01-01', '2026-13-01')).toThrow(RangeError);
    expect(() => ageOn('1.1.2000', '2026-01-01')).toThrow(RangeError);
  });
});

describe('toIsoWithOffset, far from today', () => {
  it('writes the seconds of an instant before 1970 as 00–59', () => {
    expect(toIsoWithOffset(Date.UTC(1969, 11, 31, 23, 59, 30), 'UTC')).toBe('1969-12-31T23:59:30+00:00');
    expect(toIsoWithOffset(Date.UTC(1969, 6, 1, 12, 0, 30), 'Europe/Berlin')).toBe(
      '1969-07-01T13:00:30+01:00',
    );
    expect(toIsoWithOffset(Date.UTC(1969, 11, 31, 23, 59, 59, 500), 'UTC')).toBe('1969-12-31T23:59:59+00:00');
  });

  it('denotes the instant when the zone’s offset had seconds (Monrovia, -0:44:30 until 1972)', () => {
    const instant = Date.UTC(1971, 0, 1);
    expect(Date.parse(toIsoWithOffset(instant, 'Africa/Monrovia'))).toBe(instant);
  });
});

describe('parseDate in the first century', () => {
  it('parses dates in the years 0001–0099 like any other', () => {
    expect(parseDate('0099-12-31')).toEqual({ year: 99, month: 12, day: 31 });
    expect(parseDate('0001-01-01')).toEqual({ year: 1, month: 1, day: 1 });
    expect(addDays('0099-12-31', 1)).toBe('0100-01-01');
    expect(daysBetween('0100-01-01', addDays('0100-01-01', -1))).toBe(-1);
  });
});

describe('isoWriter', () => {
  it('writes what toIsoWithOffset writes, for every minute of both Berlin clock-change days', () => {
    for (const day of [Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 9, 24, 22)]) {
      const iso = isoWriter(BERLIN);
      for (let m = 0; m < 25 * 60; m++) {
        const t = day + m * MINUTE;
        expect(iso(t)).toBe(toIsoWithOffset(t, BERLIN));
      }
    }
    const iso = isoWriter(BERLIN);
    expect([Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1, 30)].map(iso)).toEqual([
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:30:00+01:00',
    ]);
  });

  it('writes across a year end, negative and half-hour offsets, and instants with seconds', () => {
    expect(isoWriter(NEW_YORK)(Date.UTC(2027, 0, 1, 3))).toBe('2026-12-31T22:00:00-05:00');
    expect(isoWriter(KOLKATA)(Date.UTC(2026, 11, 31, 18, 30))).toBe('2027-01-01T00:00:00+05:30');
    expect(isoWriter('UTC')(Date.UTC(2028, 1, 29, 23, 59))).toBe('2028-02-29T23:59:00+00:00');
    expect(isoWriter(BERLIN)(Date.UTC(2026, 6, 1, 7, 0, 5, 999))).toBe('2026-07-01T09:00:05+02:00');
  });

  it('writes the same text as toIsoWithOffset for any instants, in any order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(BERLIN, NEW_YORK, KOLKATA, 'UTC', 'America/St_Johns'),
        fc.array(
          fc.oneof(
            fc
              .integer({ min: Date.UTC(1990, 0, 1) / MINUTE, max: Date.UTC(2060, 0, 1) / MINUTE })
              .map((m) => m * MINUTE),
            fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }),
          ),
          { minLength: 1, maxLength: 30 },
        ),
        (zone, instants) => {
          const iso = isoWriter(zone);
          expect(instants.map(iso)).toEqual(instants.map((t) => toIsoWithOffset(t, zone)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
