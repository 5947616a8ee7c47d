/**
 * Calendar arithmetic on local dates: the same answers as the Date object gives, for any date the
 * product accepts (1900–2999), however often a date is asked for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, localToInstant, weekdayOf } from '../../shared/time.ts';

const utc = (date: string) => Date.parse(`${date}T00:00:00Z`);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY = 86_400_000;

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
