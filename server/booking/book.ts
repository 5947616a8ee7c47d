/**
 * Online booking: load → decide → apply. The snapshot is read in one go (db/queries/bookingSnapshot.ts:
 * the configuration's version, an earlier request with the same key, the client file with its
 * packages, the busy times of the therapists and rooms in question), the appointment decision
 * (engine/appointment.ts) plans or refuses, and the plan is written with the confirmation e-mail,
 * the idempotency record and the point on the address's booking limit in one batch. Either all of
 * it lands or nothing does: a point over the limit is refused by the database, and with it the
 * booking (`limited`).
 *
 * On SQLite all of it runs in one IMMEDIATE transaction. On PostgreSQL the exclusion and unique
 * constraints refuse a therapist, room, e-mail or key taken meanwhile by another instance, and a
 * returning client's budget is guarded by its version: the batch moves the file's budget version on
 * from the one the decision read, and a check refuses it if another decision (any instance, staff
 * included: they lock the file by moving the version on) got there first. The booking is then run
 * again on what is committed now, and decides anew (another therapist, `slot_taken`, or the budget
 * as it is now) — that second run with the file locked before its budget is read, so a client
 * booking many times at once gets each one decided in turn instead of refused.
 */
import { createHash } from 'node:crypto';
import { type Locale, remainingText } from '../../shared/i18n.ts';
import { newAccessCode } from '../auth/codes.ts';
import { clientTokenMatches } from '../auth/tokens.ts';
import { loadBookingSnapshot } from '../db/queries/bookingSnapshot.ts';
import { bookingRequestWrite } from '../db/queries/bookings.ts';
import {
  type Applied,
  applyPlan,
  clientIdByEmail,
  lockClient,
  purgeExpiredHolds,
} from '../db/queries/calendar.ts';
import { type CounterLimit, limitWait, OverLimit, pointWrites } from '../db/queries/rateLimits.ts';
import type { Store } from '../db/store.ts';
import {
  type AppointmentPlan,
  decideAppointment,
  holdWindow,
  type NewClientData,
  type OnlineBooking,
  type Refusal,
  snapshotWindow,
} from '../engine/appointment.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { StoreConflict } from '../errors.ts';
import { ApiError } from '../problem.ts';
import { bookable } from './availability.ts';
import { practiceConfigIn } from './config.ts';
import { type HoldOwner, type HoldRef, ownerKeys } from './hold.ts';
import { confirmationMailWrite } from './messages.ts';

export interface BookingRequest {
  /** The practice of the path, as the route found it. */
  practiceId: number;
  slug: string;
  /**
   * The practice's configuration as the route holds it (a copy in memory): its version is read
   * again inside the booking, and a copy out of date is loaded anew there.
   */
  config: PracticeConfig;
  chainId: number;
  start: number;
  therapistId?: number | undefined;
  /**
   * Who books, as their token says: a client file (a client token: the access-code version and
   * e-mail it was issued for), or a verified address (an e-mail token), whose file the booking
   * finds or creates.
   */
  identity:
    | { kind: 'file'; id: number; codeVersion: number; emailHash: string }
    | { kind: 'email'; email: string };
  /** A new client's names and details; the address is the verified one. */
  newClient?: Omit<NewClientData, 'email'> | undefined;
  /** A returning client's birth date, when the file has none and the chain has an age limit. */
  birthDate?: string | undefined;
  /**
   * The hold (POST …/holds) whose place the booking takes: its therapist and room, its time. Where
   * its token says which therapist and room it is on, the booking reads only their busy times.
   */
  hold?: HoldRef | undefined;
  /**
   * The practice's limit on bookings from the client's address: a booking takes one point of
   * `key` (at most `points` in `durationMs`) in the batch that writes it — refused bookings count
   * nothing; over the limit nothing is written and the answer is `limited`.
   */
  limit?: CounterLimit | undefined;
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
  | { refusal: Refusal; replayed?: undefined }
  /** Over the limit of bookings from the client's address: milliseconds until it frees up. */
  | { limited: number; replayed?: undefined };

/** Stable hash of a request for the idempotency check. */
export function requestHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const invalidToken = () =>
  new ApiError(401, 'invalid_token', 'The client token is invalid or expired. Please identify again.');

/**
 * Books for whoever the token speaks for. A verified address without a file books as a new client
 * (the file is created with the booking); should a file with that address appear meanwhile (another
 * booking, staff), the booking is decided again on that file.
 */
export async function createBooking(
  store: Store,
  req: BookingRequest,
  links: BookingLinks,
  clock: () => number,
): Promise<BookingResult> {
  const who = req.identity;
  if (who.kind === 'file') {
    return bookOnce(
      store,
      req,
      { id: who.id, token: { codeVersion: who.codeVersion, emailHash: who.emailHash } },
      links,
      clock,
    );
  }
  // Most verified addresses are new; one that has a file is told so by the booking's own
  // snapshot (`client_exists`), and the booking is decided again on that file.
  let fileId: number | undefined;
  for (let attempt = 0; ; attempt++) {
    const result =
      fileId !== undefined
        ? await bookOnce(store, req, { id: fileId, token: null }, links, clock)
        : await bookOnce(store, req, null, links, clock);
    if (attempt < 3 && 'refusal' in result && result.refusal.code === 'client_exists') {
      fileId = await store.read((tx) => clientIdByEmail(tx, req.practiceId, who.email));
      continue;
    }
    return result;
  }
}

/** Who books, resolved: a file (with what a client token must still match), or null for a new client. */
type Booker = { id: number; token: { codeVersion: number; emailHash: string } | null } | null;

function bookOnce(
  store: Store,
  req: BookingRequest,
  returning: Booker,
  links: BookingLinks,
  clock: () => number,
  locked = false,
): Promise<BookingResult> {
  const { practiceId } = req;
  let attempt = 0;
  // See guardedByConstraints below.
  const unguarded = !locked;
  const limits = req.limit ? [req.limit] : [];
  const newClient: NewClientData | undefined =
    returning === null && req.newClient && req.identity.kind === 'email'
      ? { ...req.newClient, email: req.identity.email }
      : undefined;
  const request: OnlineBooking = {
    kind: 'online',
    chainId: req.chainId,
    start: req.start,
    therapistId: req.therapistId,
    newClient,
    birthDate: req.birthDate,
  };
  return store
    .write(
      async (tx): Promise<BookingResult> => {
        // The time is read inside the transaction, after any wait for a lock.
        const now = clock();
        // Holds that ran out are deleted before a booking takes their time: on SQLite every time (in
        // the one transaction), on PostgreSQL after its exclusion constraints refused a first try.
        if (tx.dialect === 'sqlite' || attempt++ > 0) await purgeExpiredHolds(tx, now, practiceId);
        // With a hold whose token says where it is, only its therapist's and room's busy times are
        // read: they are all its decision needs. Should the hold not be there as the token says (run
        // out and deleted), the booking is decided without it, on all of them (`wide`).
        const at = req.hold?.at;
        const inputFor = (config: PracticeConfig, wide = at === undefined) => ({
          practiceId,
          slug: req.slug,
          idempotencyKey: req.idempotency.key,
          // A verified address: whether a file has it now (then the booking is decided on that file).
          email: returning === null && req.identity.kind === 'email' ? req.identity.email : null,
          clientId: returning?.id ?? null,
          window: wide
            ? snapshotWindow(config, request, now)
            : holdWindow(snapshotWindow(config, request, now), at!),
          holdId: req.hold?.id ?? null,
          now,
          reserve: {
            clients: newClient ? 1 : 0,
            packages:
              config.chainById.get(req.chainId)?.rules.filter((r) => r.createWhen.size > 0).length ?? 0,
            // A booking with a hold takes the hold's row (applyPlan's fromHold).
            appointments: req.hold === undefined || wide ? 1 : 0,
          },
        });

        // Load. Where the file is locked, first: its budget is read after.
        if (returning && locked) await lockClient(tx, practiceId, returning.id);
        let config = req.config;
        let snap = await loadBookingSnapshot(tx, inputFor(config));
        // The address may have moved to another practice since the route looked: nothing is read or
        // written for a practice that no longer has it.
        if (snap.version === undefined)
          throw new ApiError(404, 'practice_not_found', `No practice "${req.slug}".`);
        // The configuration changed since the route's copy: decided on it as it is now.
        if (snap.version !== config.version) {
          const current = await practiceConfigIn(store, tx, req.slug);
          if (current?.practice.id !== practiceId) {
            throw new ApiError(404, 'practice_not_found', `No practice "${req.slug}".`);
          }
          config = current;
          snap = await loadBookingSnapshot(tx, inputFor(config));
        }
        // The hold not where its token says (run out and deleted, or booked meanwhile): the booking
        // is decided without it, on every therapist's and room's busy times.
        const h = snap.hold;
        if (at && !(h && h.therapistId === at.therapistId && h.roomId === at.roomId)) {
          snap = await loadBookingSnapshot(tx, inputFor(config, true));
        }
        // A client token is good only while the file's access code and e-mail are those it was
        // issued for — also for a retry of a booking made with it.
        if (returning?.token) {
          const contact = snap.contact;
          if (
            !contact ||
            !clientTokenMatches(
              { ...returning.token, typ: 'client', practiceId, clientId: returning.id, exp: 0 },
              contact,
            )
          )
            throw invalidToken();
        }
        if (snap.previous) {
          if (snap.previous.requestHash !== req.idempotency.hash) {
            throw new ApiError(
              422,
              'idempotency_key_reused',
              'This Idempotency-Key was used for a different request.',
            );
          }
          // The same booking, as it stands now (it may have been cancelled since).
          return {
            replayed: true,
            body: { ...(snap.previous.response as BookingBody), status: snap.previous.status },
          };
        }
        bookable(config, req.slug);
        if (returning === null && snap.emailTaken) return { refusal: { code: 'client_exists' } };
        let to: { email: string; name: string };
        if (returning) {
          const contact = snap.contact!;
          if (!contact.email)
            throw new ApiError(422, 'email_required', 'The client file has no e-mail address.');
          to = { email: contact.email, name: `${contact.firstName} ${contact.lastName}` };
        } else if (newClient) {
          to = { email: newClient.email, name: `${newClient.firstName} ${newClient.lastName}` };
        } else {
          return { refusal: { code: 'client_required' } };
        }

        // The hold the booking names, while it is one: only its maker books with it, and only what
        // it holds. (Converted, let go or deleted after running out: the booking is decided without.)
        let hold: OnlineBooking['hold'];
        if (snap.hold) {
          const h = snap.hold;
          const booker: HoldOwner = returning
            ? { kind: 'file', clientId: returning.id, email: snap.contact?.email ?? null }
            : { kind: 'email', email: newClient!.email };
          if (h.owner !== null && !ownerKeys(booker).includes(h.owner))
            return { refusal: { code: 'hold_not_yours' } };
          if (
            h.chainId !== req.chainId ||
            h.start !== req.start ||
            (req.therapistId !== undefined && req.therapistId !== h.therapistId)
          )
            return { refusal: { code: 'hold_mismatch' } };
          hold = { id: h.id, therapistId: h.therapistId, roomId: h.roomId };
        }

        // Decide.
        const decision = decideAppointment(
          {
            config,
            client: snap.client ?? null,
            emailTaken: snap.emailTaken,
            busy: snap.busy,
            openOnlineBookings: snap.openOnline,
          },
          { ...request, hold },
          now,
        );
        if (!decision.ok) return { refusal: decision.refusal };
        const { plan } = decision;

        // Apply: the plan — the hold's row turned into the booking —, the confirmation e-mail and the
        // idempotency record in one batch.
        let body: BookingBody | undefined;
        await applyPlan(
          tx,
          plan,
          {
            practiceId,
            actor: `online:${returning?.id ?? 'new'}`,
            now,
            accessCode: newAccessCode,
            // Decided without the file's lock: the batch checks the budget's version.
            ...(returning && !locked ? { budgetVersion: snap.contact!.budgetVersion } : {}),
            ...(hold ? { fromHold: hold.id } : {}),
          },
          (applied) => {
            const answer = bookingBody(config, plan, applied, links, req.lang);
            body = answer;
            return [
              confirmationMailWrite({
                practice: config.practice,
                appointmentId: applied.appointmentId,
                sequence: 0,
                method: 'REQUEST',
                start: plan.appointment.start,
                end: plan.appointment.end,
                chainName: answer.chain.name,
                therapistName: answer.therapist.name,
                roomName: answer.room?.name ?? null,
                to,
                cancelUrl: answer.cancelUrl,
                packages: answer.packages,
                lang: req.lang,
                now,
              }),
              bookingRequestWrite({
                practiceId,
                key: req.idempotency.key,
                requestHash: req.idempotency.hash,
                appointmentId: applied.appointmentId,
                response: answer,
                now,
              }),
              // The booking counts against its address's limit now that it is decided, in the
              // same batch: over the limit, the database refuses it and nothing is written.
              ...pointWrites(limits, now),
            ];
          },
          snap.reserved,
        );
        return { replayed: false, body: body! };
      },
      {
        // PostgreSQL: a therapist, room or e-mail taken, or the same key used, by a concurrent
        // booking in another instance; the next run sees it and decides anew. A returning client's
        // first run is not retried here: it runs again below, locked.
        retries: returning && !locked ? 0 : 3,
        // The exclusion, unique and check constraints (the address's limit, a returning client's
        // budget version, the hold still a hold) guard the decision, so the reads and the one batch
        // need no transaction around them. The locked run holds its lock: it needs the transaction.
        guardedByConstraints: unguarded,
      },
    )
    .catch(async (err) => {
      if (err instanceof OverLimit) {
        return { limited: await store.read((tx) => limitWait(tx, limits, clock())) };
      }
      if (err instanceof StoreConflict && returning && !locked) {
        return bookOnce(store, req, returning, links, clock, true);
      }
      throw err;
    });
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
    cancelDeadline: new Date(a.start - config.practice.cancelDeadlineMinutes * 60_000).toISOString(),
    icsUrl: links.icsUrl(id),
  };
}
