/**
 * The reads and writes on the booking path (booking, cancellation, the outbox), as prepared
 * statements cached per connection: a booking writes about ten rows, and preparing each statement
 * anew would cost more than writing them. Call inside the transaction, with the same connection.
 */
import type Database from 'better-sqlite3';
import type { Limits } from '../../shared/domain.ts';
import type { AppointmentPlan, LedgerAction } from '../engine/appointment.ts';
import type { MailContent } from '../mail/bookingMail.ts';
import type { StoredAttachment } from '../mail/outbox.ts';
import type { Db } from './index.ts';
import { prepared } from './statements.ts';

const id = (info: Database.RunResult) => Number(info.lastInsertRowid);

export function findBookingRequest(db: Db, practiceId: number, key: string) {
  const row = prepared(
    db,
    `SELECT r.request_hash, r.response, r.appointment_id, a.status FROM booking_requests r
       JOIN appointments a ON a.id = r.appointment_id
      WHERE r.practice_id = ? AND r.idempotency_key = ?`,
  ).get(practiceId, key) as
    | { request_hash: string; response: string; appointment_id: number; status: string }
    | undefined;
  return (
    row && {
      requestHash: row.request_hash,
      response: JSON.parse(row.response) as Record<string, unknown>,
      status: row.status,
    }
  );
}

export function clientFile(db: Db, practiceId: number, clientId: number) {
  return prepared(
    db,
    'SELECT id, first_name AS firstName, last_name AS lastName, email, birth_date AS birthDate FROM clients WHERE practice_id = ? AND id = ?',
  ).get(practiceId, clientId) as
    | { id: number; firstName: string; lastName: string; email: string | null; birthDate: string | null }
    | undefined;
}

export function clientIdByEmail(db: Db, practiceId: number, email: string): number | undefined {
  const row = prepared(db, 'SELECT id FROM clients WHERE practice_id = ? AND lower(email) = lower(?)').get(
    practiceId,
    email,
  ) as { id: number } | undefined;
  return row?.id;
}

export function setBirthDate(db: Db, clientId: number, birthDate: string): void {
  prepared(db, 'UPDATE clients SET birth_date = ? WHERE id = ? AND birth_date IS NULL').run(
    birthDate,
    clientId,
  );
}

export function insertClient(
  db: Db,
  c: {
    practiceId: number;
    firstName: string;
    lastName: string;
    email: string;
    phone: string | null;
    birthDate: string | null;
    accessCode: string;
    consentAt: number;
    now: number;
  },
): number {
  return id(
    prepared(
      db,
      `INSERT INTO clients (practice_id, first_name, last_name, email, phone, birth_date, access_code, consent_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      c.practiceId,
      c.firstName,
      c.lastName,
      c.email,
      c.phone,
      c.birthDate,
      c.accessCode,
      c.consentAt,
      c.now,
    ),
  );
}

export function insertAppointment(
  db: Db,
  a: {
    practiceId: number;
    clientId: number;
    therapistId: number;
    roomId: number | null;
    chainId: number | null;
    start: number;
    end: number;
    bufferAfterMinutes: number;
    source: 'online' | 'staff' | 'import';
    now: number;
  },
): number {
  return id(
    prepared(
      db,
      `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at,
         buffer_after_minutes, blocked_until, status, source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?)`,
    ).run(
      a.practiceId,
      a.clientId,
      a.therapistId,
      a.roomId,
      a.chainId,
      a.start,
      a.end,
      a.bufferAfterMinutes,
      a.end + a.bufferAfterMinutes * 60_000,
      a.source,
      a.now,
    ),
  );
}

export function insertLine(
  db: Db,
  l: {
    practiceId: number;
    appointmentId: number;
    serviceId: number;
    code: string;
    quantity: number;
    unitPriceCents: number;
  },
): void {
  prepared(
    db,
    'INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(l.practiceId, l.appointmentId, l.serviceId, l.code, l.quantity, l.unitPriceCents);
}

export function insertPackage(
  db: Db,
  p: {
    practiceId: number;
    clientId: number;
    templateId: number;
    name: string;
    limits: Limits;
    validFrom: number | null;
    validUntil: number | null;
    now: number;
  },
): number {
  return id(
    prepared(
      db,
      `INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, max_amount_cents, code_limits,
         valid_from, valid_until, status, origin, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 'booking', ?)`,
    ).run(
      p.practiceId,
      p.clientId,
      p.templateId,
      p.name,
      p.limits.maxAppointments ?? null,
      p.limits.maxAmountCents ?? null,
      JSON.stringify(p.limits.codeLimits),
      p.validFrom,
      p.validUntil,
      p.now,
    ),
  );
}

export type { LedgerAction };

export function insertLedger(
  db: Db,
  e: {
    practiceId: number;
    packageId: number;
    at: number;
    actor: string;
    action: LedgerAction;
    appointmentId: number | null;
    details: Record<string, unknown>;
  },
): void {
  prepared(
    db,
    'INSERT INTO package_ledger (practice_id, package_id, at, actor, action, appointment_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(e.practiceId, e.packageId, e.at, e.actor, e.action, e.appointmentId, JSON.stringify(e.details));
}

export function assign(db: Db, practiceId: number, appointmentId: number, packageId: number): void {
  prepared(
    db,
    'INSERT INTO appointment_packages (practice_id, appointment_id, package_id) VALUES (?, ?, ?)',
  ).run(practiceId, appointmentId, packageId);
}

export function insertBookingRequest(
  db: Db,
  r: {
    practiceId: number;
    key: string;
    requestHash: string;
    appointmentId: number;
    response: unknown;
    now: number;
  },
): void {
  prepared(
    db,
    'INSERT INTO booking_requests (practice_id, idempotency_key, request_hash, appointment_id, response, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(r.practiceId, r.key, r.requestHash, r.appointmentId, JSON.stringify(r.response), r.now);
}

export function insertMail(
  db: Db,
  m: {
    practiceId: number;
    kind: string;
    to: string;
    subject: string;
    text: string;
    attachments: StoredAttachment[];
    content?: MailContent | undefined;
    now: number;
  },
): number {
  return id(
    prepared(
      db,
      `INSERT INTO outbox (practice_id, kind, to_address, subject, text_body, attachments, content, status, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    ).run(
      m.practiceId,
      m.kind,
      m.to,
      m.subject,
      m.text,
      JSON.stringify(m.attachments),
      m.content === undefined ? null : JSON.stringify(m.content),
      m.now,
      m.now,
    ),
  );
}

/**
 * The packages to withdraw when `appointmentId` is cancelled: packages it is assigned to that a
 * booking created, whose creating appointment is this one or already cancelled, still active, and
 * with no other non-cancelled appointment assigned. So the order of cancelling a first visit and
 * its follow-ups does not matter: once none is left, the package goes.
 */
export function packagesToWithdraw(db: Db, appointmentId: number): number[] {
  return (
    prepared(
      db,
      `SELECT p.id FROM packages p
         JOIN appointment_packages mine ON mine.package_id = p.id AND mine.appointment_id = ?
         JOIN package_ledger g ON g.package_id = p.id AND g.action = 'created'
         JOIN appointments creator ON creator.id = g.appointment_id
        WHERE p.origin = 'booking' AND p.status = 'active'
          AND (creator.id = ? OR creator.status = 'cancelled')
          AND NOT EXISTS (SELECT 1 FROM appointment_packages ap JOIN appointments a ON a.id = ap.appointment_id
                           WHERE ap.package_id = p.id AND a.id != ? AND a.status != 'cancelled')`,
    ).all(appointmentId, appointmentId, appointmentId) as { id: number }[]
  ).map((r) => r.id);
}

export function withdrawPackage(db: Db, packageId: number): void {
  prepared(
    db,
    "UPDATE packages SET status = 'withdrawn', closed_reason = 'booking cancelled' WHERE id = ?",
  ).run(packageId);
}

/** What applying a plan wrote: the client file, the appointment, and the ids of the new packages. */
export interface Applied {
  clientId: number;
  appointmentId: number;
  /** The id each package ref of the plan got (and the ids of existing packages as they are). */
  packageId: (refOrId: number) => number;
}

/**
 * Writes a decided plan (engine/appointment.ts) inside the caller's write transaction: the client
 * file for a new client, the packages created on booking, the appointment with its lines, the
 * package assignments and releases, withdrawals and the ledger.
 */
export function applyPlan(
  db: Db,
  plan: AppointmentPlan,
  ctx: { practiceId: number; actor: string; now: number; accessCode: () => string },
): Applied {
  const { practiceId, now } = ctx;
  let clientId: number;
  if ('create' in plan.client) {
    const c = plan.client.create;
    clientId = insertClient(db, {
      practiceId,
      firstName: c.firstName,
      lastName: c.lastName,
      email: c.email,
      phone: c.phone ?? null,
      birthDate: c.birthDate,
      accessCode: ctx.accessCode(),
      consentAt: now,
      now,
    });
  } else {
    clientId = plan.client.id;
    if (plan.client.setBirthDate) setBirthDate(db, clientId, plan.client.setBirthDate);
  }
  const ids = new Map<number, number>();
  for (const p of plan.packages) {
    ids.set(
      p.ref,
      insertPackage(db, {
        practiceId,
        clientId,
        templateId: p.templateId,
        name: p.name,
        limits: p.limits,
        validFrom: p.validFrom,
        validUntil: p.validUntil,
        now,
      }),
    );
  }
  const packageId = (ref: number) => (ref < 0 ? ids.get(ref)! : ref);
  const a = plan.appointment;
  let appointmentId = a.id;
  if (plan.action === 'create') {
    appointmentId = insertAppointment(db, {
      practiceId,
      clientId,
      therapistId: a.therapistId,
      roomId: a.roomId,
      chainId: a.chainId,
      start: a.start,
      end: a.end,
      bufferAfterMinutes: a.bufferAfterMinutes,
      source: a.source,
      now,
    });
  } else if (plan.action === 'update' || plan.action === 'cancel') {
    prepared(
      db,
      `UPDATE appointments SET therapist_id = ?, room_id = ?, starts_at = ?, ends_at = ?, blocked_until = ?,
         status = ?, cancelled_at = ?, sequence = ? WHERE practice_id = ? AND id = ?`,
    ).run(
      a.therapistId,
      a.roomId,
      a.start,
      a.end,
      a.end + a.bufferAfterMinutes * 60_000,
      a.status,
      a.status === 'cancelled' ? now : null,
      a.sequence,
      practiceId,
      a.id,
    );
    if (plan.linesChanged) {
      prepared(db, 'DELETE FROM appointment_lines WHERE practice_id = ? AND appointment_id = ?').run(
        practiceId,
        a.id,
      );
    }
  }
  if (plan.linesChanged) {
    for (const l of a.lines) insertLine(db, { practiceId, appointmentId, ...l });
  }
  for (const ref of plan.assign) assign(db, practiceId, appointmentId, packageId(ref));
  for (const pid of plan.release) {
    prepared(
      db,
      'DELETE FROM appointment_packages WHERE practice_id = ? AND appointment_id = ? AND package_id = ?',
    ).run(practiceId, appointmentId, pid);
  }
  for (const pid of plan.withdraw) withdrawPackage(db, pid);
  for (const e of plan.ledger) {
    insertLedger(db, {
      practiceId,
      packageId: packageId(e.packageId),
      at: now,
      actor: ctx.actor,
      action: e.action,
      appointmentId,
      details: e.details,
    });
  }
  return { clientId, appointmentId, packageId };
}
