/**
 * What a booking's confirmation or cancellation e-mail says, as plain data, and the mail rendered
 * from it. The outbox stores the data (written in the booking's own transaction, so it is never
 * lost) and the mail is rendered when it is sent or logged: composing the text, formatting the
 * date and writing a kilobyte more per row would otherwise happen while every other booking waits
 * for the write lock. The data is all the mail depends on, so the mail is the same either way.
 */
import type { Locale } from '../../shared/i18n.ts';
import { toIsoWithOffset } from '../../shared/time.ts';
import { type BookingCalendarInput, calendarAttachment } from './ics.ts';

export interface BookingMailPractice {
  id: number;
  slug: string;
  name: string;
  timeZone: string;
  contactEmail: string | null;
}

export interface BookingMail {
  practice: BookingMailPractice;
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

/** An outbox row's `content`: a mail to render when it is sent. */
export interface MailContent {
  template: 'booking';
  mail: BookingMail;
}

/** The UID of a booking's calendar entry: the same for the confirmation and the cancellation. */
export function bookingUid(practice: { slug: string }, appointmentId: number): string {
  return `appointment-${appointmentId}@${practice.slug}.terminkette`;
}

export type CalendarFacts = Omit<BookingMail, 'to' | 'packages' | 'lang'> & { to?: BookingMail['to'] };

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

/** The confirmation (method REQUEST) or cancellation (CANCEL) e-mail, with its .ics file. */
export function renderBookingMail(m: BookingMail) {
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
  return {
    kind: cancelled ? 'booking-cancellation' : 'booking-confirmation',
    subject,
    text: lines.join('\n'),
    attachments: [calendarAttachment(bookingCalendarInput(m))],
  };
}

/** An outbox row's stored content, rendered. */
export function renderContent(content: MailContent) {
  return renderBookingMail(content.mail);
}
