/**
 * Cancelling an online booking by its cancel link: until the practice's deadline, in one write
 * transaction that releases the budget (ledger), raises the calendar SEQUENCE and queues the
 * cancellation e-mail with METHOD:CANCEL. Cancelling twice is a no-op.
 */
import { and, eq } from 'drizzle-orm';
import type { Locale } from '../../shared/i18n.ts';
import { type Db, type Tx, writeTransaction } from '../db/index.ts';
import * as t from '../db/schema.ts';
import * as w from '../db/writes.ts';
import { ApiError } from '../problem.ts';
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

/** An appointment with what the public views need, or 404. */
export function loadBooking(db: Db | Tx, practiceId: number, appointmentId: number) {
  const row = db
    .select({
      appointment: t.appointments,
      practice: t.practices,
      client: t.clients,
      therapistName: t.therapists.name,
      chainName: t.chains.name,
      roomName: t.rooms.name,
    })
    .from(t.appointments)
    .innerJoin(t.practices, eq(t.practices.id, t.appointments.practiceId))
    .innerJoin(t.clients, eq(t.clients.id, t.appointments.clientId))
    .innerJoin(t.therapists, eq(t.therapists.id, t.appointments.therapistId))
    .leftJoin(t.chains, eq(t.chains.id, t.appointments.chainId))
    .leftJoin(t.rooms, eq(t.rooms.id, t.appointments.roomId))
    .where(and(eq(t.appointments.practiceId, practiceId), eq(t.appointments.id, appointmentId)))
    .get();
  if (!row) throw new ApiError(404, 'booking_not_found', 'No such booking.');
  return row;
}

export type LoadedBooking = ReturnType<typeof loadBooking>;

export function cancelDeadline(b: LoadedBooking): number {
  return b.appointment.startsAt - b.practice.cancelDeadlineMinutes * 60_000;
}

export function bookingView(b: LoadedBooking, now: number): BookingView {
  const a = b.appointment;
  return {
    id: a.id,
    status: a.status,
    start: new Date(a.startsAt).toISOString(),
    end: new Date(a.endsAt).toISOString(),
    timeZone: b.practice.timeZone,
    chain: a.chainId !== null && b.chainName !== null ? { id: a.chainId, name: b.chainName } : null,
    therapist: { id: a.therapistId, name: b.therapistName },
    cancellable: a.status === 'booked' && now <= cancelDeadline(b),
    cancelDeadline: new Date(cancelDeadline(b)).toISOString(),
  };
}

export type CancelResult = { changed: boolean; booking: BookingView };

export function cancelBooking(
  db: Db,
  practiceId: number,
  appointmentId: number,
  opts: { clock: () => number; lang: Locale; cancelUrl: string },
): Promise<CancelResult> {
  // Waits for the write lock without blocking the process; the time is read once holding it.
  return writeTransaction(db, () => {
    const now = opts.clock();
    const tx = db;
    const b = loadBooking(tx, practiceId, appointmentId);
    const a = b.appointment;
    if (a.status === 'cancelled') return { changed: false, booking: bookingView(b, now) };
    if (a.status !== 'booked') {
      throw new ApiError(409, 'not_cancellable', 'This appointment has taken place and cannot be cancelled.');
    }
    if (now > cancelDeadline(b)) {
      const hours = Math.round(b.practice.cancelDeadlineMinutes / 60);
      throw new ApiError(
        409,
        'cancel_deadline_passed',
        opts.lang === 'de'
          ? `Online absagen ist nur bis ${hours} Stunden vor dem Termin möglich. Bitte rufen Sie die Praxis an.`
          : `Online cancellation closes ${hours} hours before the appointment. Please call the practice.`,
        { deadline: new Date(cancelDeadline(b)).toISOString() },
      );
    }
    const sequence = a.sequence + 1;
    tx.update(t.appointments)
      .set({ status: 'cancelled', cancelledAt: now, sequence })
      .where(eq(t.appointments.id, a.id))
      .run();
    const links = tx
      .select({ packageId: t.appointmentPackages.packageId })
      .from(t.appointmentPackages)
      .where(eq(t.appointmentPackages.appointmentId, a.id))
      .all();
    const actor = `online:${a.clientId}`;
    for (const { packageId } of links) {
      w.insertLedger(db, {
        practiceId,
        packageId,
        at: now,
        actor,
        action: 'released',
        appointmentId: a.id,
        details: { reason: 'cancelled by client' },
      });
    }
    // A package this booking created and nothing else uses goes with it: the file is as before
    // the first visit was booked, so the first visit can be booked again (and no follow-up
    // without one).
    for (const packageId of w.packagesToWithdraw(db, a.id)) {
      w.withdrawPackage(db, packageId);
      w.insertLedger(db, {
        practiceId,
        packageId,
        at: now,
        actor,
        action: 'withdrawn',
        appointmentId: a.id,
        details: { reason: 'the booking that created it was cancelled' },
      });
    }
    if (b.client.email) {
      confirmationMail(db, {
        practice: b.practice,
        appointmentId: a.id,
        sequence,
        method: 'CANCEL',
        start: a.startsAt,
        end: a.endsAt,
        chainName: b.chainName ?? 'Termin',
        therapistName: b.therapistName,
        roomName: b.roomName,
        to: { email: b.client.email, name: `${b.client.firstName} ${b.client.lastName}` },
        cancelUrl: opts.cancelUrl,
        packages: [],
        lang: opts.lang,
        now,
      });
    }
    return { changed: true, booking: bookingView(loadBooking(tx, practiceId, appointmentId), now) };
  });
}
