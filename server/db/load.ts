/**
 * Loading what the rules need, as plain data: a practice, its chains, the scheduling picture of a
 * time window, a client file's budget. Reads only.
 *
 * These run on every slot search and booking, so they use prepared statements cached per
 * connection (building and preparing a query costs more than running it). Inside a booking's
 * transaction they are called with the same connection, so they read what the transaction sees.
 * Lists of ids are passed as one JSON array (`IN (SELECT value FROM json_each(?))`), which keeps
 * one statement per query and still uses the indexes.
 */
import type { BudgetAppointment, CodeLimit, PackageStateName, ServiceLine } from '../../shared/domain.ts';
import type { ValidityRule } from '../../shared/validity.ts';
import type { ClientFile, ExistingAppointment } from '../engine/appointment.ts';
import type { Chain, Practice, Service } from '../engine/config.ts';
import type { ChainRule, ClientBudget, FilePackage } from '../engine/eligibility.ts';
import type { BusyInterval, SlotTherapist } from '../engine/slots.ts';
import type { Db } from './index.ts';
import { prepared } from './statements.ts';

export type Reader = Db;
export type PracticeRow = Practice;

// biome-ignore lint/suspicious/noExplicitAny: raw rows are mapped field by field right below.
type Row = Record<string, any>;

function practiceOf(r: Row): PracticeRow {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    plan: r.plan,
    timeZone: r.time_zone,
    onlineBookingEnabled: r.online_booking_enabled === 1,
    minNoticeMinutes: r.min_notice_minutes,
    bookingWindowDays: r.booking_window_days,
    slotMode: r.slot_mode,
    slotStepMinutes: r.slot_step_minutes,
    cancelDeadlineMinutes: r.cancel_deadline_minutes,
    allowedOrigins: JSON.parse(r.allowed_origins),
    privacyNoticeUrl: r.privacy_notice_url,
    contactEmail: r.contact_email,
    configVersion: r.config_version,
  };
}

export function practiceBySlug(db: Reader, slug: string): PracticeRow | undefined {
  const r = prepared(db, 'SELECT * FROM practices WHERE slug = ?').get(slug) as Row | undefined;
  return r ? practiceOf(r) : undefined;
}

export function practiceById(db: Reader, id: number): PracticeRow | undefined {
  const r = prepared(db, 'SELECT * FROM practices WHERE id = ?').get(id) as Row | undefined;
  return r ? practiceOf(r) : undefined;
}

export type LoadedChain = Chain;

export function validityRuleOf(template: {
  validityKind: string;
  validityDays: number | null;
}): ValidityRule {
  if (template.validityKind === 'days') return { kind: 'days', days: template.validityDays ?? 1 };
  return { kind: template.validityKind === 'calendar_year' ? 'calendar_year' : 'none' };
}

const CHAIN_FILTER = 'practice_id = ? AND (? IS NULL OR id = ?)';

/** Every chain of a practice (or one) with its lines (at today's prices), therapists and package rules. */
export function loadChains(db: Reader, practiceId: number, only?: { chainId?: number }): LoadedChain[] {
  const id = only?.chainId ?? null;
  const chainRows = prepared(db, `SELECT * FROM chains WHERE ${CHAIN_FILTER} ORDER BY sort_order, id`).all(
    practiceId,
    id,
    id,
  ) as Row[];
  if (chainRows.length === 0) return [];
  const lines = prepared(
    db,
    `SELECT l.chain_id, l.quantity, s.id AS service_id, s.code, s.price_cents, s.duration_minutes
       FROM chain_lines l JOIN services s ON s.id = l.service_id
      WHERE l.chain_id IN (SELECT id FROM chains WHERE ${CHAIN_FILTER})
      ORDER BY l.chain_id, l.position, l.id`,
  ).all(practiceId, id, id) as Row[];
  const therapists = prepared(
    db,
    `SELECT ct.chain_id, ct.therapist_id FROM chain_therapists ct JOIN therapists t ON t.id = ct.therapist_id
      WHERE ct.chain_id IN (SELECT id FROM chains WHERE ${CHAIN_FILTER}) AND t.active = 1
      ORDER BY ct.therapist_id`,
  ).all(practiceId, id, id) as Row[];
  const rules = prepared(
    db,
    `SELECT r.*, t.name AS template_name, t.max_appointments, t.max_amount_cents, t.code_limits, t.validity_kind, t.validity_days
       FROM chain_package_rules r JOIN package_templates t ON t.id = r.template_id
      WHERE r.chain_id IN (SELECT id FROM chains WHERE ${CHAIN_FILTER})
      ORDER BY r.id`,
  ).all(practiceId, id, id) as Row[];

  return chainRows.map((c) => {
    const own = lines.filter((l) => l.chain_id === c.id);
    const serviceLines: ServiceLine[] = own.map((l) => ({
      code: l.code,
      quantity: l.quantity,
      unitPriceCents: l.price_cents,
    }));
    const chainRules: ChainRule[] = rules
      .filter((r) => r.chain_id === c.id)
      .map((r) => {
        const offeredWhen = new Set<PackageStateName>();
        if (r.when_absent) offeredWhen.add('absent');
        if (r.when_present) offeredWhen.add('present');
        if (r.when_exhausted) offeredWhen.add('exhausted');
        if (r.when_excluded) offeredWhen.add('excluded');
        return {
          templateId: r.template_id,
          templateName: r.template_name,
          offeredWhen,
          createWhen: new Set<'absent' | 'exhausted'>([
            ...(r.create_on_booking ? (['absent'] as const) : []),
            ...(r.create_when_exhausted ? (['exhausted'] as const) : []),
          ]),
          templateLimits: {
            maxAppointments: r.max_appointments,
            maxAmountCents: r.max_amount_cents,
            codeLimits: JSON.parse(r.code_limits) as CodeLimit[],
          },
          templateValidity: validityRuleOf({ validityKind: r.validity_kind, validityDays: r.validity_days }),
        };
      });
    return {
      id: c.id,
      key: c.key,
      name: c.name,
      description: c.description,
      durationMinutes: c.duration_minutes ?? own.reduce((s, l) => s + l.duration_minutes * l.quantity, 0),
      bufferAfterMinutes: c.buffer_after_minutes,
      needsRoom: c.needs_room === 1,
      onlineBookable: c.online_bookable === 1,
      minAge: c.min_age,
      maxAge: c.max_age,
      minNoticeMinutes: c.min_notice_minutes,
      bookingWindowDays: c.booking_window_days,
      therapistIds: therapists.filter((x) => x.chain_id === c.id).map((x) => x.therapist_id),
      lines: serviceLines,
      serviceIds: own.map((l) => l.service_id),
      priceCents: serviceLines.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0),
      rules: chainRules,
    };
  });
}

/** Every therapist of a practice with the weekly hours and all exceptions, sorted by date. */
export function loadPracticeTherapists(
  db: Reader,
  practiceId: number,
): (SlotTherapist & { active: boolean })[] {
  const rows = prepared(db, 'SELECT id, name, active FROM therapists WHERE practice_id = ? ORDER BY id').all(
    practiceId,
  ) as Row[];
  // Through the practice's therapists: both tables are indexed by therapist, and a filter on
  // practice_id alone would read every practice's rows.
  const hours = prepared(
    db,
    `SELECT w.therapist_id, w.weekday, w.start_minute, w.end_minute
       FROM therapists t JOIN working_hours w ON w.therapist_id = t.id
      WHERE t.practice_id = ? ORDER BY w.id`,
  ).all(practiceId) as Row[];
  const exceptions = prepared(
    db,
    `SELECT e.therapist_id, e.date, e.kind, e.start_minute, e.end_minute
       FROM therapists t JOIN availability_exceptions e ON e.therapist_id = t.id
      WHERE t.practice_id = ? ORDER BY e.date, e.id`,
  ).all(practiceId) as Row[];
  const byId = new Map<number, SlotTherapist & { active: boolean }>();
  for (const r of rows) {
    byId.set(r.id, { id: r.id, name: r.name, active: r.active === 1, weeklyHours: [], exceptions: [] });
  }
  for (const h of hours) {
    byId
      .get(h.therapist_id)
      ?.weeklyHours.push({ weekday: h.weekday, startMinute: h.start_minute, endMinute: h.end_minute });
  }
  for (const e of exceptions) {
    byId
      .get(e.therapist_id)
      ?.exceptions.push({ date: e.date, kind: e.kind, startMinute: e.start_minute, endMinute: e.end_minute });
  }
  return [...byId.values()];
}

export function loadServices(db: Reader, practiceId: number): Service[] {
  return prepared(
    db,
    'SELECT id, code, name, price_cents AS priceCents, duration_minutes AS durationMinutes FROM services WHERE practice_id = ? ORDER BY id',
  ).all(practiceId) as Service[];
}

export function loadRooms(db: Reader, practiceId: number): { id: number; name: string }[] {
  return prepared(db, 'SELECT id, name FROM rooms WHERE practice_id = ? ORDER BY id').all(practiceId) as {
    id: number;
    name: string;
  }[];
}

/** The longest an appointment can block its therapist or room: 24 h plus an 8 h buffer (schema checks). */
export const LONGEST_BLOCK_MS = 32 * 3_600_000;

/**
 * The non-cancelled appointments that block the given therapists or rooms inside [from, to), each
 * until its buffer ends, ordered by start. The two halves run on the (therapist, start) and
 * (room, start) indexes with a bounded start range: the cost follows the appointments in the
 * window, not the size of the table.
 */
export function loadBusy(
  db: Reader,
  who: { therapistIds: number[]; roomIds: number[] },
  from: number,
  to: number,
): BusyInterval[] {
  // Therapist and room ids are the practice's own (they come from its chains and rooms), so the
  // practice needs no condition of its own here; leaving it out lets SQLite pick the
  // (therapist, start) and (room, start) indexes.
  const window = `starts_at >= ? AND starts_at < ? AND blocked_until > ? AND status != 'cancelled'`;
  const range = [from - LONGEST_BLOCK_MS, to, from];
  const therapists = JSON.stringify(who.therapistIds);
  return prepared(
    db,
    `SELECT therapist_id AS therapistId, room_id AS roomId, starts_at AS start, blocked_until AS end, id AS appointmentId
       FROM appointments
      WHERE therapist_id IN (SELECT value FROM json_each(?)) AND ${window}
     UNION ALL
     SELECT therapist_id, room_id, starts_at, blocked_until, id FROM appointments
      WHERE room_id IN (SELECT value FROM json_each(?)) AND ${window}
        AND therapist_id NOT IN (SELECT value FROM json_each(?))
     ORDER BY 3`,
  ).all(therapists, ...range, JSON.stringify(who.roomIds), ...range, therapists) as BusyInterval[];
}

/** A client file's packages, their appointments, exclusions and birth date. */
export function loadClientBudget(db: Reader, practiceId: number, clientId: number): ClientBudget | undefined {
  const client = prepared(db, 'SELECT id, birth_date FROM clients WHERE practice_id = ? AND id = ?').get(
    practiceId,
    clientId,
  ) as Row | undefined;
  if (!client) return undefined;
  const packages: FilePackage[] = (
    prepared(
      db,
      "SELECT * FROM packages WHERE practice_id = ? AND client_id = ? AND status != 'withdrawn' ORDER BY id",
    ).all(practiceId, clientId) as Row[]
  ).map((p) => ({
    id: p.id,
    templateId: p.template_id,
    name: p.name,
    limits: {
      maxAppointments: p.max_appointments,
      maxAmountCents: p.max_amount_cents,
      codeLimits: JSON.parse(p.code_limits) as CodeLimit[],
    },
    validFrom: p.valid_from,
    validUntil: p.valid_until,
    status: p.status,
    origin: p.origin,
  }));
  const appointmentsByPackage = new Map<number, BudgetAppointment[]>();
  for (const p of packages) appointmentsByPackage.set(p.id, []);
  if (packages.length > 0) {
    const rows = prepared(
      db,
      `SELECT ap.package_id, a.id, a.starts_at, a.ends_at, a.status, l.code, l.quantity, l.unit_price_cents
         FROM appointment_packages ap
         JOIN appointments a ON a.id = ap.appointment_id
         LEFT JOIN appointment_lines l ON l.appointment_id = a.id
        WHERE ap.package_id IN (SELECT id FROM packages WHERE practice_id = ? AND client_id = ? AND status != 'withdrawn')
        ORDER BY ap.package_id, a.id, l.id`,
    ).all(practiceId, clientId) as Row[];
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
  const excluded = prepared(
    db,
    'SELECT template_id FROM exclusions WHERE practice_id = ? AND client_id = ?',
  ).all(practiceId, clientId) as Row[];
  return {
    clientId,
    birthDate: client.birth_date,
    packages,
    appointmentsByPackage,
    excludedTemplateIds: new Set(excluded.map((e) => e.template_id)),
  };
}

/**
 * A client file for a decision: its budget, and its non-cancelled appointments overlapping
 * [from, to) (any therapist) for the rule that a file holds no two overlapping appointments.
 */
export function loadClientFile(
  db: Reader,
  practiceId: number,
  clientId: number,
  window: { from: number; to: number },
): ClientFile | undefined {
  const budget = loadClientBudget(db, practiceId, clientId);
  if (!budget) return undefined;
  const appointments = prepared(
    db,
    `SELECT id, starts_at AS start, ends_at AS end FROM appointments
      WHERE client_id = ? AND starts_at < ? AND starts_at >= ? AND ends_at > ? AND status != 'cancelled'`,
  ).all(clientId, window.to, window.from - LONGEST_BLOCK_MS, window.from) as ClientFile['appointments'];
  return { ...budget, appointments };
}

/** An appointment with its lines and packages, for an edit or a cancellation. */
export function loadAppointment(db: Reader, practiceId: number, id: number): ExistingAppointment | undefined {
  const a = prepared(
    db,
    `SELECT id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at, buffer_after_minutes, status, source, sequence
       FROM appointments WHERE practice_id = ? AND id = ?`,
  ).get(practiceId, id) as Row | undefined;
  if (!a) return undefined;
  const lines = prepared(
    db,
    'SELECT service_id AS serviceId, code, quantity, unit_price_cents AS unitPriceCents FROM appointment_lines WHERE appointment_id = ? ORDER BY id',
  ).all(id) as ExistingAppointment['lines'];
  const packageIds = (
    prepared(
      db,
      'SELECT package_id FROM appointment_packages WHERE appointment_id = ? ORDER BY package_id',
    ).all(id) as Row[]
  ).map((r) => r.package_id as number);
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
    packageIds,
  };
}
