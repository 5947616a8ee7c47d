/**
 * How a new package's validity follows from its template's rule. Validity is the half-open interval
 * [validFrom, validUntil) of instants; `null` is an open end.
 */
import type { Instant } from './domain.ts';
import { addDays, localDate, startOfLocalDay } from './time.ts';

export type ValidityRule = { kind: 'none' } | { kind: 'days'; days: number } | { kind: 'calendar_year' };

/**
 * The validity of a package created at `createdAt`, for appointments from `firstAppointmentAt` on
 * (a package created on booking: the appointment's start; by hand: the moment of creation):
 * - `none`: no bounds;
 * - `days`: N whole local days, the day of creation being the first
 *   (created on 2026-03-10 with 28 days → valid until the end of 2026-04-06);
 * - `calendar_year`: the local calendar year of the first appointment (a booking in December for
 *   January gets next year's budget, not this year's).
 */
export function validityFor(
  rule: ValidityRule,
  createdAt: Instant,
  timeZone: string,
  firstAppointmentAt: Instant = createdAt,
): { validFrom: Instant | null; validUntil: Instant | null } {
  const today = localDate(createdAt, timeZone);
  switch (rule.kind) {
    case 'none':
      return { validFrom: null, validUntil: null };
    case 'days':
      return {
        validFrom: startOfLocalDay(today, timeZone),
        validUntil: startOfLocalDay(addDays(today, rule.days), timeZone),
      };
    case 'calendar_year': {
      const year = Number(localDate(firstAppointmentAt, timeZone).slice(0, 4));
      return {
        validFrom: startOfLocalDay(`${year}-01-01`, timeZone),
        validUntil: startOfLocalDay(`${year + 1}-01-01`, timeZone),
      };
    }
  }
}
