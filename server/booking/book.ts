/**
 * Online booking: load → decide → apply, in one write transaction. The snapshot is read inside the
 * transaction (the configuration, the client file with its packages, the busy times of the
 * therapists and rooms in question), the appointment decision (engine/appointment.ts) plans or
 * refuses, and the plan is written with the confirmation e-mail and the idempotency record. Either
 * all of it lands or nothing does.
 *
 * On PostgreSQL the client file's row is locked before its budget is read (every decision about a
 * file's packages waits for the one before, in any instance), and the exclusion constraints refuse
 * a therapist or room taken meanwhile by another instance: the transaction is then run again, on
 * what is committed now, and decides anew (another therapist, or `slot_taken`).
 */
import { createHash } from 'node:crypto';
import { type Locale, remainingText } from '../../shared/i18n.ts';
import { newAccessCode } from '../auth/codes.ts';
import { findBookingRequest, insertBookingRequest } from '../db/queries/bookings.ts';
import {
  type Applied,
  applyPlan,
  clientContact,
  clientIdByEmail,
  loadBusy,
  loadClientFile,
} from '../db/queries/calendar.ts';
import type { Store } from '../db/store.ts';
import {
  type AppointmentPlan,
  type ClientFile,
  decideAppointment,
  type NewClientData,
  type OnlineBooking,
  type Refusal,
  snapshotWindow,
} from '../engine/appointment.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { ApiError } from '../problem.ts';
import { bookable } from './availability.ts';
import { practiceConfigIn } from './config.ts';
import { confirmationMail } from './messages.ts';

export interface BookingRequest {
  /** The practice of the path, as the route found it; its configuration is read again inside the transaction. */
  practiceId: number;
  slug: string;
  chainId: number;
  start: number;
  therapistId?: number | undefined;
  /** A returning client, identified by a client token: the file and the access-code version it was issued for. */
  client?: { id: number; codeVersion: number } | undefined;
  /** A new client. */
  newClient?: NewClientData | undefined;
  /** A returning client's birth date, when the file has none and the chain has an age limit. */
  birthDate?: string | undefined;
  /** The request's Idempotency-Key and a hash of what was asked: a retry gets the same booking. */
  idempotency: { key: string; hash: string };
  lang: Locale;
}

export interface BookingLinks {
  cancelUrl: (appointmentId: number) => string;
  icsUrl: (appointmentId: number) => string;
}

export type BookingResult =
  | { replayed: boolean; body: BookingBody }
  | { refusal: Refusal; replayed?: undefined };

/** Stable hash of a request for the idempotency check. */
export function requestHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const invalidToken = () =>
  new ApiError(401, 'invalid_token', 'The client token is invalid or expired. Please identify again.');

export function createBooking(
  store: Store,
  req: BookingRequest,
  links: BookingLinks,
  clock: () => number,
): Promise<BookingResult> {
  const { practiceId } = req;
  return store.write(
    async (tx): Promise<BookingResult> => {
      // The address may have moved to another practice since the route looked (it may hold an old
      // copy of the configuration): nothing is read or written for a practice that no longer has it.
      const current = await practiceConfigIn(store, tx, req.slug);
      if (current?.practice.id !== practiceId) {
        throw new ApiError(404, 'practice_not_found', `No practice "${req.slug}".`);
      }
      // The time is read inside the transaction, after any wait for the lock.
      const now = clock();
      // A returning client's token is good only while the file's access code is the one it was
      // issued for — also for a retry of a booking made with it.
      const contact = req.client && (await clientContact(tx, practiceId, req.client.id));
      if (req.client && contact?.accessCodeVersion !== req.client.codeVersion) throw invalidToken();
      const previous = await findBookingRequest(tx, practiceId, req.idempotency.key);
      if (previous) {
        if (previous.requestHash !== req.idempotency.hash) {
          throw new ApiError(
            422,
            'idempotency_key_reused',
            'This Idempotency-Key was used for a different request.',
          );
        }
        // The same booking, as it stands now (it may have been cancelled since).
        return { replayed: true, body: { ...(previous.response as BookingBody), status: previous.status } };
      }
      const config = bookable(current, req.slug);

      // Load.
      const request: OnlineBooking = {
        kind: 'online',
        chainId: req.chainId,
        start: req.start,
        therapistId: req.therapistId,
        newClient: req.newClient,
        birthDate: req.birthDate,
      };
      const window = snapshotWindow(config, request);
      let to: { email: string; name: string };
      let client: ClientFile | null = null;
      if (req.client) {
        // Locked (PostgreSQL), then checked again: the code cannot have changed in between.
        client = (await loadClientFile(tx, practiceId, req.client.id, window, { lock: true })) ?? null;
        const locked = client && (await clientContact(tx, practiceId, req.client.id));
        if (!locked || locked.accessCodeVersion !== req.client.codeVersion) throw invalidToken();
        if (!locked.email)
          throw new ApiError(422, 'email_required', 'The client file has no e-mail address.');
        to = { email: locked.email, name: `${locked.firstName} ${locked.lastName}` };
      } else {
        const nc = req.newClient!;
        to = { email: nc.email, name: `${nc.firstName} ${nc.lastName}` };
      }
      const snapshot = {
        config,
        client,
        emailTaken: client === null && (await clientIdByEmail(tx, practiceId, to.email)) !== undefined,
        busy: await loadBusy(tx, window),
      };

      // Decide.
      const decision = decideAppointment(snapshot, request, now);
      if (!decision.ok) return { refusal: decision.refusal };
      const { plan } = decision;

      // Apply.
      const applied = await applyPlan(tx, plan, {
        practiceId,
        actor: `online:${client?.clientId ?? 'new'}`,
        now,
        accessCode: newAccessCode,
      });
      const body = bookingBody(config, plan, applied, links, req.lang);
      await confirmationMail(tx, {
        practice: config.practice,
        appointmentId: applied.appointmentId,
        sequence: 0,
        method: 'REQUEST',
        start: plan.appointment.start,
        end: plan.appointment.end,
        chainName: body.chain.name,
        therapistName: body.therapist.name,
        roomName: body.room?.name ?? null,
        to,
        cancelUrl: body.cancelUrl,
        packages: body.packages,
        lang: req.lang,
        now,
      });
      await insertBookingRequest(tx, {
        practiceId,
        key: req.idempotency.key,
        requestHash: req.idempotency.hash,
        appointmentId: applied.appointmentId,
        response: body,
        now,
      });
      return { replayed: false, body };
    },
    // PostgreSQL: a therapist, room or e-mail taken, or the same key used, by a concurrent
    // transaction in another instance; the next run sees it and decides anew.
    { retries: 3 },
  );
}

export type BookingBody = ReturnType<typeof bookingBody>;

/** The answer to a booking: what was booked and what is left of each package it is on. */
function bookingBody(
  config: PracticeConfig,
  plan: AppointmentPlan,
  applied: Applied,
  links: BookingLinks,
  lang: Locale,
) {
  const a = plan.appointment;
  const chain = config.chainById.get(a.chainId!)!;
  const room = a.roomId === null ? null : config.rooms.find((r) => r.id === a.roomId)!;
  const id = applied.appointmentId;
  return {
    id,
    status: 'booked',
    start: new Date(a.start).toISOString(),
    end: new Date(a.end).toISOString(),
    timeZone: config.practice.timeZone,
    chain: { id: chain.id, name: chain.name },
    therapist: { id: a.therapistId, name: config.therapistById.get(a.therapistId)!.name },
    room: room && { id: room.id, name: room.name },
    packages: plan.budgets.map((b) => ({
      id: applied.packageId(b.packageId),
      name: b.name,
      created: b.created,
      remaining: b.remaining.map((r) => ({
        criterion: r.criterion,
        ...(r.code ? { code: r.code } : {}),
        limit: r.limit,
        remaining: r.remaining,
        text: remainingText(r, lang),
      })),
    })),
    packageCreated: plan.packages.length > 0,
    cancelUrl: links.cancelUrl(id),
    icsUrl: links.icsUrl(id),
  };
}
