import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import {
  type BookingCalendarInput,
  bookingCalendar,
  hasUniqueWallTime,
  vtimezone,
} from '../../server/mail/ics.ts';

const cancelUrl = 'https://praxis.example/api/v1/bookings/42/cancel?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA';

function booking(overrides: Partial<BookingCalendarInput> = {}): BookingCalendarInput {
  return {
    uid: 'appointment-42@physio-weber.terminkette',
    sequence: 0,
    method: 'REQUEST',
    start: Date.UTC(2026, 4, 12, 8, 0), // Tue 12 May 2026, 10:00 in Berlin (CEST)
    end: Date.UTC(2026, 4, 12, 8, 30),
    timeZone: 'Europe/Berlin',
    summary: 'Krankengymnastik bei Frau Weber',
    description: 'Bitte bringen Sie ein Handtuch mit; Absage bis 24 Stunden vorher.',
    location: 'Physio Weber, Hauptstraße 1, 10115 Berlin',
    organizer: { name: 'Physio Weber', email: 'termine@physio-weber.example' },
    attendee: { name: 'Max Müller', email: 'max@example.org' },
    url: cancelUrl,
    stamp: Date.UTC(2026, 4, 1, 9, 0),
    ...overrides,
  };
}

/** Reads the file back with ical.js, an parser independent of the generator. */
function parse(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const vevent = calendar.getFirstSubcomponent('vevent');
  if (!vevent) throw new Error('no VEVENT');
  const event = new ICAL.Event(vevent);
  const dtstart = vevent.getFirstProperty('dtstart');
  return {
    calendar,
    vevent,
    event,
    method: calendar.getFirstPropertyValue('method'),
    start: event.startDate.toUnixTime() * 1000,
    end: event.endDate.toUnixTime() * 1000,
    tzid: dtstart?.getParameter('tzid') ?? null,
    status: vevent.getFirstPropertyValue('status'),
    url: String(vevent.getFirstPropertyValue('url')),
  };
}

describe('booking calendar (.ics)', () => {
  it('is a REQUEST with the booking’s UID and SEQUENCE, the start in the practice’s zone and the cancel link', () => {
    const ics = bookingCalendar(booking());
    const parsed = parse(ics);

    expect(parsed.method).toBe('REQUEST');
    expect(parsed.event.uid).toBe('appointment-42@physio-weber.terminkette');
    expect(parsed.event.sequence).toBe(0);
    expect(parsed.status).toBe('CONFIRMED');
    expect(parsed.tzid).toBe('Europe/Berlin');
    expect(parsed.event.startDate.hour).toBe(10); // the wall clock the client expects
    expect(parsed.start).toBe(Date.UTC(2026, 4, 12, 8, 0));
    expect(parsed.end).toBe(Date.UTC(2026, 4, 12, 8, 30));
    expect(parsed.event.summary).toBe('Krankengymnastik bei Frau Weber');
    expect(parsed.event.location).toBe('Physio Weber, Hauptstraße 1, 10115 Berlin');
    expect(parsed.event.description).toContain('Bitte bringen Sie ein Handtuch mit; Absage bis 24 Stunden');
    expect(parsed.event.description).toContain(cancelUrl);
    expect(parsed.url).toBe(cancelUrl);
    expect(String(parsed.vevent.getFirstPropertyValue('organizer'))).toBe(
      'mailto:termine@physio-weber.example',
    );
    expect(parsed.event.attendees.map((a) => String(a.getFirstValue()).toLowerCase())).toEqual([
      'mailto:max@example.org',
    ]);
  });

  it('carries a VTIMEZONE for the zone, which the parser uses for the TZID', () => {
    const parsed = parse(bookingCalendar(booking()));
    const zones = parsed.calendar.getAllSubcomponents('vtimezone');
    expect(zones.map((z) => z.getFirstPropertyValue('tzid'))).toEqual(['Europe/Berlin']);
    expect(parsed.event.startDate.zone?.tzid).toBe('Europe/Berlin');
  });

  it('cancels with METHOD:CANCEL, STATUS:CANCELLED, the same UID and a higher SEQUENCE', () => {
    const request = parse(bookingCalendar(booking()));
    const cancel = parse(bookingCalendar(booking({ method: 'CANCEL', sequence: 1 })));

    expect(cancel.method).toBe('CANCEL');
    expect(cancel.status).toBe('CANCELLED');
    expect(cancel.event.uid).toBe(request.event.uid);
    expect(cancel.event.sequence).toBeGreaterThan(request.event.sequence);
    expect(cancel.start).toBe(request.start);
  });

  it('appends the cancel link to the description only when it is not in there already', () => {
    const withLink = `Absagen: ${cancelUrl}`;
    const parsed = parse(bookingCalendar(booking({ description: withLink })));
    expect(parsed.event.description).toBe(withLink);
  });

  it('writes the same file for the same input (no clock inside when a stamp is given)', () => {
    expect(bookingCalendar(booking())).toBe(bookingCalendar(booking()));
    expect(bookingCalendar(booking())).toContain('DTSTAMP:20260501T090000Z');
  });

  it('rejects an unknown zone and an end before the start', () => {
    expect(() => bookingCalendar(booking({ timeZone: 'Europe/Atlantis' }))).toThrow(/time zone/);
    expect(() => bookingCalendar(booking({ end: Date.UTC(2026, 4, 12, 7, 0) }))).toThrow(/after the start/);
  });

  describe('on the DST days in Europe/Berlin the parsed start is the booked instant', () => {
    const cases: [string, number][] = [
      ['2026-03-29 01:30 CET, before the clocks go forward', Date.UTC(2026, 2, 29, 0, 30)],
      ['2026-03-29 03:00 CEST, the first minute after', Date.UTC(2026, 2, 29, 1, 0)],
      ['2026-03-29 10:00 CEST', Date.UTC(2026, 2, 29, 8, 0)],
      ['2026-10-25 01:30 CEST, ending in the repeated hour', Date.UTC(2026, 9, 24, 23, 30)],
      ['2026-10-25 01:00 CEST, ending before it', Date.UTC(2026, 9, 24, 23, 0)],
      ['2026-10-25 02:30 CEST, the first of the two 02:30', Date.UTC(2026, 9, 25, 0, 30)],
      ['2026-10-25 02:30 CET, the second 02:30', Date.UTC(2026, 9, 25, 1, 30)],
      ['2026-10-25 03:00 CET', Date.UTC(2026, 9, 25, 2, 0)],
      ['2026-10-25 10:00 CET', Date.UTC(2026, 9, 25, 9, 0)],
    ];
    it.each(cases)('%s', (_label, start) => {
      const end = start + 45 * 60_000;
      const parsed = parse(bookingCalendar(booking({ start, end })));
      expect(parsed.start).toBe(start);
      expect(parsed.end).toBe(end);
      // In the practice's zone unless a time falls into the hour that exists twice (then UTC).
      const unique = hasUniqueWallTime(start, 'Europe/Berlin') && hasUniqueWallTime(end, 'Europe/Berlin');
      expect(parsed.tzid).toBe(unique ? 'Europe/Berlin' : null);
    });

    it('writes the wall clock of the practice on those days', () => {
      const ics = bookingCalendar(
        booking({ start: Date.UTC(2026, 9, 25, 9, 0), end: Date.UTC(2026, 9, 25, 10) }),
      );
      expect(ics).toContain('DTSTART;TZID=Europe/Berlin:20261025T100000');
      const spring = bookingCalendar(
        booking({ start: Date.UTC(2026, 2, 29, 8), end: Date.UTC(2026, 2, 29, 9) }),
      );
      expect(spring).toContain('DTSTART;TZID=Europe/Berlin:20260329T100000');
    });

    it('only the hour the autumn change repeats has wall times with two readings', () => {
      expect(hasUniqueWallTime(Date.UTC(2026, 9, 24, 23, 59), 'Europe/Berlin')).toBe(true); // 01:59 CEST
      expect(hasUniqueWallTime(Date.UTC(2026, 9, 25, 0, 0), 'Europe/Berlin')).toBe(false); // 02:00 CEST
      expect(hasUniqueWallTime(Date.UTC(2026, 9, 25, 0, 30), 'Europe/Berlin')).toBe(false); // 02:30 CEST
      expect(hasUniqueWallTime(Date.UTC(2026, 9, 25, 1, 30), 'Europe/Berlin')).toBe(false); // 02:30 CET
      expect(hasUniqueWallTime(Date.UTC(2026, 9, 25, 2, 0), 'Europe/Berlin')).toBe(true); // 03:00 CET
      expect(hasUniqueWallTime(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Berlin')).toBe(true); // 03:00 CEST
      expect(hasUniqueWallTime(Date.UTC(2026, 2, 29, 0, 59), 'Europe/Berlin')).toBe(true); // 01:59 CET
    });
  });

  describe('VTIMEZONE', () => {
    it('lists the two 2026 transitions of Europe/Berlin with their offsets', () => {
      const text = vtimezone('Europe/Berlin', Date.UTC(2026, 4, 12), Date.UTC(2026, 4, 12));
      expect(text).toContain(
        ['BEGIN:DAYLIGHT', 'DTSTART:20260329T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200'].join('\r\n'),
      );
      expect(text).toContain(
        ['BEGIN:STANDARD', 'DTSTART:20261025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100'].join('\r\n'),
      );
    });

    it('reads every wall time of the span back as the instant Intl gives it, in ical.js', () => {
      const from = Date.UTC(2026, 0, 1);
      const to = Date.UTC(2027, 11, 31);
      const changes: Record<string, number[]> = {
        'Europe/Berlin': [
          Date.UTC(2026, 2, 29, 1),
          Date.UTC(2026, 9, 25, 1),
          Date.UTC(2027, 2, 28, 1),
          Date.UTC(2027, 9, 31, 1),
        ],
        'America/New_York': [
          Date.UTC(2026, 2, 8, 7),
          Date.UTC(2026, 10, 1, 6),
          Date.UTC(2027, 2, 14, 7),
          Date.UTC(2027, 10, 7, 6),
        ],
        'Australia/Sydney': [
          Date.UTC(2026, 3, 4, 16),
          Date.UTC(2026, 9, 3, 16),
          Date.UTC(2027, 3, 3, 16),
          Date.UTC(2027, 9, 2, 16),
        ],
        'Asia/Kolkata': [],
        UTC: [],
      };
      for (const [zoneId, zoneChanges] of Object.entries(changes)) {
        // Every 3 h 7 min of two years, and the minutes around each change of the zone's offset.
        const instants: number[] = [];
        for (let t = from; t < to; t += 187 * 60_000) instants.push(t);
        for (const change of zoneChanges) {
          for (const m of [-61, -60, -59, -1, 0, 1, 59, 60, 61]) instants.push(change + m * 60_000);
        }
        const component = new ICAL.Component(
          ICAL.parse(`BEGIN:VCALENDAR\r\n${vtimezone(zoneId, from, to)}\r\nEND:VCALENDAR\r\n`),
        );
        const zone = new ICAL.Timezone(component.getFirstSubcomponent('vtimezone')!);
        const wallClock = new Intl.DateTimeFormat('en-US', {
          timeZone: zoneId,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
        });
        const wallOf = (t: number) =>
          Object.fromEntries(wallClock.formatToParts(t).map((p) => [p.type, Number(p.value)] as const));
        const offsetOf = (t: number) => {
          const w = wallOf(t);
          return Date.UTC(w.year!, w.month! - 1, w.day!, w.hour!, w.minute!) - t;
        };
        for (const change of zoneChanges) expect(offsetOf(change)).not.toBe(offsetOf(change - 60_000));
        for (const t of instants) {
          // A time shown twice is written in UTC instead (see bookingCalendar); skip it here.
          if (!hasUniqueWallTime(t, zoneId)) continue;
          const parts = wallOf(t);
          const local = ICAL.Time.fromData(
            {
              year: parts.year!,
              month: parts.month!,
              day: parts.day!,
              hour: parts.hour!,
              minute: parts.minute!,
              second: 0,
            },
            zone,
          );
          expect(local.toUnixTime() * 1000, `${zoneId} ${local.toString()}`).toBe(t);
        }
      }
    });
  });

  it('is right whatever zone the server itself runs in (no host-local getters)', () => {
    const hostZone = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles'; // Node applies a changed TZ at once
    try {
      expect(new Date(Date.UTC(2026, 0, 15, 7, 15)).getHours()).toBe(23); // the host is elsewhere now
      const ics = bookingCalendar(
        booking({ start: Date.UTC(2026, 0, 15, 7, 15), end: Date.UTC(2026, 0, 15, 8) }),
      );
      expect(ics).toContain('DTSTART;TZID=Europe/Berlin:20260115T081500');
      expect(ics).toContain('DTEND;TZID=Europe/Berlin:20260115T090000');
    } finally {
      if (hostZone === undefined) delete process.env.TZ;
      else process.env.TZ = hostZone;
    }
  });
});
