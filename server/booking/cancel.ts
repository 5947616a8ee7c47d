/**
 * A booking behind its cancel link: viewing it, and cancelling it until the practice's deadline —
 * load → decide (engine/appointment.ts) → apply, in one write transaction that releases the budget
 * (ledger), withdraws a package the booking created and nothing else uses, raises the calendar
 * SEQUENCE and queues the cancellation e-mail with METHOD:CANCEL. Cancelling twice changes nothing.
 */
import type { Locale } from '../../shared/i18n.ts';
import {
  applyPlan,
  type BookingRow,
  bookingView,
  loadAppointment,
  loadClientFile,
} from '../db/queries/calendar.ts';
import { practiceById } from '../db/queries/config.ts';
import type { Store, Tx } from '../db/store.ts';
import { decideAppointment, type Refusal } from '../engine/appointment.ts';
import type { Practice } from '../engine/config.ts';
import { ApiError } from '../problem.ts';
import { practiceConfigIn } from './config.ts';
import { confirmationMail } from './messages.ts';

export interface BookingView {
  id: number;
  status: string;
  start: string;
  end: string;
  timeZone: string;
  chain: { id: number; name: string } | null;
  therapist: { id: number; name: string };
  cancellable: boolean;
  cancelDeadline: string;
}

/** A booking with its practice, as the public views need it. */
export interface LoadedBooking {
  booking: BookingRow;
  practice: Practice;
}

async function loadIn(tx: Tx, practiceId: number, appointmentId: number): Promise<LoadedBooking> {
  const practice = await practiceById(tx, practiceId);
  const booking = practice && (await bookingView(tx, practiceId, appointmentId));
  if (!practice || !booking) throw new ApiError(404, 'booking_not_found', 'No such booking.');
  return { booking, practice };
}

/** An appointment with what the public views need, or 404. */
export function loadBooking(store: Store, practiceId: number, appointmentId: number): Promise<LoadedBooking> {
  return store.read((tx) => loadIn(tx, practiceId, appointmentId), { snapshot: true });
}

export function cancelDeadline(b: LoadedBooking): number {
  return b.booking.start - b.practice.cancelDeadlineMinutes * 60_000;
}

export function bookingViewOf(b: LoadedBooking, now: number): BookingView {
  const a = b.booking;
  return {
    id: a.id,
    status: a.status,
    start: new Date(a.start).toISOString(),
    end: new Date(a.end).toISOString(),
    timeZone: b.practice.timeZone,
    chain: a.chainId !== null && a.chainName !== null ? { id: a.chainId, name: a.chainName } : null,
    therapist: { id: a.therapistId, name: a.therapistName },
    cancellable: a.status === 'booked' && now <= cancelDeadline(b),
    cancelDeadline: new Date(cancelDeadline(b)).toISOString(),
  };
}

export type CancelResult = { changed: boolean; booking: BookingView } | { refusal: Refusal };

/** Cancels a booking by its client (the cancel link): the practice's deadline applies. */
export function cancelBooking(
  store: Store,
  practiceId: number,
  appointmentId: number,
  opts: { clock: () => number; lang: Locale; cancelUrl: string },
): Promise<CancelResult> {
  return store.write(async (tx): Promise<CancelResult> => {
    const now = opts.clock();
    const b = await loadIn(tx, practiceId, appointmentId);
    const appointment = (await loadAppointment(tx, practiceId, appointmentId))!;
    const client = (await loadClientFile(
      tx,
      practiceId,
      appointment.clientId,
      { from: 0, to: 0 },
      { lock: true },
    ))!;
    const config = (await practiceConfigIn(store, tx, b.practice.slug))!;
    const decision = decideAppointment(
      { config, client, busy: [], appointment },
      { kind: 'cancel', appointmentId, by: 'client' },
      now,
    );
    if (!decision.ok) return { refusal: decision.refusal };
    const { plan } = decision;
    if (plan.action === 'none') return { changed: false, booking: bookingViewOf(b, now) };
    await applyPlan(tx, plan, {
      practiceId,
      actor: `online:${appointment.clientId}`,
      now,
      accessCode: () => '',
    });
    if (plan.mail && b.booking.client.email) {
      await confirmationMail(tx, {
        practice: config.practice,
        appointmentId,
        sequence: plan.appointment.sequence,
        method: 'CANCEL',
        start: plan.appointment.start,
        end: plan.appointment.end,
        chainName: b.booking.chainName ?? 'Termin',
        therapistName: b.booking.therapistName,
        roomName: b.booking.roomName,
        to: {
          email: b.booking.client.email,
          name: `${b.booking.client.firstName} ${b.booking.client.lastName}`,
        },
        cancelUrl: opts.cancelUrl,
        packages: [],
        lang: opts.lang,
        now,
      });
    }
    return { changed: true, booking: bookingViewOf(await loadIn(tx, practiceId, appointmentId), now) };
  });
}
