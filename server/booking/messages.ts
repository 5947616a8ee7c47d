/**
 * The e-mails a booking sends: confirmation and cancellation, each with a calendar file. They are
 * written to the outbox in the same transaction as the booking itself, so neither is ever lost.
 */
import { mailWrite } from '../db/queries/outbox.ts';
import type { Tx, Write } from '../db/store.ts';
import type { Practice } from '../engine/config.ts';
import {
  bookingCalendarInput,
  type CalendarFacts,
  type BookingMail as RenderedMail,
} from '../mail/bookingMail.ts';
import { bookingCalendar } from '../mail/ics.ts';

export type BookingMail = Omit<RenderedMail, 'practice'> & { practice: Practice };

/** The practice as a mail needs it (the outbox row keeps no more than that). */
function mailPractice(p: Practice): RenderedMail['practice'] {
  return {
    id: p.id,
    slug: p.slug,
    name: p.name,
    timeZone: p.timeZone,
    contactEmail: p.contactEmail,
    namesService: p.mailNamesService,
  };
}

/** The calendar file of a booking, as a confirmation (REQUEST) or a cancellation (CANCEL). */
export function bookingIcs(m: Omit<CalendarFacts, 'practice'> & { practice: Practice }): string {
  return bookingCalendar(bookingCalendarInput({ ...m, practice: mailPractice(m.practice) }));
}

/**
 * Queues the confirmation (method REQUEST) or cancellation (CANCEL) e-mail with its .ics file.
 * The outbox row keeps what the mail says; it is rendered when sent (see mail/bookingMail.ts).
 */
export async function confirmationMail(tx: Tx, m: BookingMail): Promise<void> {
  await tx.batch([confirmationMailWrite(m)]);
}

/** The same, as a write to go in a batch with the booking. */
export function confirmationMailWrite(m: BookingMail): Write {
  const mail: RenderedMail = { ...m, practice: mailPractice(m.practice) };
  return mailWrite({
    practiceId: m.practice.id,
    kind: m.method === 'CANCEL' ? 'booking-cancellation' : 'booking-confirmation',
    to: m.to.email,
    subject: '',
    text: '',
    attachments: [],
    content: { template: 'booking', mail },
    now: m.now,
  });
}
