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
  /**
   * Whether the subject and the calendar entry name the service. Off (and absent in mails queued
   * before the setting existed): they say "Termin" and the practice, since a subject shows on lock
   * screens and a calendar entry in shared calendars ("Hypnose Raucherentwöhnung" must not).
   */
  namesService?: boolean;
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
    summary: m.practice.namesService ? `${m.chainName} – ${m.practice.name}` : `Termin – ${m.practice.name}`,
    description: `${m.practice.namesService ? m.chainName : 'Termin'} bei ${m.therapistName}${m.roomName ? `, ${m.roomName}` : ''}.\nTermin absagen / cancel: ${m.cancelUrl}`,
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

/**
 * The confirmation (method REQUEST) or cancellation (CANCEL) e-mail, with its .ics file. Unless the
 * practice opts in, the subject and the opening lines (the preview a mail app shows) say only
 * "Termin", when and with whom; the service and the packages follow further down, after the
 * cancel link, where only the opened mail shows them.
 */
export function renderBookingMail(m: BookingMail) {
  const de = m.lang === 'de';
  const cancelled = m.method === 'CANCEL';
  const at = when(m);
  const named = m.practice.namesService === true;
  const what = named
    ? m.chainName
    : de
      ? `Termin bei ${m.practice.name}`
      : `appointment at ${m.practice.name}`;
  const subject = cancelled
    ? de
      ? `Abgesagt: ${what} am ${at}`
      : `Cancelled: ${what} on ${at}`
    : de
      ? `Terminbestätigung: ${what} am ${at}`
      : `Booking confirmed: ${what} on ${at}`;
  const budget = m.packages.flatMap((p) => p.remaining.map((r) => `  ${p.name}: ${r.text}`));
  const room = m.roomName ? `, ${m.roomName}` : '';
  const lines = de
    ? [
        `Guten Tag ${m.to.name},`,
        '',
        cancelled
          ? `Ihr Termin bei ${m.practice.name} wurde abgesagt:`
          : `vielen Dank für Ihre Buchung bei ${m.practice.name}. Ihr Termin:`,
        '',
        `  ${at}`,
        `  bei ${m.therapistName}${room}`,
        '',
        ...(cancelled ? [] : ['Absagen können Sie hier:', m.cancelUrl, '']),
        'Die Kalenderdatei liegt dieser E-Mail bei.',
        '',
        cancelled ? 'Abgesagt wurde:' : 'Gebucht ist:',
        `  ${m.chainName}`,
        '',
        ...(budget.length ? ['Ihre Pakete:', ...budget, ''] : []),
        `Ihre ${m.practice.name}`,
      ]
    : [
        `Hello ${m.to.name},`,
        '',
        cancelled
          ? `Your appointment at ${m.practice.name} has been cancelled:`
          : `thank you for your booking at ${m.practice.name}. Your appointment:`,
        '',
        `  ${at}`,
        `  with ${m.therapistName}${room}`,
        '',
        ...(cancelled ? [] : ['To cancel:', m.cancelUrl, '']),
        'The calendar file is attached.',
        '',
        cancelled ? 'Cancelled:' : 'Booked:',
        `  ${m.chainName}`,
        '',
        ...(budget.length ? ['Your packages:', ...budget, ''] : []),
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
