/**
 * Client files (Akten) for the back office: search, create, edit, the access code, the file's
 * packages with their ledger, packages by hand, and exclusions from templates.
 */
import type { CodeLimit, Limits } from '../../../shared/domain.ts';
import { fold, inList, json, list } from '../sql.ts';
import type { Tx } from '../store.ts';
import { LONGEST_BLOCK_MS, lockClient } from './calendar.ts';

// biome-ignore lint/suspicious/noExplicitAny: raw rows are mapped field by field right below.
type AnyRow = Record<string, any>;

export interface ClientRow {
  id: number;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  birthDate: string | null;
}

export interface ClientDetail extends ClientRow {
  accessCode: string;
  accessCodeVersion: number;
  consentAt: number | null;
  createdAt: number;
}

const clientOf = (r: AnyRow): ClientDetail => ({
  id: r.id,
  firstName: r.first_name,
  lastName: r.last_name,
  email: r.email,
  phone: r.phone,
  birthDate: r.birth_date,
  accessCode: r.access_code,
  accessCodeVersion: Number(r.access_code_version),
  consentAt: r.consent_at === null ? null : Number(r.consent_at),
  createdAt: Number(r.created_at),
});

/** `31.12.1980` or `1980-12-31` as `1980-12-31`; anything else as null. */
function isoDate(q: string): string | null {
  const de = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(q);
  if (de) return `${de[3]}-${de[2]!.padStart(2, '0')}-${de[1]!.padStart(2, '0')}`;
  return /^\d{4}-\d{2}-\d{2}$/.test(q) ? q : null;
}

/**
 * Files whose name, e-mail, phone or birth date match `q`: every word of it the start of the
 * first or last name (or of the e-mail), or the phone number's digits, or the birth date. By last
 * name, then first name.
 */
export async function searchClients(
  tx: Tx,
  practiceId: number,
  q: string,
  limit: number,
): Promise<ClientRow[]> {
  const words = q.trim().toLowerCase().split(/\s+/).filter(Boolean).slice(0, 4);
  const where: string[] = [];
  const params: unknown[] = [practiceId];
  const date = isoDate(q.trim());
  const digits = q.replace(/\D/g, '');
  if (date) {
    where.push('birth_date = ?');
    params.push(date);
  } else if (digits.length >= 4 && /^[\d\s+/()-]+$/.test(q.trim())) {
    where.push(
      "replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '/', ''), '+', ''), '(', ''), ')', '') LIKE ?",
    );
    params.push(`%${digits.replace(/^0+/, '')}%`);
  } else {
    for (const w of words) {
      const like = `${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(
        `(${fold(tx, 'first_name')} LIKE ? ESCAPE '\\' OR ${fold(tx, 'last_name')} LIKE ? ESCAPE '\\' OR ${fold(tx, 'email')} LIKE ? ESCAPE '\\')`,
      );
      params.push(like, like, like);
    }
  }
  params.push(limit);
  const rows = await tx.all<AnyRow>(
    `SELECT id, first_name, last_name, email, phone, birth_date FROM clients
      WHERE practice_id = ?${where.length ? ` AND ${where.join(' AND ')}` : ''}
      ORDER BY ${fold(tx, 'last_name')}, ${fold(tx, 'first_name')}, id LIMIT ?`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    firstName: r.first_name,
    lastName: r.last_name,
    email: r.email,
    phone: r.phone,
    birthDate: r.birth_date,
  }));
}

export async function clientDetail(
  tx: Tx,
  practiceId: number,
  id: number,
  options: { lock?: boolean } = {},
): Promise<ClientDetail | undefined> {
  if (options.lock) await lockClient(tx, practiceId, id);
  const r = await tx.get<AnyRow>('SELECT * FROM clients WHERE practice_id = ? AND id = ?', [practiceId, id]);
  return r && clientOf(r);
}

/** Another file of the practice with this e-mail address (case-insensitive). */
export async function emailTaken(tx: Tx, practiceId: number, email: string, except = 0): Promise<boolean> {
  const r = await tx.get(
    'SELECT id FROM clients WHERE practice_id = ? AND lower(email) = lower(?) AND id <> ? LIMIT 1',
    [practiceId, email, except],
  );
  return r !== undefined;
}

export function insertClient(
  tx: Tx,
  c: Omit<ClientRow, 'id'> & { practiceId: number; accessCode: string; now: number },
): Promise<number> {
  return tx.insert(
    `INSERT INTO clients (practice_id, first_name, last_name, email, phone, birth_date, access_code, consent_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    [c.practiceId, c.firstName, c.lastName, c.email, c.phone, c.birthDate, c.accessCode, c.now],
  );
}

/** Writes the file's fields; `endAccess` also ends its access code's tokens and direct links. */
export async function updateClient(
  tx: Tx,
  practiceId: number,
  id: number,
  c: Omit<ClientRow, 'id'>,
  endAccess: boolean,
): Promise<void> {
  await tx.run(
    `UPDATE clients SET first_name = ?, last_name = ?, email = ?, phone = ?, birth_date = ?,
       access_code_version = access_code_version + ? WHERE practice_id = ? AND id = ?`,
    [c.firstName, c.lastName, c.email, c.phone, c.birthDate, endAccess ? 1 : 0, practiceId, id],
  );
}

export interface LedgerEntry {
  id: number;
  packageId: number;
  at: number;
  actor: string;
  action: string;
  appointmentId: number | null;
  details: Record<string, unknown>;
}

/** The ledger of the packages, oldest first. */
export async function ledgerOf(tx: Tx, packageIds: readonly number[]): Promise<LedgerEntry[]> {
  if (packageIds.length === 0) return [];
  const rows = await tx.all<AnyRow>(
    `SELECT id, package_id, at, actor, action, appointment_id, details FROM package_ledger
      WHERE ${inList(tx, 'package_id')} ORDER BY at, id`,
    [list(tx, packageIds)],
  );
  return rows.map((r) => ({
    id: r.id,
    packageId: r.package_id,
    at: Number(r.at),
    actor: r.actor,
    action: r.action,
    appointmentId: r.appointment_id,
    details: json<Record<string, unknown>>(r.details) ?? {},
  }));
}

/** The file's packages as stored (withdrawn ones too), with their template's key. */
export async function packagesOf(tx: Tx, practiceId: number, clientId: number) {
  const rows = await tx.all<AnyRow>(
    `SELECT p.*, t.key AS template_key FROM packages p JOIN package_templates t ON t.id = p.template_id
      WHERE p.practice_id = ? AND p.client_id = ? ORDER BY p.id`,
    [practiceId, clientId],
  );
  return rows.map((p) => ({
    id: p.id as number,
    templateId: p.template_id as number,
    templateKey: p.template_key as string,
    name: p.name as string,
    limits: {
      maxAppointments: p.max_appointments,
      maxAmountCents: p.max_amount_cents,
      codeLimits: json<CodeLimit[]>(p.code_limits) ?? [],
    } as Limits,
    validFrom: p.valid_from === null ? null : Number(p.valid_from),
    validUntil: p.valid_until === null ? null : Number(p.valid_until),
    status: p.status as 'active' | 'closed' | 'withdrawn',
    origin: p.origin as 'manual' | 'booking',
    closedReason: p.closed_reason as string | null,
    createdAt: Number(p.created_at),
  }));
}

export function insertPackage(
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
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 'manual', ?)`,
    [
      p.practiceId,
      p.clientId,
      p.templateId,
      p.name,
      p.limits.maxAppointments,
      p.limits.maxAmountCents,
      JSON.stringify(p.limits.codeLimits),
      p.validFrom,
      p.validUntil,
      p.now,
    ],
  );
}

export async function updatePackage(
  tx: Tx,
  practiceId: number,
  id: number,
  p: {
    name: string;
    limits: Limits;
    validFrom: number | null;
    validUntil: number | null;
    status: 'active' | 'closed';
    closedReason: string | null;
  },
): Promise<void> {
  await tx.run(
    `UPDATE packages SET name = ?, max_appointments = ?, max_amount_cents = ?, code_limits = ?, valid_from = ?,
       valid_until = ?, status = ?, closed_reason = ? WHERE practice_id = ? AND id = ?`,
    [
      p.name,
      p.limits.maxAppointments,
      p.limits.maxAmountCents,
      JSON.stringify(p.limits.codeLimits),
      p.validFrom,
      p.validUntil,
      p.status,
      p.closedReason,
      practiceId,
      id,
    ],
  );
}

export async function exclusionsOf(tx: Tx, practiceId: number, clientId: number) {
  const rows = await tx.all<AnyRow>(
    `SELECT e.template_id, t.key, t.name, e.reason, e.created_by, e.created_at FROM exclusions e
       JOIN package_templates t ON t.id = e.template_id
      WHERE e.practice_id = ? AND e.client_id = ? ORDER BY e.created_at`,
    [practiceId, clientId],
  );
  return rows.map((r) => ({
    template: r.key as string,
    templateName: r.name as string,
    reason: r.reason as string,
    by: r.created_by as string,
    at: Number(r.created_at),
  }));
}

/** Excludes a file from a template, and records it in the file's exclusion history. */
export async function insertExclusion(
  tx: Tx,
  e: { practiceId: number; clientId: number; templateId: number; reason: string; by: string; now: number },
): Promise<void> {
  await tx.run(
    'INSERT INTO exclusions (practice_id, client_id, template_id, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    [e.practiceId, e.clientId, e.templateId, e.reason, e.by, e.now],
  );
  await exclusionEvent(tx, { ...e, action: 'excluded' });
}

/** Readmits a file to a template (its exclusion ends), and records it; false when it was not excluded. */
export async function deleteExclusion(
  tx: Tx,
  e: {
    practiceId: number;
    clientId: number;
    templateId: number;
    reason: string | null;
    by: string;
    now: number;
  },
): Promise<boolean> {
  const n = await tx.run(
    'DELETE FROM exclusions WHERE practice_id = ? AND client_id = ? AND template_id = ?',
    [e.practiceId, e.clientId, e.templateId],
  );
  if (n === 0) return false;
  await exclusionEvent(tx, { ...e, action: 'readmitted' });
  return true;
}

function exclusionEvent(
  tx: Tx,
  e: {
    practiceId: number;
    clientId: number;
    templateId: number;
    action: 'excluded' | 'readmitted';
    reason: string | null;
    by: string;
    now: number;
  },
) {
  return tx.run(
    'INSERT INTO exclusion_events (practice_id, client_id, template_id, action, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [e.practiceId, e.clientId, e.templateId, e.action, e.reason, e.by, e.now],
  );
}

/** The file's exclusions and readmissions, oldest first. */
export async function exclusionHistoryOf(tx: Tx, practiceId: number, clientId: number) {
  const rows = await tx.all<AnyRow>(
    `SELECT t.key, t.name, e.action, e.reason, e.actor, e.at FROM exclusion_events e
       JOIN package_templates t ON t.id = e.template_id
      WHERE e.practice_id = ? AND e.client_id = ? ORDER BY e.at, e.id`,
    [practiceId, clientId],
  );
  return rows.map((r) => ({
    template: r.key as string,
    templateName: r.name as string,
    action: r.action as 'excluded' | 'readmitted',
    reason: r.reason as string | null,
    by: r.actor as string,
    at: Number(r.at),
  }));
}

/** A template of the practice by key: id, name, limits and validity rule. */
export async function templateByKey(tx: Tx, practiceId: number, key: string) {
  const t = await tx.get<AnyRow>('SELECT * FROM package_templates WHERE practice_id = ? AND key = ?', [
    practiceId,
    key,
  ]);
  return (
    t && {
      id: t.id as number,
      name: t.name as string,
      limits: {
        maxAppointments: t.max_appointments,
        maxAmountCents: t.max_amount_cents,
        codeLimits: json<CodeLimit[]>(t.code_limits) ?? [],
      } as Limits,
      validityKind: t.validity_kind as string,
      validityDays: t.validity_days as number | null,
    }
  );
}

/** The mails to an address of the practice, for a client's data export: kind, subject, status, times. */
export async function mailsTo(tx: Tx, practiceId: number, email: string) {
  const rows = await tx.all<AnyRow>(
    `SELECT kind, subject, status, created_at, sent_at FROM outbox
      WHERE practice_id = ? AND lower(to_address) = lower(?) ORDER BY id`,
    [practiceId, email],
  );
  return rows.map((r) => ({
    kind: r.kind as string,
    subject: r.subject as string,
    status: r.status as string,
    createdAt: Number(r.created_at),
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
  }));
}

/**
 * A file's appointments, newest first (`limit` of them, if given): therapist, chain, lines and the
 * packages each is assigned to — for the file view and for the data export.
 */
export async function appointmentsOfClient(
  tx: Tx,
  practiceId: number,
  clientId: number,
  options: { limit?: number } = {},
) {
  const rows = await tx.all<AnyRow>(
    `SELECT a.id, a.starts_at, a.ends_at, a.status, a.source, a.note, t.name AS therapist, c.name AS chain
       FROM appointments a JOIN therapists t ON t.id = a.therapist_id LEFT JOIN chains c ON c.id = a.chain_id
      WHERE a.practice_id = ? AND a.client_id = ? ORDER BY a.starts_at DESC, a.id DESC LIMIT ?`,
    [practiceId, clientId, options.limit ?? 1_000_000],
  );
  const lines = await tx.all<AnyRow>(
    `SELECT l.appointment_id, l.code, l.quantity, l.unit_price_cents FROM appointment_lines l
       JOIN appointments a ON a.id = l.appointment_id WHERE a.practice_id = ? AND a.client_id = ? ORDER BY l.id`,
    [practiceId, clientId],
  );
  const assigned = await tx.all<AnyRow>(
    `SELECT ap.appointment_id, ap.package_id FROM appointment_packages ap
       JOIN appointments a ON a.id = ap.appointment_id WHERE a.practice_id = ? AND a.client_id = ?`,
    [practiceId, clientId],
  );
  return rows.map((a) => ({
    id: a.id as number,
    start: Number(a.starts_at),
    end: Number(a.ends_at),
    status: a.status as string,
    source: a.source as string,
    note: a.note as string | null,
    therapist: a.therapist as string,
    chain: a.chain as string | null,
    lines: lines
      .filter((l) => l.appointment_id === a.id)
      .map((l) => ({
        code: l.code as string,
        quantity: l.quantity as number,
        unitPriceCents: l.unit_price_cents as number,
      })),
    packages: assigned.filter((x) => x.appointment_id === a.id).map((x) => x.package_id as number),
  }));
}

/**
 * Removes a file's personal data: names become a placeholder, contact data, birth date, notes and
 * consent go, the access code is replaced (its tokens and links end), the mails to it are scrubbed
 * or, not yet sent, dropped. Appointments, packages and the ledger stay, anonymous, so budgets and
 * statistics stay true.
 */
export async function anonymiseClient(
  tx: Tx,
  practiceId: number,
  clientId: number,
  email: string | null,
  code: string,
) {
  await tx.run(
    `UPDATE clients SET first_name = 'Gelöscht', last_name = ?, email = NULL, phone = NULL, birth_date = NULL,
       consent_at = NULL, access_code = ?, access_code_version = access_code_version + 1
     WHERE practice_id = ? AND id = ?`,
    [`#${clientId}`, code, practiceId, clientId],
  );
  await tx.run('UPDATE appointments SET note = NULL WHERE practice_id = ? AND client_id = ?', [
    practiceId,
    clientId,
  ]);
  // Staff's free text about the person: reasons of exclusions and of closing a package.
  await tx.run("UPDATE exclusions SET reason = '–' WHERE practice_id = ? AND client_id = ?", [
    practiceId,
    clientId,
  ]);
  await tx.run('UPDATE exclusion_events SET reason = NULL WHERE practice_id = ? AND client_id = ?', [
    practiceId,
    clientId,
  ]);
  await tx.run('UPDATE packages SET closed_reason = NULL WHERE practice_id = ? AND client_id = ?', [
    practiceId,
    clientId,
  ]);
  await tx.run(
    `UPDATE package_ledger SET details = '{}' WHERE practice_id = ? AND action IN ('closed', 'reopened')
        AND package_id IN (SELECT id FROM packages WHERE practice_id = ? AND client_id = ?)`,
    [practiceId, practiceId, clientId],
  );
  // Stored answers to repeated online bookings name the client.
  await tx.run(
    'DELETE FROM booking_requests WHERE practice_id = ? AND appointment_id IN (SELECT id FROM appointments WHERE practice_id = ? AND client_id = ?)',
    [practiceId, practiceId, clientId],
  );
  if (email) {
    await tx.run(
      "DELETE FROM outbox WHERE practice_id = ? AND lower(to_address) = lower(?) AND status <> 'sent'",
      [practiceId, email],
    );
    await tx.run(
      `UPDATE outbox SET to_address = '', subject = '', text_body = '', content = NULL, attachments = '[]', last_error = NULL
        WHERE practice_id = ? AND lower(to_address) = lower(?)`,
      [practiceId, email],
    );
  }
}

/** The file's booked appointments that have not ended by `now`. */
export async function upcomingOf(tx: Tx, practiceId: number, clientId: number, now: number): Promise<number> {
  const r = await tx.get<{ n: number | string }>(
    "SELECT count(*) AS n FROM appointments WHERE practice_id = ? AND client_id = ? AND ends_at > ? AND status = 'booked'",
    [practiceId, clientId, now],
  );
  return Number(r?.n ?? 0);
}

/** The appointments of a range of the calendar (starting in it, or running into it), holds still running. */
export async function calendarAppointments(
  tx: Tx,
  practiceId: number,
  from: number,
  to: number,
  now: number,
) {
  const rows = await tx.all<AnyRow>(
    `SELECT a.id, a.starts_at, a.ends_at, a.status, a.therapist_id, a.room_id, a.client_id,
            c.first_name, c.last_name, ch.name AS chain,
            (SELECT min(l.code) FROM appointment_lines l WHERE l.appointment_id = a.id) AS services
       FROM appointments a
       LEFT JOIN clients c ON c.id = a.client_id
       LEFT JOIN chains ch ON ch.id = a.chain_id
      WHERE a.practice_id = ? AND a.starts_at >= ? AND a.starts_at < ? AND a.ends_at > ?
        AND (a.status <> 'held' OR a.hold_expires_at > ?)
      ORDER BY a.starts_at, a.id`,
    [practiceId, from - LONGEST_BLOCK_MS, to, from, now],
  );
  return rows.map((a) => ({
    id: a.id as number,
    start: Number(a.starts_at),
    end: Number(a.ends_at),
    status: a.status as string,
    therapistId: a.therapist_id as number,
    roomId: a.room_id as number | null,
    client:
      a.client_id === null ? null : { id: a.client_id as number, name: `${a.first_name} ${a.last_name}` },
    title: (a.chain ?? a.services ?? '') as string,
  }));
}

/** Each therapist's calendar colour. */
export async function therapistColors(tx: Tx, practiceId: number): Promise<Map<number, string>> {
  const rows = await tx.all<AnyRow>('SELECT id, color FROM therapists WHERE practice_id = ?', [practiceId]);
  return new Map(rows.map((r) => [r.id as number, r.color as string]));
}

/** The practice's service codes. */
export async function serviceCodesOf(tx: Tx, practiceId: number): Promise<string[]> {
  return (
    await tx.all<{ code: string }>('SELECT code FROM services WHERE practice_id = ?', [practiceId])
  ).map((r) => r.code);
}
