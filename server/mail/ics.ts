/**
 * The calendar file of a booking (RFC 5545, iTIP methods of RFC 5546), made with ical-generator.
 *
 * One booking is one VEVENT whose UID never changes; every change the client is told about raises
 * SEQUENCE, so a calendar that imported the REQUEST replaces it, and a CANCEL with the same UID and
 * a higher SEQUENCE removes it. Times are written in the practice's zone (`DTSTART;TZID=…`) with a
 * VTIMEZONE for it, so the client's calendar shows 10:00 for a 10:00 appointment even on DST days.
 *
 * Two details of ical-generator decide how the dates are handed over:
 * - For a plain `Date` in a zone it reads the wall clock with the *host's* local getters
 *   (`getHours()`), so a server running in UTC would write 08:00 with `TZID=Europe/Berlin` for a
 *   10:00 Berlin appointment. It also accepts Temporal values; Node 20 has no Temporal, so
 *   {@link zonedDateTime} builds the small `ICalTemporalZonedDateTimeStub` shape it documents from
 *   `Intl` (through `shared/time.ts`), which is right whatever the host's zone is.
 * - It has no time zone database: the VTIMEZONE comes from a generator. {@link vtimezone} writes one
 *   from `Intl` offsets: the zone's actual transitions in the years the event touches, each as its
 *   own observance (no RRULE to get wrong), plus one observance from the start of that span.
 *
 * A local time that exists twice (02:00–02:59 on the last Sunday of October in Berlin) means its
 * first occurrence when written with a TZID (RFC 5545 3.3.5), but parsers disagree (ical.js takes
 * the second), and the second occurrence cannot be written with a TZID at all. An event that starts
 * or ends in such an hour is therefore written in UTC (`DTSTART:…Z`), which every client reads as
 * the same instant; all other events carry the TZID.
 *
 * Pure: the DTSTAMP is `stamp`, passed in like everything else; no clock, no environment.
 */
import ical, {
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventStatus,
  type ICalTemporalInstantStub,
  type ICalTemporalPlainDateStub,
  type ICalTemporalPlainDateTimeStub,
  type ICalTemporalZonedDateTimeStub,
} from 'ical-generator';
import { DAY, isTimeZone, localToInstantLenient, MINUTE, offsetAt } from '../../shared/time.ts';

export interface BookingCalendarInput {
  /** Stable per booking, e.g. `appointment-42@practice-slug.terminkette`; the same on REQUEST and CANCEL. */
  uid: string;
  /** iCalendar SEQUENCE: 0 for the first confirmation, higher for each later change (cancel). */
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  /** Start and end instants, epoch milliseconds. */
  start: number;
  end: number;
  /** The practice's IANA zone, e.g. `Europe/Berlin`. */
  timeZone: string;
  summary: string;
  description: string;
  location?: string;
  organizer: { name: string; email: string };
  attendee?: { name: string; email: string };
  /** The cancel link: written as URL and, unless already there, appended to the description. */
  url?: string;
  /** DTSTAMP, epoch milliseconds: when this file was made. Defaults to the current time. */
  stamp: number;
}

/**
 * The .ics text of a booking: METHOD:REQUEST with STATUS:CONFIRMED, or METHOD:CANCEL with
 * STATUS:CANCELLED.
 * @example bookingCalendar({ uid: 'appointment-7@demo', sequence: 0, method: 'REQUEST',
 *   start: Date.UTC(2026, 2, 30, 8), end: Date.UTC(2026, 2, 30, 8, 30), timeZone: 'Europe/Berlin',
 *   summary: 'Krankengymnastik', description: 'Bei Frau Weber', organizer: { name: 'Praxis', email: 'praxis@example.org' } })
 *   // → …METHOD:REQUEST…DTSTART;TZID=Europe/Berlin:20260330T100000…
 */
export function bookingCalendar(input: BookingCalendarInput): string {
  const { start, end, timeZone, url } = input;
  if (!isTimeZone(timeZone)) throw new RangeError(`unknown time zone: ${timeZone}`);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
    throw new RangeError(`the end (${end}) must be after the start (${start})`);
  }
  if (!Number.isInteger(input.sequence) || input.sequence < 0) {
    throw new RangeError(`sequence must be a non-negative integer, got ${input.sequence}`);
  }
  const zone = hasUniqueWallTime(start, timeZone) && hasUniqueWallTime(end, timeZone) ? timeZone : 'UTC';
  const cancel = input.method === 'CANCEL';
  const description =
    url && !input.description.includes(url) ? `${input.description}\n\n${url}` : input.description;

  const calendar = ical({
    prodId: { company: 'terminkette', product: 'booking', language: 'DE' },
    method: cancel ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
    // No calendar-wide zone (DTSTAMP stays UTC); the generator is asked for the event's zone.
    timezone: { name: null, generator: (tzid) => vtimezone(tzid, start, end) },
  });
  calendar.createEvent({
    id: input.uid,
    sequence: input.sequence,
    stamp: new Date(input.stamp),
    start: zonedDateTime(start, zone),
    end: zonedDateTime(end, zone),
    // 'UTC' makes ical-generator write `…Z` with no TZID and no VTIMEZONE.
    timezone: zone,
    summary: input.summary,
    description,
    location: input.location ?? null,
    url: url ?? null,
    status: cancel ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: input.organizer.name, email: input.organizer.email },
    attendees: input.attendee
      ? [
          {
            name: input.attendee.name,
            email: input.attendee.email,
            role: ICalAttendeeRole.REQ,
            // The client booked the slot themselves: nothing to accept, no reply expected. A CANCEL
            // says so with STATUS:CANCELLED; the attendee's own status does not apply there.
            status: cancel ? null : ICalAttendeeStatus.ACCEPTED,
            rsvp: false,
          },
        ]
      : [],
  });
  // RFC 5545 ends every content line, the last one too, with CRLF; ical-generator omits the last.
  return `${calendar.toString()}\r\n`;
}

/**
 * A calendar attachment rendered when the mail is sent (see `StoredAttachment` in ./outbox.ts).
 */
export function calendarAttachment(input: BookingCalendarInput, filename = 'termin.ics') {
  return { filename, contentType: `text/calendar; charset=utf-8; method=${input.method}`, calendar: input };
}

/**
 * An e-mail attachment for a calendar file, with the iTIP method in its content type as RFC 6047
 * asks (mail clients show "add to calendar" / "remove from calendar" from it).
 * @example icsAttachment(ics, 'REQUEST').contentType === 'text/calendar; charset=utf-8; method=REQUEST'
 */
export function icsAttachment(
  ics: string,
  method: 'REQUEST' | 'CANCEL',
  filename = 'termin.ics',
): { filename: string; contentType: string; content: string } {
  return { filename, contentType: `text/calendar; charset=utf-8; method=${method}`, content: ics };
}

/**
 * A VTIMEZONE for `timeZone` that is exact from 31 December before `from`'s year to 1 January
 * after `to`'s year (UTC): one observance at the start of that span and one per offset change in
 * it, found with `Intl` (day steps, then bisection to the minute). Observances with a higher offset
 * than the lowest in the span are DAYLIGHT, the others STANDARD.
 * @example vtimezone('Europe/Berlin', Date.UTC(2026, 5, 1), Date.UTC(2026, 5, 1))
 *   // → BEGIN:VTIMEZONE, TZID:Europe/Berlin, STANDARD from 20251231T010000 (+0100),
 *   //   DAYLIGHT 20260329T020000 +0100→+0200, STANDARD 20261025T030000 +0200→+0100
 */
export function vtimezone(timeZone: string, from: number, to: number): string {
  // A day of margin on both sides: ical.js reads a time exactly at the first observance as UTC.
  const spanStart = Date.UTC(new Date(from).getUTCFullYear(), 0, 1) - DAY;
  const spanEnd = Date.UTC(new Date(to).getUTCFullYear() + 1, 0, 1) + DAY;
  const initial = offsetAt(spanStart, timeZone);
  const changes: { at: number; offsetFrom: number; offsetTo: number }[] = [
    { at: spanStart, offsetFrom: initial, offsetTo: initial },
  ];
  let before = spanStart;
  let beforeOffset = initial;
  while (before < spanEnd) {
    const after = Math.min(before + DAY, spanEnd);
    const afterOffset = offsetAt(after, timeZone);
    if (afterOffset !== beforeOffset) {
      // Bisect to the first minute with the new offset.
      let lo = before;
      let hi = after;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (offsetAt(mid, timeZone) === beforeOffset) lo = mid;
        else hi = mid;
      }
      changes.push({ at: hi, offsetFrom: beforeOffset, offsetTo: offsetAt(hi, timeZone) });
    }
    before = after;
    beforeOffset = afterOffset;
  }
  const standardOffset = Math.min(...changes.map((c) => c.offsetTo));
  const lines = ['BEGIN:VTIMEZONE', `TZID:${timeZone}`];
  for (const c of changes) {
    const kind = c.offsetTo > standardOffset ? 'DAYLIGHT' : 'STANDARD';
    lines.push(
      `BEGIN:${kind}`,
      // An observance's DTSTART is the local time just before the change (RFC 5545 3.6.5).
      `DTSTART:${formatBasic(c.at + c.offsetFrom)}`,
      `TZOFFSETFROM:${formatOffset(c.offsetFrom)}`,
      `TZOFFSETTO:${formatOffset(c.offsetTo)}`,
      `END:${kind}`,
    );
  }
  lines.push('END:VTIMEZONE');
  return lines.join('\r\n');
}

/**
 * True when the wall-clock time of `instant` in `timeZone` is shown at no other instant, so that
 * writing it with a TZID is unambiguous: false in the hour a clock change repeats.
 * @example hasUniqueWallTime(Date.UTC(2026, 9, 25, 0, 30), 'Europe/Berlin') === false // 02:30 CEST
 * @example hasUniqueWallTime(Date.UTC(2026, 9, 25, 2, 0), 'Europe/Berlin') === true // 03:00 CET
 */
export function hasUniqueWallTime(instant: number, timeZone: string): boolean {
  const wall = instant + offsetAt(instant, timeZone);
  const offsets = new Set([offsetAt(instant - DAY, timeZone), offsetAt(instant + DAY, timeZone)]);
  for (const offset of offsets) {
    const other = wall - offset;
    if (other !== instant && offsetAt(other, timeZone) === offset) return false;
  }
  return true;
}

/** `YYYYMMDDTHHMMSS` of a wall-clock time held as a UTC-based millisecond count. */
function formatBasic(wall: number): string {
  return new Date(wall).toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/** `+HHMM` (or `+HHMMSS`) of an offset in milliseconds. @example formatOffset(-12_600_000) === '-0330' */
function formatOffset(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const total = Math.round(Math.abs(offset) / 1000);
  const hh = String(Math.floor(total / 3600)).padStart(2, '0');
  const mm = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const ss = total % 60;
  return `${sign}${hh}${mm}${ss ? String(ss).padStart(2, '0') : ''}`;
}

/**
 * The `Temporal.ZonedDateTime` shape ical-generator reads (see the file comment): the wall clock
 * of `instant` in `timeZone`, whole seconds.
 */
function zonedDateTime(instant: number, timeZone: string): ICalTemporalZonedDateTimeStub {
  const epochMilliseconds = Math.floor(instant / 1000) * 1000;
  const offset = offsetAt(epochMilliseconds, timeZone);
  const wall = new Date(epochMilliseconds + offset);
  const plain = plainDateTime(wall);
  const iso = `${wall.toISOString().slice(0, 19)}${offsetIso(offset)}[${timeZone}]`;
  return {
    year: plain.year,
    month: plain.month,
    day: plain.day,
    hour: plain.hour,
    minute: plain.minute,
    second: plain.second,
    timeZoneId: timeZone,
    toInstant: () => instantStub(epochMilliseconds),
    toPlainDateTime: () => plain,
    withTimeZone: (zone) => zonedDateTime(epochMilliseconds, zone),
    toJSON: () => iso,
    toString: () => iso,
  };
}

/** The `Temporal.PlainDateTime` shape of a wall-clock time held as a UTC-based `Date`. */
function plainDateTime(wall: Date): ICalTemporalPlainDateTimeStub {
  const iso = wall.toISOString().slice(0, 19);
  const date: ICalTemporalPlainDateStub = {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    toJSON: () => iso.slice(0, 10),
    toString: () => iso.slice(0, 10),
  };
  return {
    ...date,
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    toPlainDate: () => date,
    toZonedDateTime: (zone) =>
      zonedDateTime(
        localToInstantLenient(date.toString(), wall.getUTCHours() * 60 + wall.getUTCMinutes(), zone) +
          wall.getUTCSeconds() * 1000,
        zone,
      ),
    toJSON: () => iso,
    toString: () => iso,
  };
}

function instantStub(epochMilliseconds: number): ICalTemporalInstantStub {
  const iso = new Date(epochMilliseconds).toISOString();
  return {
    epochMilliseconds,
    epochSeconds: epochMilliseconds / 1000,
    toZonedDateTimeISO: (zone) => zonedDateTime(epochMilliseconds, zone),
    toJSON: () => iso,
    toString: () => iso,
  };
}

function offsetIso(offset: number): string {
  const f = formatOffset(offset);
  return `${f.slice(0, 3)}:${f.slice(3, 5)}`;
}
