/**
 * Cancelling an online booking by its cancel link: until the practice's deadline, in one write
 * transaction that releases the budget (ledger), raises the calendar SEQUENCE and queues the
 * cancellation e-mail with METHOD:CANCEL. Cancelling twice is a no-op.
 */
import { and, eq } from 'drizzle-orm';
import type { Locale } from '../../shared/i18n.ts';
import { type Db, type Tx, writeTransaction } from '../db/index.ts';
import { loadAppointment, loadClientFile } from '../db/load.ts';
import * as t from '../db/schema.ts';
import * as w from '../db/writes.ts';
import { decideAppointment, type Refusal } from '../engine/appointment.ts';
import { ApiError } from '../problem.ts';
import { practiceConfig } from './config.ts';
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
): Promise<CancelResult | { refusal: Refusal }> {
  // Waits for the write lock without blocking the process; the time is read once holding it.
  return writeTransaction(db, () => {
    const now = opts.clock();
    const b = loadBooking(db, practiceId, appointmentId);
    const appointment = loadAppointment(db, practiceId, appointmentId)!;
    const client = loadClientFile(db, practiceId, appointment.clientId, { from: 0, to: 0 })!;
    const config = practiceConfig(db, b.practice.slug)!;
    const decision = decideAppointment(
      { config, client, busy: [], appointment },
      { kind: 'cancel', appointmentId, by: 'client' },
      now,
    );
    if (!decision.ok) return { refusal: decision.refusal };
    const { plan } = decision;
    if (plan.action === 'none') return { changed: false, booking: bookingView(b, now) };
    w.applyPlan(db, plan, { practiceId, actor: `online:${appointment.clientId}`, now, accessCode: () => '' });
    if (plan.mail && b.client.email) {
      confirmationMail(db, {
        practice: config.practice,
        appointmentId,
        sequence: plan.appointment.sequence,
        method: 'CANCEL',
        start: plan.appointment.start,
        end: plan.appointment.end,
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
    return { changed: true, booking: bookingView(loadBooking(db, practiceId, appointmentId), now) };
  });
}
