/**
 * Online booking: load → decide → apply, in one write transaction. The snapshot is read inside the
 * transaction (the configuration, the client file with its packages, the busy times of the
 * therapists and rooms in question), the appointment decision (engine/appointment.ts) plans or
 * refuses, and the plan is written with the confirmation e-mail and the idempotency record. Either
 * all of it lands or nothing does.
 */
import { createHash } from 'node:crypto';
import { type Locale, remainingText } from '../../shared/i18n.ts';
import { newAccessCode } from '../auth/codes.ts';
import { type Db, writeTransaction } from '../db/index.ts';
import { loadBusy, loadClientFile } from '../db/load.ts';
import * as w from '../db/writes.ts';
import {
  type AppointmentPlan,
  decideAppointment,
  type OnlineBooking,
  type Refusal,
  snapshotWindow,
} from '../engine/appointment.ts';
import { ApiError } from '../problem.ts';
import { bookable } from './availability.ts';
import { type PracticeConfig, practiceConfig } from './config.ts';
import { confirmationMail } from './messages.ts';

export interface NewClientData {
  firstName: string;
  lastName: string;
  email: string;
  phone?: string | undefined;
  birthDate?: string | undefined;
}

export interface BookingRequest {
  /** The practice of the path, as the route found it; its configuration is read again inside the transaction. */
  practiceId: number;
  slug: string;
  chainId: number;
  start: number;
  therapistId?: number | undefined;
  /** A returning client, identified by a client token. */
  clientId?: number | undefined;
  /** A new client. */
  newClient?: NewClientData | undefined;
  /** A returning client's birth date, when the file has none and the chain has an age limit. */
  birthDate?: string | undefined;
  idempotencyKey: string;
  /** Hash of what was asked (body and who asked): the same key with another request is refused. */
  requestHash: string;
  lang: Locale;
  /**
   * Runs first inside the transaction, and may refuse by throwing (the route's per-IP budget for
   * new clients): its reads cost less there than in a read transaction of their own.
   */
  precheck?: (() => void) | undefined;
}

export interface BookingLinks {
  cancelUrl: (appointmentId: number) => string;
  icsUrl: (appointmentId: number) => string;
}

export type BookingResult =
  | { replayed: boolean; body: Record<string, unknown> }
  | { refusal: Refusal; replayed?: undefined };

/** Stable hash of a request for the idempotency check. */
export function requestHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export function createBooking(
  db: Db,
  req: BookingRequest,
  links: BookingLinks,
  clock: () => number,
): Promise<BookingResult> {
  const { practiceId } = req;
  // Every read and write below goes through `db`'s connection, inside this IMMEDIATE transaction;
  // the time is read inside it too, after any wait for the write lock.
  return writeTransaction(db, (): BookingResult => {
    // The address may have moved to another practice since the route looked (it may hold an old
    // copy of the configuration): nothing is read or written for a practice that no longer has it.
    const current = practiceConfig(db, req.slug);
    if (current?.practice.id !== practiceId) {
      throw new ApiError(404, 'practice_not_found', `No practice "${req.slug}".`);
    }
    req.precheck?.();
    const now = clock();
    const previous = w.findBookingRequest(db, practiceId, req.idempotencyKey);
    if (previous) {
      if (previous.requestHash !== req.requestHash) {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used for a different request.',
        );
      }
      // The same booking, as it stands now (it may have been cancelled since).
      return { replayed: true, body: { ...previous.response, status: previous.status } };
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
    let email: string;
    let name: string;
    let client = null;
    if (req.clientId !== undefined) {
      const file = w.clientFile(db, practiceId, req.clientId);
      if (!file)
        throw new ApiError(401, 'invalid_token', 'The client token does not belong to a client file.');
      if (!file.email) throw new ApiError(422, 'email_required', 'The client file has no e-mail address.');
      client = loadClientFile(db, practiceId, file.id, window)!;
      email = file.email;
      name = `${file.firstName} ${file.lastName}`;
    } else {
      email = req.newClient!.email;
      name = `${req.newClient!.firstName} ${req.newClient!.lastName}`;
    }
    const snapshot = {
      config,
      client,
      emailTaken: client === null && w.clientIdByEmail(db, practiceId, email) !== undefined,
      busy: loadBusy(db, window, window.from, window.to),
    };

    // Decide.
    const decision = decideAppointment(snapshot, request, now);
    if (!decision.ok) return { refusal: decision.refusal };
    const { plan } = decision;

    // Apply.
    const applied = w.applyPlan(db, plan, {
      practiceId,
      actor: `online:${client?.clientId ?? 'new'}`,
      now,
      accessCode: newAccessCode,
    });
    const body = bookingBody(config, plan, applied, links, req.lang);
    confirmationMail(db, {
      practice: config.practice,
      appointmentId: applied.appointmentId,
      sequence: 0,
      method: 'REQUEST',
      start: plan.appointment.start,
      end: plan.appointment.end,
      chainName: body.chain.name,
      therapistName: body.therapist.name,
      roomName: body.room?.name ?? null,
      to: { email, name },
      cancelUrl: body.cancelUrl,
      packages: body.packages,
      lang: req.lang,
      now,
    });
    w.insertBookingRequest(db, {
      practiceId,
      key: req.idempotencyKey,
      requestHash: req.requestHash,
      appointmentId: applied.appointmentId,
      response: body,
      now,
    });
    return { replayed: false, body };
  });
}

/** The answer to a booking: what was booked and what is left of each package it is on. */
function bookingBody(
  config: PracticeConfig,
  plan: AppointmentPlan,
  applied: w.Applied,
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
