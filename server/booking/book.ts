/**
 * Booking: one IMMEDIATE write transaction that re-checks everything against the database as it
 * is at that moment — therapist and room still free, notice and window, age, each package state at
 * the start — and then writes the client file (new clients), the packages created on booking, the
 * appointment with its lines, room and package assignments, the ledger, the confirmation e-mail and
 * the idempotency record. Either all of it lands or nothing does.
 */
import { createHash } from 'node:crypto';
import { consumption } from '../../shared/budget.ts';
import type { BudgetAppointment, BudgetPackage } from '../../shared/domain.ts';
import { type Locale, remainingText } from '../../shared/i18n.ts';
import { localDate } from '../../shared/time.ts';
import { type Db, writeTransaction } from '../db/index.ts';
import { type LoadedChain, loadClientBudget } from '../db/load.ts';
import * as w from '../db/writes.ts';
import { ageRefusal, type ClientBudget, needsBirthDate, planPackages } from '../engine/eligibility.ts';
import { explainDay, searchSlots } from '../engine/slots.ts';
import { newAccessCode } from '../practice/import.ts';
import { ApiError } from '../problem.ts';
import { bookable, chainOf, onlineChain, slotInput } from './availability.ts';
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

export interface BookingResult {
  replayed: boolean;
  body: Record<string, unknown>;
}

/** Stable hash of a request for the idempotency check. */
export function requestHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Why a start cannot be booked, as a stable API error. */
function refusal(reason: string | null, detail: string | undefined, lang: Locale): ApiError {
  const de = lang === 'de';
  switch (reason) {
    case 'therapist_busy':
    case 'no_room':
      return new ApiError(
        409,
        'slot_taken',
        de ? 'Dieser Termin ist inzwischen vergeben.' : 'This slot has just been taken.',
      );
    case 'too_soon':
      return new ApiError(
        409,
        'too_soon',
        de ? 'Dieser Termin ist zu kurzfristig.' : 'This start is too soon to book.',
      );
    case 'beyond_window':
      return new ApiError(
        409,
        'beyond_window',
        de ? 'So weit im Voraus kann noch nicht gebucht werden.' : 'This start is too far ahead.',
      );
    case 'package_exhausted':
      return new ApiError(
        409,
        'budget_exhausted',
        de ? 'Ihr Paket ist aufgebraucht.' : 'Your package is used up.',
        {
          package: detail,
        },
      );
    case 'package_absent':
    case 'package_present':
    case 'package_excluded':
    case 'package_template_does_not_fit':
      return new ApiError(
        409,
        'chain_not_offered',
        de
          ? 'Diese Leistung kann für Sie zu diesem Zeitpunkt nicht gebucht werden.'
          : 'This service cannot be booked for you at that time.',
        { reason, package: detail },
      );
    case 'too_young':
    case 'too_old':
      return new ApiError(
        422,
        'age_not_allowed',
        de ? 'Diese Leistung hat eine Altersgrenze.' : 'This service has an age limit.',
      );
    default:
      return new ApiError(
        409,
        'slot_unavailable',
        de ? 'Zu dieser Zeit ist kein Termin verfügbar.' : 'No appointment is available at that time.',
      );
  }
}

/**
 * The therapist and room for `start`, found by the same slot engine the slot list uses, on the
 * database as it is inside the transaction (the loaders read through the same connection); or the
 * reason there is none.
 */
function pickSlot(
  db: Db,
  config: PracticeConfig,
  chain: LoadedChain,
  req: BookingRequest,
  client: ClientBudget | null,
  now: number,
) {
  const date = localDate(req.start, config.practice.timeZone);
  const input = slotInput(db, config, chain, {
    from: date,
    to: date,
    therapist: req.therapistId,
    onlyStart: req.start,
    // Age and packages are decided by the booking itself, before and after this (same rules).
    rules: false,
    client,
    now,
  });
  // Only the asked start is looked at.
  const slot = searchSlots(input).days[0]?.slots[0];
  if (slot) return slot;
  const explained = explainDay(input).candidates.find(
    (cand) =>
      cand.start === req.start && (req.therapistId === undefined || cand.therapistId === req.therapistId),
  );
  throw refusal(explained?.reason ?? null, explained?.detail, req.lang);
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
  return writeTransaction(db, () => {
    // The address may have moved to another practice since the route looked (it may hold an old
    // copy of the configuration): nothing is read or written for a practice that no longer has it.
    // The configuration as it is inside this transaction (a copy in memory while it is current).
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
    const { practice } = config;
    const chain = chainOf(config, req.chainId);
    if (!onlineChain(practice, chain)) {
      throw new ApiError(403, 'chain_not_bookable', 'This chain cannot be booked online.');
    }

    // Who is booking.
    let client: ClientBudget | null = null;
    let person: { email: string; firstName: string; lastName: string };
    let birthDate: string | null;
    if (req.clientId !== undefined) {
      const file = w.clientFile(db, practiceId, req.clientId);
      if (!file)
        throw new ApiError(401, 'invalid_token', 'The client token does not belong to a client file.');
      if (!file.email) throw new ApiError(422, 'email_required', 'The client file has no e-mail address.');
      client = loadClientBudget(db, practiceId, file.id)!;
      person = { email: file.email, firstName: file.firstName, lastName: file.lastName };
      birthDate = file.birthDate ?? req.birthDate ?? null;
    } else {
      person = req.newClient!;
      birthDate = req.newClient!.birthDate ?? null;
    }
    if (needsBirthDate(chain)) {
      if (!birthDate) {
        throw new ApiError(
          400,
          'birth_date_required',
          'This chain has an age limit: a birth date is required.',
        );
      }
      const tooYoungOrOld = ageRefusal(chain, birthDate, localDate(req.start, practice.timeZone));
      if (tooYoungOrOld) throw refusal(tooYoungOrOld.code, tooYoungOrOld.detail, req.lang);
    }

    const slot = pickSlot(db, config, chain, req, client, now);
    const end = slot.end;
    const plan = planPackages(chain, client, req.start, end, now, practice.timeZone);
    if (!plan.ok) throw refusal(plan.code, plan.detail, req.lang);

    // Only now, with everything else possible: an e-mail that already has a file is not used
    // for a new one (nothing is attached to an existing file silently).
    if (!client && w.clientIdByEmail(db, practiceId, person.email) !== undefined) {
      throw new ApiError(
        409,
        'client_exists',
        req.lang === 'de'
          ? 'Zu dieser E-Mail-Adresse gibt es schon eine Akte. Bitte melden Sie sich als wiederkehrendes Klienty an.'
          : 'There is already a file for this e-mail address. Please identify as a returning client.',
      );
    }

    // The birth date is kept only where a chain's age limit needs it (collect the minimum).
    const keepBirthDate = needsBirthDate(chain) ? birthDate : null;
    let clientId: number;
    if (client) {
      clientId = client.clientId;
      if (keepBirthDate && req.birthDate) w.setBirthDate(db, clientId, keepBirthDate);
    } else {
      const nc = req.newClient!;
      clientId = w.insertClient(db, {
        practiceId,
        firstName: nc.firstName,
        lastName: nc.lastName,
        email: nc.email,
        phone: nc.phone ?? null,
        birthDate: keepBirthDate,
        accessCode: newAccessCode(),
        consentAt: now,
        now,
      });
    }

    const appointmentId = w.insertAppointment(db, {
      practiceId,
      clientId,
      therapistId: slot.therapistId,
      roomId: slot.roomId,
      chainId: chain.id,
      start: req.start,
      end,
      bufferAfterMinutes: chain.bufferAfterMinutes,
      now,
    });
    chain.lines.forEach((line, i) => {
      w.insertLine(db, { practiceId, appointmentId, serviceId: chain.serviceIds[i]!, ...line });
    });

    const actor = `online:${clientId}`;
    const touched: { pkg: BudgetPackage; created: boolean }[] = [];
    for (const { pkg } of plan.create) {
      const packageId = w.insertPackage(db, {
        practiceId,
        clientId,
        templateId: pkg.templateId,
        name: pkg.name,
        limits: pkg.limits,
        validFrom: pkg.validFrom,
        validUntil: pkg.validUntil,
        now,
      });
      w.insertLedger(db, {
        practiceId,
        packageId,
        at: now,
        actor,
        action: 'created',
        appointmentId,
        details: { limits: pkg.limits, chain: chain.key },
      });
      touched.push({ pkg: { ...pkg, id: packageId }, created: true });
    }
    for (const pkg of plan.assign) touched.push({ pkg, created: false });
    for (const { pkg } of touched) {
      w.assign(db, practiceId, appointmentId, pkg.id);
      w.insertLedger(db, {
        practiceId,
        packageId: pkg.id,
        at: now,
        actor,
        action: 'assigned',
        appointmentId,
        details: { chain: chain.key },
      });
    }

    // Names from the configuration read in this transaction (the engine chose from the same copy).
    const therapist = config.therapistById.get(slot.therapistId)!.name;
    const room = slot.roomId === null ? null : config.rooms.find((r) => r.id === slot.roomId)!;

    // The budgets as they stand after this booking: what was there, plus this appointment.
    const booked: BudgetAppointment = {
      id: appointmentId,
      start: req.start,
      end,
      status: 'booked',
      lines: chain.lines,
    };
    const packages = touched.map(({ pkg, created }) => {
      const before = created ? [] : (client?.appointmentsByPackage.get(pkg.id) ?? []);
      const remaining = consumption(pkg, [...before, booked], now).map((u) => ({
        criterion: u.criterion,
        ...(u.code ? { code: u.code } : {}),
        limit: u.limit,
        remaining: Math.max(0, u.limit - u.used - u.planned),
      }));
      return {
        id: pkg.id,
        name: pkg.name,
        created,
        remaining: remaining.map((r) => ({ ...r, text: remainingText(r, req.lang) })),
      };
    });

    const body = {
      id: appointmentId,
      status: 'booked',
      start: new Date(req.start).toISOString(),
      end: new Date(end).toISOString(),
      timeZone: practice.timeZone,
      chain: { id: chain.id, name: chain.name },
      therapist: { id: slot.therapistId, name: therapist },
      room,
      packages,
      packageCreated: plan.create.length > 0,
      cancelUrl: links.cancelUrl(appointmentId),
      icsUrl: links.icsUrl(appointmentId),
    };

    confirmationMail(db, {
      practice,
      appointmentId,
      sequence: 0,
      method: 'REQUEST',
      start: req.start,
      end,
      chainName: chain.name,
      therapistName: therapist,
      roomName: room?.name ?? null,
      to: { email: person.email, name: `${person.firstName} ${person.lastName}` },
      cancelUrl: body.cancelUrl,
      packages,
      lang: req.lang,
      now,
    });

    w.insertBookingRequest(db, {
      practiceId,
      key: req.idempotencyKey,
      requestHash: req.requestHash,
      appointmentId,
      response: body,
      now,
    });
    return { replayed: false, body };
  });
}
