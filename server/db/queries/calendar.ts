/**
 * The calendar and the budgets: what blocks therapists and rooms, a client file with its packages,
 * an appointment, and writing a decided plan (engine/appointment.ts).
 */
import type { BudgetAppointment, CodeLimit, Limits } from '../../../shared/domain.ts';
import type {
  AppointmentPlan,
  ClientFile,
  ExistingAppointment,
  LedgerAction,
} from '../../engine/appointment.ts';
import type { BusyWindow } from '../../engine/availability.ts';
import type { ClientBudget, FilePackage } from '../../engine/eligibility.ts';
import type { BusyInterval } from '../../engine/slots.ts';
import { forUpdate, inList, json, list } from '../sql.ts';
import type { Tx } from '../store.ts';

// biome-ignore lint/suspicious/noExplicitAny: raw rows are mapped field by field.
type AnyRow = Record<string, any>;

/** The longest an appointment can block its therapist or room: 24 h plus an 8 h buffer (schema checks). */
export const LONGEST_BLOCK_MS = 32 * 3_600_000;

/**
 * The non-cancelled appointments that block the given therapists or rooms inside [from, to), each
 * until its buffer ends, ordered by start. The two halves run on the (therapist, start) and
 * (room, start) indexes with a bounded start range: the cost follows the appointments in the
 * window, not the size of the table.
 */
export function loadBusy(tx: Tx, window: BusyWindow): Promise<BusyInterval[]> {
  // Therapist and room ids are the practice's own (they come from its configuration), so the
  // practice needs no condition of its own here; leaving it out lets the planner pick the
  // (therapist, start) and (room, start) indexes.
  const span = `starts_at >= ? AND starts_at < ? AND blocked_until > ? AND status <> 'cancelled'`;
  const range = [window.from - LONGEST_BLOCK_MS, window.to, window.from];
  const therapists = list(tx, window.therapistIds);
  return tx.all<BusyInterval>(
    `SELECT therapist_id AS "therapistId", room_id AS "roomId", starts_at AS "start", blocked_until AS "end",
            id AS "appointmentId"
       FROM appointments WHERE ${inList(tx, 'therapist_id')} AND ${span}
     UNION ALL
     SELECT therapist_id, room_id, starts_at, blocked_until, id
       FROM appointments WHERE ${inList(tx, 'room_id')} AND ${span} AND NOT (${inList(tx, 'therapist_id')})
     ORDER BY 3`,
    [therapists, ...range, list(tx, window.roomIds), ...range, therapists],
  );
}

function packageOf(p: AnyRow): FilePackage {
  return {
    id: p.id,
    templateId: p.template_id,
    name: p.name,
    limits: {
      maxAppointments: p.max_appointments,
      maxAmountCents: p.max_amount_cents,
      codeLimits: json<CodeLimit[]>(p.code_limits),
    },
    validFrom: p.valid_from,
    validUntil: p.valid_until,
    status: p.status,
    origin: p.origin,
  };
}

/**
 * A client file's packages (not the withdrawn ones), their appointments, exclusions and birth
 * date. With `lock` (inside a write), the file's row is locked first on PostgreSQL: every decision
 * about a file's budgets — new appointments, edits, packages created on booking, packages that do
 * not exist yet among them — waits for the one before, whichever app instance runs it. One row in
 * a fixed place, so locks are always taken in the same order and cannot deadlock.
 */
export async function loadClientBudget(
  tx: Tx,
  practiceId: number,
  clientId: number,
  options: { lock?: boolean } = {},
): Promise<ClientBudget | undefined> {
  const client = await tx.get<AnyRow>(
    `SELECT id, birth_date FROM clients WHERE practice_id = ? AND id = ?${options.lock ? forUpdate(tx) : ''}`,
    [practiceId, clientId],
  );
  if (!client) return undefined;
  const packages = (
    await tx.all<AnyRow>(
      "SELECT * FROM packages WHERE practice_id = ? AND client_id = ? AND status <> 'withdrawn' ORDER BY id",
      [practiceId, clientId],
    )
  ).map(packageOf);
  const appointmentsByPackage = new Map<number, BudgetAppointment[]>();
  for (const p of packages) appointmentsByPackage.set(p.id, []);
  if (packages.length > 0) {
    const rows = await tx.all<AnyRow>(
      `SELECT ap.package_id, a.id, a.starts_at, a.ends_at, a.status, l.code, l.quantity, l.unit_price_cents
         FROM appointment_packages ap
         JOIN appointments a ON a.id = ap.appointment_id
         LEFT JOIN appointment_lines l ON l.appointment_id = a.id
        WHERE ${inList(tx, 'ap.package_id')}
        ORDER BY ap.package_id, a.id, l.id`,
      [
        list(
          tx,
          packages.map((p) => p.id),
        ),
      ],
    );
    let current: BudgetAppointment | undefined;
    let currentPackage = -1;
    for (const r of rows) {
      if (!current || current.id !== r.id || currentPackage !== r.package_id) {
        current = { id: r.id, start: r.starts_at, end: r.ends_at, status: r.status, lines: [] };
        currentPackage = r.package_id;
        appointmentsByPackage.get(r.package_id)!.push(current);
      }
      if (r.code !== null)
        current.lines.push({ code: r.code, quantity: r.quantity, unitPriceCents: r.unit_price_cents });
    }
  }
  const excluded = await tx.all<AnyRow>(
    'SELECT template_id FROM exclusions WHERE practice_id = ? AND client_id = ?',
    [practiceId, clientId],
  );
  return {
    clientId,
    birthDate: client.birth_date,
    packages,
    appointmentsByPackage,
    excludedTemplateIds: new Set(excluded.map((e) => e.template_id as number)),
  };
}

/**
 * A client file for a decision: its budget (locked for a write, see `loadClientBudget`), and its
 * non-cancelled appointments overlapping [from, to) (any therapist) for the rule that a file holds
 * no two overlapping appointments.
 */
export async function loadClientFile(
  tx: Tx,
  practiceId: number,
  clientId: number,
  window: { from: number; to: number },
  options: { lock?: boolean } = {},
): Promise<ClientFile | undefined> {
  const budget = await loadClientBudget(tx, practiceId, clientId, options);
  if (!budget) return undefined;
  const appointments = await tx.all<ClientFile['appointments'][number]>(
    `SELECT id, starts_at AS "start", ends_at AS "end" FROM appointments
      WHERE client_id = ? AND starts_at < ? AND starts_at >= ? AND ends_at > ? AND status <> 'cancelled'`,
    [clientId, window.to, window.from - LONGEST_BLOCK_MS, window.from],
  );
  return { ...budget, appointments };
}

/** An appointment with its lines and packages, for an edit or a cancellation. */
export async function loadAppointment(
  tx: Tx,
  practiceId: number,
  id: number,
): Promise<ExistingAppointment | undefined> {
  const a = await tx.get<AnyRow>(
    `SELECT id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at, buffer_after_minutes, status, source, sequence
       FROM appointments WHERE practice_id = ? AND id = ?`,
    [practiceId, id],
  );
  if (!a) return undefined;
  const lines = await tx.all<ExistingAppointment['lines'][number]>(
    `SELECT service_id AS "serviceId", code, quantity, unit_price_cents AS "unitPriceCents"
       FROM appointment_lines WHERE appointment_id = ? ORDER BY id`,
    [id],
  );
  const packages = await tx.all<AnyRow>(
    'SELECT package_id FROM appointment_packages WHERE appointment_id = ? ORDER BY package_id',
    [id],
  );
  return {
    id: a.id,
    clientId: a.client_id,
    therapistId: a.therapist_id,
    roomId: a.room_id,
    chainId: a.chain_id,
    start: a.starts_at,
    end: a.ends_at,
    bufferAfterMinutes: a.buffer_after_minutes,
    status: a.status,
    source: a.source,
    sequence: a.sequence,
    lines,
    packageIds: packages.map((r) => r.package_id as number),
  };
}

/** The client file's id for an e-mail (case-insensitive), or undefined. */
export async function clientIdByEmail(
  tx: Tx,
  practiceId: number,
  email: string,
): Promise<number | undefined> {
  const row = await tx.get<{ id: number }>(
    'SELECT id FROM clients WHERE practice_id = ? AND lower(email) = lower(?)',
    [practiceId, email],
  );
  return row?.id;
}

/** A client file's names, e-mail, birth date and access-code version. */
export function clientContact(tx: Tx, practiceId: number, clientId: number) {
  return tx.get<{
    id: number;
    firstName: string;
    lastName: string;
    email: string | null;
    birthDate: string | null;
    accessCodeVersion: number;
  }>(
    `SELECT id, first_name AS "firstName", last_name AS "lastName", email, birth_date AS "birthDate",
            access_code_version AS "accessCodeVersion"
       FROM clients WHERE practice_id = ? AND id = ?`,
    [practiceId, clientId],
  );
}

function insertPackage(
  tx: Tx,
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
): Promise<number> {
  return tx.insert(
    `INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, max_amount_cents, code_limits,
       valid_from, valid_until, status, origin, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 'booking', ?)`,
    [
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
    ],
  );
}

export function insertLedger(
  tx: Tx,
  e: {
    practiceId: number;
    packageId: number;
    at: number;
    actor: string;
    action: LedgerAction;
    appointmentId: number | null;
    details: Record<string, unknown>;
  },
): Promise<number> {
  return tx.run(
    'INSERT INTO package_ledger (practice_id, package_id, at, actor, action, appointment_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [e.practiceId, e.packageId, e.at, e.actor, e.action, e.appointmentId, JSON.stringify(e.details)],
  );
}

/** What applying a plan wrote: the client file, the appointment, and the ids of the new packages. */
export interface Applied {
  clientId: number;
  appointmentId: number;
  /** The id a package ref of the plan got (an existing package's id stays as it is). */
  packageId: (refOrId: number) => number;
}

/**
 * Writes a decided plan inside the caller's write transaction: the client file for a new client,
 * the packages created on booking, the appointment with its lines, the package assignments and
 * releases, withdrawals and the ledger.
 */
export async function applyPlan(
  tx: Tx,
  plan: AppointmentPlan,
  ctx: { practiceId: number; actor: string; now: number; accessCode: () => string },
): Promise<Applied> {
  const { practiceId, now } = ctx;
  tx.touch(practiceId);
  let clientId: number;
  if ('create' in plan.client) {
    const c = plan.client.create;
    clientId = await tx.insert(
      `INSERT INTO clients (practice_id, first_name, last_name, email, phone, birth_date, access_code, consent_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        practiceId,
        c.firstName,
        c.lastName,
        c.email,
        c.phone ?? null,
        c.birthDate,
        ctx.accessCode(),
        now,
        now,
      ],
    );
  } else {
    clientId = plan.client.id;
    if (plan.client.setBirthDate) {
      await tx.run(
        'UPDATE clients SET birth_date = ? WHERE practice_id = ? AND id = ? AND birth_date IS NULL',
        [plan.client.setBirthDate, practiceId, clientId],
      );
    }
  }
  const ids = new Map<number, number>();
  for (const p of plan.packages) {
    ids.set(p.ref, await insertPackage(tx, { practiceId, clientId, ...p, now }));
  }
  const packageId = (ref: number) => (ref < 0 ? ids.get(ref)! : ref);
  const a = plan.appointment;
  let appointmentId = a.id;
  const blockedUntil = a.end + a.bufferAfterMinutes * 60_000;
  if (plan.action === 'create') {
    appointmentId = await tx.insert(
      `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at,
         buffer_after_minutes, blocked_until, status, source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        practiceId,
        clientId,
        a.therapistId,
        a.roomId,
        a.chainId,
        a.start,
        a.end,
        a.bufferAfterMinutes,
        blockedUntil,
        a.status,
        a.source,
        now,
      ],
    );
  } else if (plan.action === 'update' || plan.action === 'cancel') {
    await tx.run(
      `UPDATE appointments SET therapist_id = ?, room_id = ?, starts_at = ?, ends_at = ?, blocked_until = ?,
         status = ?, cancelled_at = ?, sequence = ? WHERE practice_id = ? AND id = ?`,
      [
        a.therapistId,
        a.roomId,
        a.start,
        a.end,
        blockedUntil,
        a.status,
        a.status === 'cancelled' ? now : null,
        a.sequence,
        practiceId,
        a.id,
      ],
    );
    if (plan.linesChanged) {
      await tx.run('DELETE FROM appointment_lines WHERE practice_id = ? AND appointment_id = ?', [
        practiceId,
        a.id,
      ]);
    }
  }
  if (plan.linesChanged) {
    for (const l of a.lines) {
      await tx.run(
        'INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents) VALUES (?, ?, ?, ?, ?, ?)',
        [practiceId, appointmentId, l.serviceId, l.code, l.quantity, l.unitPriceCents],
      );
    }
  }
  for (const ref of plan.assign) {
    await tx.run(
      'INSERT INTO appointment_packages (practice_id, appointment_id, package_id) VALUES (?, ?, ?)',
      [practiceId, appointmentId, packageId(ref)],
    );
  }
  for (const id of plan.release) {
    await tx.run(
      'DELETE FROM appointment_packages WHERE practice_id = ? AND appointment_id = ? AND package_id = ?',
      [practiceId, appointmentId, id],
    );
  }
  for (const id of plan.withdraw) {
    await tx.run(
      "UPDATE packages SET status = 'withdrawn', closed_reason = 'booking cancelled' WHERE practice_id = ? AND id = ?",
      [practiceId, id],
    );
  }
  for (const e of plan.ledger) {
    await insertLedger(tx, {
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

/** An appointment with what the public views need (practice, client, names), or undefined. */
export async function bookingView(tx: Tx, practiceId: number, appointmentId: number) {
  const r = await tx.get<AnyRow>(
    `SELECT a.id, a.status, a.starts_at, a.ends_at, a.sequence, a.chain_id, a.therapist_id, a.client_id, a.source,
            c.first_name, c.last_name, c.email, t.name AS therapist_name, ch.name AS chain_name, r.name AS room_name
       FROM appointments a
       JOIN clients c ON c.id = a.client_id
       JOIN therapists t ON t.id = a.therapist_id
       LEFT JOIN chains ch ON ch.id = a.chain_id
       LEFT JOIN rooms r ON r.id = a.room_id
      WHERE a.practice_id = ? AND a.id = ?`,
    [practiceId, appointmentId],
  );
  if (!r) return undefined;
  return {
    id: r.id as number,
    status: r.status as ExistingAppointment['status'],
    start: r.starts_at as number,
    end: r.ends_at as number,
    sequence: r.sequence as number,
    chainId: r.chain_id as number | null,
    therapistId: r.therapist_id as number,
    source: r.source as ExistingAppointment['source'],
    client: {
      firstName: r.first_name as string,
      lastName: r.last_name as string,
      email: r.email as string | null,
    },
    therapistName: r.therapist_name as string,
    chainName: r.chain_name as string | null,
    roomName: r.room_name as string | null,
  };
}

export type BookingRow = NonNullable<Awaited<ReturnType<typeof bookingView>>>;
