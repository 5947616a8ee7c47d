/**
 * Everything an online booking reads before it decides, in as few round trips as the database
 * allows: the practice's configuration version, an earlier request with the same Idempotency-Key,
 * whether a new client's e-mail has a file, the busy times of the window, and — for a returning
 * client — the file with its packages, exclusions and appointments.
 *
 * SQLite (in process) runs the plain queries one after another. PostgreSQL gets one statement
 * that returns all of it as one row (JSON for the lists), and reserves the ids of the rows the
 * booking may create in the same statement: with the write that follows (one batch), a booking
 * for a new client is two round trips.
 */
import type { ClientFile } from '../../engine/appointment.ts';
import type { BusyWindow } from '../../engine/availability.ts';
import type { BusyInterval } from '../../engine/slots.ts';
import type { Tx } from '../store.ts';
import { findBookingRequest } from './bookings.ts';
import {
  budgetOf,
  busyFrom,
  busyWithIds,
  type Contact,
  clientContact,
  clientIdByEmail,
  HOLD_JSON,
  type HoldRow,
  holdById,
  holdOf,
  LONGEST_BLOCK_MS,
  loadBusy,
  loadClientFile,
  type ReservedIds,
} from './calendar.ts';
import { practiceHead } from './config.ts';

export interface BookingSnapshotInput {
  practiceId: number;
  slug: string;
  idempotencyKey: string;
  /** A new client's e-mail: is it taken by a file? */
  email: string | null;
  /**
   * A returning client: the file with its budget (and the budget's version, which a write decided
   * without the file's lock checks: applyPlan's `budgetVersion`).
   */
  clientId: number | null;
  window: BusyWindow;
  now: number;
  /** The hold the booking names, if any. */
  holdId: number | null;
  /** Ids to reserve for the rows the booking may create (PostgreSQL; SQLite reserves when writing). */
  reserve: { clients: number; packages: number; appointments: number };
}

export interface BookingSnapshotRows {
  /** The practice's config version, if the slug still names this practice. */
  version: number | undefined;
  previous: { requestHash: string; response: Record<string, unknown>; status: string } | undefined;
  emailTaken: boolean;
  busy: BusyInterval[];
  contact: Contact | undefined;
  client: ClientFile | undefined;
  /** The client file's booked online appointments that start after `now`. */
  openOnline: number;
  /** The hold the booking names, while it is a hold (running or expired). */
  hold: HoldRow | undefined;
  reserved: ReservedIds | undefined;
}

/** How many booked online appointments of a file start after `now` (the practice caps them). */
export async function openOnlineBookings(tx: Tx, clientId: number, now: number): Promise<number> {
  const row = await tx.get<{ n: number }>(
    `SELECT count(*) AS n FROM appointments
      WHERE client_id = ? AND starts_at > ? AND status = 'booked' AND source = 'online'`,
    [clientId, now],
  );
  return Number(row?.n ?? 0);
}

export async function loadBookingSnapshot(tx: Tx, input: BookingSnapshotInput): Promise<BookingSnapshotRows> {
  return tx.dialect === 'postgres' ? oneStatement(tx, input) : oneByOne(tx, input);
}

async function oneByOne(tx: Tx, i: BookingSnapshotInput): Promise<BookingSnapshotRows> {
  const head = await practiceHead(tx, i.slug);
  const contact = i.clientId === null ? undefined : await clientContact(tx, i.practiceId, i.clientId);
  return {
    version: head?.id === i.practiceId ? head.version : undefined,
    previous: await findBookingRequest(tx, i.practiceId, i.idempotencyKey),
    emailTaken: i.email !== null && (await clientIdByEmail(tx, i.practiceId, i.email)) !== undefined,
    busy: await loadBusy(tx, i.window),
    contact,
    client:
      i.clientId === null || !contact
        ? undefined
        : await loadClientFile(tx, i.practiceId, i.clientId, i.window),
    openOnline: i.clientId === null ? 0 : await openOnlineBookings(tx, i.clientId, i.now),
    hold: i.holdId === null ? undefined : await holdById(tx, i.practiceId, i.holdId),
    reserved: undefined,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON from the database, mapped field by field.
type AnyRow = Record<string, any>;

async function oneStatement(tx: Tx, i: BookingSnapshotInput): Promise<BookingSnapshotRows> {
  const [busy, busyParams, busyForm] = busyWithIds(tx, i.window);
  const client = i.clientId !== null;
  const packagesOfFile = `SELECT id FROM packages WHERE practice_id = ? AND client_id = ? AND status <> 'withdrawn'`;
  // The file's appointments and lines are reached through their indexes (LATERAL … OFFSET 0): a
  // generic plan made on small tables or old statistics would otherwise hash whole tables on every
  // booking (see loadClientBudget).
  const sql = `SELECT
    (SELECT config_version FROM practices WHERE id = ? AND slug = ?) AS version,
    (SELECT json_build_object('requestHash', r.request_hash, 'response', r.response, 'status', a.status)
       FROM booking_requests r JOIN appointments a ON a.id = r.appointment_id
      WHERE r.practice_id = ? AND r.idempotency_key = ?) AS previous,
    EXISTS (SELECT 1 FROM clients WHERE practice_id = ? AND lower(email) = lower(?)) AS email_taken,
    (${busy}) AS busy,
    ${
      client
        ? `(SELECT json_build_object('id', id, 'firstName', first_name, 'lastName', last_name, 'email', email,
              'birthDate', birth_date, 'accessCodeVersion', access_code_version, 'budgetVersion', budget_version)
             FROM clients WHERE practice_id = ? AND id = ?) AS contact,
           (SELECT coalesce(json_agg(p ORDER BY p.id), '[]'::json)
              FROM (SELECT * FROM packages WHERE id IN (${packagesOfFile})) p) AS packages,
           (SELECT coalesce(json_agg(x ORDER BY x.package_id, x.id, x.line_id), '[]'::json)
              FROM (SELECT ap.package_id, a.id, a.starts_at, a.ends_at, a.status, l.line_id, l.code, l.quantity,
                           l.unit_price_cents
                      FROM appointment_packages ap
                      CROSS JOIN LATERAL (SELECT id, starts_at, ends_at, status FROM appointments
                                           WHERE id = ap.appointment_id OFFSET 0) a
                      LEFT JOIN LATERAL (SELECT id AS line_id, code, quantity, unit_price_cents FROM appointment_lines
                                          WHERE appointment_id = a.id OFFSET 0) l ON TRUE
                     WHERE ap.package_id IN (${packagesOfFile})) x) AS lines,
           (SELECT coalesce(json_agg(template_id), '[]'::json) FROM exclusions
             WHERE practice_id = ? AND client_id = ?) AS exclusions,
           (SELECT coalesce(json_agg(json_build_object('id', id, 'start', starts_at, 'end', ends_at)), '[]'::json)
              FROM appointments WHERE client_id = ? AND starts_at < ? AND starts_at >= ? AND ends_at > ?
               AND status <> 'cancelled') AS client_appointments,
           (SELECT count(*) FROM appointments WHERE client_id = ? AND starts_at > ? AND status = 'booked'
               AND source = 'online') AS open_online,`
        : ''
    }
    ${
      i.holdId === null
        ? ''
        : // By its key alone: with "status = 'held'" in the condition, a generic plan made while the
          // table was small went through the client exclusion constraint's partial GiST index
          // (practice first), reading every appointment of the practice on each booking.
          `(SELECT CASE WHEN status = 'held' THEN json_build_object(${HOLD_JSON}) END
              FROM appointments WHERE practice_id = ? AND id = ?) AS hold,`
    }
    ARRAY(SELECT nextval(pg_get_serial_sequence('clients', 'id')) FROM generate_series(1, ?)) AS client_ids,
    ARRAY(SELECT nextval(pg_get_serial_sequence('packages', 'id')) FROM generate_series(1, ?)) AS package_ids,
    ARRAY(SELECT nextval(pg_get_serial_sequence('appointments', 'id')) FROM generate_series(1, ?)) AS appointment_ids`;
  const params: unknown[] = [
    i.practiceId,
    i.slug,
    i.practiceId,
    i.idempotencyKey,
    i.practiceId,
    i.email,
    ...busyParams,
    ...(client
      ? [
          i.practiceId,
          i.clientId,
          i.practiceId,
          i.clientId,
          i.practiceId,
          i.clientId,
          i.practiceId,
          i.clientId,
          i.clientId,
          i.window.to,
          i.window.from - LONGEST_BLOCK_MS,
          i.window.from,
          i.clientId,
          i.now,
        ]
      : []),
    ...(i.holdId === null ? [] : [i.practiceId, i.holdId]),
    i.reserve.clients,
    i.reserve.packages,
    i.reserve.appointments,
  ];
  const row = (await tx.get<AnyRow>(sql, params))!;
  const contact: Contact | undefined = row.contact ?? undefined;
  return {
    version: row.version ?? undefined,
    previous: row.previous ?? undefined,
    emailTaken: row.email_taken === true,
    busy: busyFrom(row.busy, 5, busyForm),
    contact,
    client:
      client && contact
        ? {
            ...budgetOf(contact.id, contact.birthDate, row.packages, row.lines, row.exclusions),
            appointments: row.client_appointments,
          }
        : undefined,
    openOnline: Number(row.open_online ?? 0),
    hold: row.hold ? holdOf(row.hold) : undefined,
    reserved: {
      clients: row.client_ids.map(Number),
      packages: row.package_ids.map(Number),
      appointments: row.appointment_ids.map(Number),
    },
  };
}
