/**
 * The e-mails a booking sends: confirmation and cancellation, each with a calendar file. They are
 * written to the outbox in the same transaction as the booking itself, so neither is ever lost.
 */
import type { Locale } from '../../shared/i18n.ts';
import { toIsoWithOffset } from '../../shared/time.ts';
import type { Db } from '../db/index.ts';
import type { PracticeRow } from '../db/load.ts';
import { type BookingCalendarInput, bookingCalendar, calendarAttachment } from '../mail/ics.ts';
import { enqueueMail } from '../mail/outbox.ts';

export interface BookingMail {
  practice: PracticeRow;
  appointmentId: number;
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  start: number;
  end: number;
  chainName: string;
  therapistName: string;
  roomName: string | null;
  to: { email: string; name: string };
  cancelUrl: string;
  packages: { name: string; remaining: { text: string }[] }[];
  lang: Locale;
  now: number;
}

/** The UID of a booking's calendar entry: the same for the confirmation and the cancellation. */
export function bookingUid(practice: PracticeRow, appointmentId: number): string {
  return `appointment-${appointmentId}@${practice.slug}.terminkette`;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function when(m: BookingMail): string {
  const locale = m.lang === 'de' ? 'de-DE' : 'en-GB';
  const key = `${locale}|${m.practice.timeZone}`;
  let fmt = formats.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(locale, {
      timeZone: m.practice.timeZone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(key, fmt);
  }
  return `${fmt.format(m.start)} (${toIsoWithOffset(m.start, m.practice.timeZone).slice(-6)})`;
}

/** The calendar file of a booking, as a confirmation (REQUEST) or a cancellation (CANCEL). */
export function bookingIcs(m: CalendarFacts): string {
  return bookingCalendar(bookingCalendarInput(m));
}

type CalendarFacts = Omit<BookingMail, 'to' | 'packages' | 'lang'> & { to?: BookingMail['to'] };

/** What the calendar file of a booking says. */
export function bookingCalendarInput(m: CalendarFacts): BookingCalendarInput {
  return {
    uid: bookingUid(m.practice, m.appointmentId),
    sequence: m.sequence,
    method: m.method,
    start: m.start,
    end: m.end,
    timeZone: m.practice.timeZone,
    summary: `${m.chainName} – ${m.practice.name}`,
    description: `${m.chainName} bei ${m.therapistName}${m.roomName ? `, ${m.roomName}` : ''}.\nTermin absagen / cancel: ${m.cancelUrl}`,
    ...(m.roomName ? { location: `${m.practice.name}, ${m.roomName}` } : { location: m.practice.name }),
    organizer: {
      name: m.practice.name,
      email: m.practice.contactEmail ?? `no-reply@${m.practice.slug}.terminkette`,
    },
    ...(m.to ? { attendee: { name: m.to.name, email: m.to.email } } : {}),
    url: m.cancelUrl,
    stamp: m.now,
  };
}

/** Queues the confirmation (method REQUEST) or cancellation (CANCEL) e-mail with its .ics file. */
export function confirmationMail(db: Db, m: BookingMail): void {
  const de = m.lang === 'de';
  const cancelled = m.method === 'CANCEL';
  const at = when(m);
  const subject = cancelled
    ? de
      ? `Abgesagt: ${m.chainName} am ${at}`
      : `Cancelled: ${m.chainName} on ${at}`
    : de
      ? `Terminbestätigung: ${m.chainName} am ${at}`
      : `Booking confirmed: ${m.chainName} on ${at}`;
  const budget = m.packages.flatMap((p) => p.remaining.map((r) => `  ${p.name}: ${r.text}`));
  const lines = de
    ? [
        `Guten Tag ${m.to.name},`,
        '',
        cancelled ? 'Ihr Termin wurde abgesagt:' : 'vielen Dank für Ihre Buchung. Ihr Termin:',
        '',
        `  ${m.chainName}`,
        `  ${at}`,
        `  bei ${m.therapistName}${m.roomName ? `, ${m.roomName}` : ''}`,
        '',
        ...(budget.length ? ['Ihre Pakete:', ...budget, ''] : []),
        ...(cancelled ? [] : ['Absagen können Sie hier:', m.cancelUrl, '']),
        'Die Kalenderdatei liegt dieser E-Mail bei.',
        '',
        `Ihre ${m.practice.name}`,
      ]
    : [
        `Hello ${m.to.name},`,
        '',
        cancelled ? 'Your appointment has been cancelled:' : 'thank you for your booking. Your appointment:',
        '',
        `  ${m.chainName}`,
        `  ${at}`,
        `  with ${m.therapistName}${m.roomName ? `, ${m.roomName}` : ''}`,
        '',
        ...(budget.length ? ['Your packages:', ...budget, ''] : []),
        ...(cancelled ? [] : ['To cancel:', m.cancelUrl, '']),
        'The calendar file is attached.',
        '',
        m.practice.name,
      ];
  enqueueMail(
    db,
    {
      practiceId: m.practice.id,
      kind: cancelled ? 'booking-cancellation' : 'booking-confirmation',
      to: m.to.email,
      subject,
      text: lines.join('\n'),
      attachments: [calendarAttachment(bookingCalendarInput(m))],
    },
    m.now,
  );
}
