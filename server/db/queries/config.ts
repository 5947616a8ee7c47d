/**
 * A practice's configuration, as the rules need it: its settings, services, chains (lines at
 * today's prices, therapists, package rules), therapists (weekly hours, exceptions) and rooms.
 */
import type { CodeLimit, PackageStateName, ServiceLine } from '../../../shared/domain.ts';
import type { ValidityRule } from '../../../shared/validity.ts';
import {
  type Chain,
  type OnlineLimits,
  onlineLimitsOf,
  type Practice,
  type PracticeConfig,
  type Room,
  type Service,
} from '../../engine/config.ts';
import type { ChainRule, CreateState } from '../../engine/eligibility.ts';
import type { SlotTherapist } from '../../engine/slots.ts';
import { bool, json } from '../sql.ts';
import type { Row, Tx } from '../store.ts';

// biome-ignore lint/suspicious/noExplicitAny: raw rows are mapped field by field right below.
type AnyRow = Record<string, any>;

function practiceOf(r: AnyRow): Practice {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    plan: r.plan,
    timeZone: r.time_zone,
    onlineBookingEnabled: bool(r.online_booking_enabled),
    minNoticeMinutes: r.min_notice_minutes,
    bookingWindowDays: r.booking_window_days,
    slotMode: r.slot_mode,
    slotStepMinutes: r.slot_step_minutes,
    cancelDeadlineMinutes: r.cancel_deadline_minutes,
    allowedOrigins: json<string[]>(r.allowed_origins),
    privacyNoticeUrl: r.privacy_notice_url,
    contactEmail: r.contact_email,
    holdMinutes: r.hold_minutes,
    maxOpenOnlineBookings: r.max_open_online_bookings,
    mailNamesService: bool(r.mail_names_service),
    onlineLimits: onlineLimitsOf(json<Partial<OnlineLimits>>(r.online_limits)),
    configVersion: r.config_version,
  };
}

/** A practice's id and the version of its configuration, by slug: one indexed read. */
export function practiceHead(tx: Tx, slug: string) {
  return tx.get<{ id: number; version: number }>(
    'SELECT id, config_version AS version FROM practices WHERE slug = ?',
    [slug],
  );
}

export async function practiceById(tx: Tx, id: number): Promise<Practice | undefined> {
  const r = await tx.get<AnyRow>('SELECT * FROM practices WHERE id = ?', [id]);
  return r && practiceOf(r);
}

/** Every practice's slug and name, by slug. */
/** The name of the practice at `slug`, for a page that shows just that one. */
export function practiceNamed(tx: Tx, slug: string) {
  return tx.get<{ slug: string; name: string }>('SELECT slug, name FROM practices WHERE slug = ?', [slug]);
}

export function validityRuleOf(template: {
  validityKind: string;
  validityDays: number | null;
}): ValidityRule {
  if (template.validityKind === 'days') return { kind: 'days', days: template.validityDays ?? 1 };
  return { kind: template.validityKind === 'calendar_year' ? 'calendar_year' : 'none' };
}

/** Every chain of a practice with its lines (at today's prices), therapists and package rules. */
export async function loadChains(tx: Tx, practiceId: number): Promise<Chain[]> {
  const chainRows = await tx.all<AnyRow>(
    'SELECT * FROM chains WHERE practice_id = ? ORDER BY sort_order, id',
    [practiceId],
  );
  if (chainRows.length === 0) return [];
  const lines = await tx.all<AnyRow>(
    `SELECT l.chain_id, l.quantity, s.id AS service_id, s.code, s.price_cents, s.duration_minutes
       FROM chain_lines l JOIN services s ON s.id = l.service_id
      WHERE l.chain_id IN (SELECT id FROM chains WHERE practice_id = ?)
      ORDER BY l.chain_id, l.position, l.id`,
    [practiceId],
  );
  const therapists = await tx.all<AnyRow>(
    `SELECT ct.chain_id, ct.therapist_id, t.online_bookable FROM chain_therapists ct JOIN therapists t ON t.id = ct.therapist_id
      WHERE ct.chain_id IN (SELECT id FROM chains WHERE practice_id = ?) AND t.active = TRUE
      ORDER BY ct.therapist_id`,
    [practiceId],
  );
  const rules = await tx.all<AnyRow>(
    `SELECT r.*, t.name AS template_name, t.max_appointments, t.max_amount_cents, t.code_limits, t.validity_kind, t.validity_days
       FROM chain_package_rules r JOIN package_templates t ON t.id = r.template_id
      WHERE r.chain_id IN (SELECT id FROM chains WHERE practice_id = ?)
      ORDER BY r.id`,
    [practiceId],
  );
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
        if (bool(r.when_absent)) offeredWhen.add('absent');
        if (bool(r.when_present)) offeredWhen.add('present');
        if (bool(r.when_exhausted)) offeredWhen.add('exhausted');
        if (bool(r.when_excluded)) offeredWhen.add('excluded');
        const createWhen = new Set<CreateState>();
        if (bool(r.create_on_booking)) createWhen.add('absent');
        if (bool(r.create_when_exhausted)) createWhen.add('exhausted');
        return {
          templateId: r.template_id,
          templateName: r.template_name,
          offeredWhen,
          createWhen,
          templateLimits: {
            maxAppointments: r.max_appointments,
            maxAmountCents: r.max_amount_cents,
            codeLimits: json<CodeLimit[]>(r.code_limits),
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
      needsRoom: bool(c.needs_room),
      onlineBookable: bool(c.online_bookable),
      minAge: c.min_age,
      maxAge: c.max_age,
      minNoticeMinutes: c.min_notice_minutes,
      bookingWindowDays: c.booking_window_days,
      therapistIds: therapists.filter((x) => x.chain_id === c.id).map((x) => x.therapist_id),
      onlineTherapistIds: therapists
        .filter((x) => x.chain_id === c.id && bool(x.online_bookable))
        .map((x) => x.therapist_id),
      lines: serviceLines,
      serviceIds: own.map((l) => l.service_id),
      priceCents: serviceLines.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0),
      rules: chainRules,
    };
  });
}

/** Every therapist of a practice with the weekly hours and all exceptions, sorted by date. */
export async function loadTherapists(
  tx: Tx,
  practiceId: number,
): Promise<(SlotTherapist & { active: boolean })[]> {
  const rows = await tx.all<AnyRow>(
    'SELECT id, name, active FROM therapists WHERE practice_id = ? ORDER BY id',
    [practiceId],
  );
  // Through the practice's therapists: both tables are indexed by therapist, and a filter on
  // practice_id alone would read every practice's rows.
  const hours = await tx.all<AnyRow>(
    `SELECT w.therapist_id, w.weekday, w.start_minute, w.end_minute
       FROM therapists t JOIN working_hours w ON w.therapist_id = t.id
      WHERE t.practice_id = ? ORDER BY w.id`,
    [practiceId],
  );
  const exceptions = await tx.all<AnyRow>(
    `SELECT e.therapist_id, e.date, e.kind, e.start_minute, e.end_minute
       FROM therapists t JOIN availability_exceptions e ON e.therapist_id = t.id
      WHERE t.practice_id = ? ORDER BY e.date, e.id`,
    [practiceId],
  );
  const byId = new Map<number, SlotTherapist & { active: boolean }>();
  for (const r of rows) {
    byId.set(r.id, { id: r.id, name: r.name, active: bool(r.active), weeklyHours: [], exceptions: [] });
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

export function loadServices(tx: Tx, practiceId: number): Promise<Service[]> {
  return tx.all<Service>(
    `SELECT id, code, name, price_cents AS "priceCents", duration_minutes AS "durationMinutes"
       FROM services WHERE practice_id = ? ORDER BY id`,
    [practiceId],
  );
}

export function loadRooms(tx: Tx, practiceId: number): Promise<Room[]> {
  return tx.all<Room>('SELECT id, name FROM rooms WHERE practice_id = ? ORDER BY id', [practiceId]);
}

/** The whole configuration of a practice; call inside a snapshot read so every part is of one state. */
export async function loadConfig(tx: Tx, practiceId: number): Promise<PracticeConfig | undefined> {
  const practice = await practiceById(tx, practiceId);
  if (!practice) return undefined;
  const chains = await loadChains(tx, practiceId);
  const therapists = await loadTherapists(tx, practiceId);
  const rooms = await loadRooms(tx, practiceId);
  const services = await loadServices(tx, practiceId);
  return {
    practice,
    version: practice.configVersion,
    chains,
    chainById: new Map(chains.map((c) => [c.id, c])),
    therapistById: new Map(therapists.map((t) => [t.id, t])),
    rooms,
    serviceById: new Map(services.map((s) => [s.id, s])),
  };
}

export type { Row };
