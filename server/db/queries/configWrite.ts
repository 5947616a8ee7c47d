/**
 * Writing a practice's configuration entity by entity: a first import inserts every one
 * (queries/practice.ts), a re-import or a change in the back office (practice/apply.ts) inserts,
 * updates or removes only what differs. Each `save…` inserts when `id` is null and updates
 * otherwise; children (hours, exceptions, chain lines, therapists and rules) are replaced whole.
 */
import { bool, forUpdate } from '../sql.ts';
import type { Tx } from '../store.ts';
import type { PracticeRows } from './practiceRows.ts';

type TherapistRow = PracticeRows['therapists'][number];
type ServiceRow = PracticeRows['services'][number];
type TemplateRow = PracticeRows['templates'][number];
type ChainRow = PracticeRows['chains'][number];
type Ids = ReadonlyMap<string, number>;

/** The configuration version, locking the practice row until commit (PostgreSQL). */
export async function lockPractice(tx: Tx, practiceId: number) {
  const r = await tx.get<{ slug: string; plan: string; config_version: number | string }>(
    `SELECT slug, plan, config_version FROM practices WHERE id = ?${forUpdate(tx)}`,
    [practiceId],
  );
  return r && { slug: r.slug, plan: r.plan, version: Number(r.config_version) };
}

/**
 * Moves the configuration version for a change the triggers do not see (users: the practice
 * document names them), so a document loaded before it no longer saves over it.
 */
export async function bumpConfigVersion(tx: Tx, practiceId: number): Promise<void> {
  await tx.run('UPDATE practices SET config_version = config_version + 1 WHERE id = ?', [practiceId]);
  tx.touch(practiceId);
}

export async function configVersionOf(tx: Tx, practiceId: number): Promise<number> {
  const r = await tx.get<{ v: number | string }>('SELECT config_version AS v FROM practices WHERE id = ?', [
    practiceId,
  ]);
  return Number(r?.v ?? 0);
}

/** The practice's settings columns, in the order of `settingsValues`. */
export const SETTINGS_COLUMNS = [
  'name',
  'plan',
  'time_zone',
  'contact_email',
  'online_booking_enabled',
  'min_notice_minutes',
  'booking_window_days',
  'slot_mode',
  'slot_step_minutes',
  'cancel_deadline_minutes',
  'allowed_origins',
  'privacy_notice_url',
  'hold_minutes',
  'max_open_online_bookings',
  'mail_names_service',
  'online_limits',
] as const;

export function settingsValues(p: PracticeRows['practice']): unknown[] {
  return [
    p.name,
    p.plan,
    p.timeZone,
    p.contactEmail,
    p.onlineBookingEnabled,
    p.minNoticeMinutes,
    p.bookingWindowDays,
    p.slotMode,
    p.slotStepMinutes,
    p.cancelDeadlineMinutes,
    JSON.stringify(p.allowedOrigins),
    p.privacyNoticeUrl,
    p.holdMinutes,
    p.maxOpenOnlineBookings,
    p.mailNamesService,
    JSON.stringify(p.onlineLimits),
  ];
}

export async function updatePracticeSettings(tx: Tx, practiceId: number, p: PracticeRows['practice']) {
  await tx.run(`UPDATE practices SET ${SETTINGS_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [
    ...settingsValues(p),
    practiceId,
  ]);
  tx.touch(practiceId);
}

/** The practice's users by lower-case e-mail. */
export async function userIdsOf(tx: Tx, practiceId: number): Promise<Map<string, number>> {
  const rows = await tx.all<{ id: number; email: string }>(
    'SELECT id, email FROM users WHERE practice_id = ?',
    [practiceId],
  );
  return new Map(rows.map((r) => [r.email.toLowerCase(), r.id]));
}

/** Therapists by key, archived ones too. */
export async function therapistIdsOf(tx: Tx, practiceId: number) {
  const rows = await tx.all<{ id: number; key: string; active: unknown }>(
    'SELECT id, key, active FROM therapists WHERE practice_id = ?',
    [practiceId],
  );
  return new Map(rows.map((r) => [r.key, { id: r.id, active: bool(r.active) }]));
}

export async function saveTherapist(
  tx: Tx,
  practiceId: number,
  id: number | null,
  th: TherapistRow,
  userIds: Ids,
  children: { hours: boolean; exceptions: boolean } = { hours: true, exceptions: true },
): Promise<number> {
  const userId = th.userEmail ? (userIds.get(th.userEmail.toLowerCase()) ?? null) : null;
  if (id === null) {
    id = await tx.insert(
      'INSERT INTO therapists (practice_id, key, name, user_id, online_bookable, color) VALUES (?, ?, ?, ?, ?, ?)',
      [practiceId, th.key, th.name, userId, th.onlineBookable, th.color],
    );
  } else {
    await tx.run(
      'UPDATE therapists SET name = ?, user_id = ?, online_bookable = ?, color = ?, active = TRUE WHERE practice_id = ? AND id = ?',
      [th.name, userId, th.onlineBookable, th.color, practiceId, id],
    );
  }
  if (children.hours) {
    await tx.run('DELETE FROM working_hours WHERE practice_id = ? AND therapist_id = ?', [practiceId, id]);
    for (const h of th.hours) {
      await tx.run(
        'INSERT INTO working_hours (practice_id, therapist_id, weekday, start_minute, end_minute) VALUES (?, ?, ?, ?, ?)',
        [practiceId, id, h.weekday, h.startMinute, h.endMinute],
      );
    }
  }
  if (children.exceptions) {
    await tx.run('DELETE FROM availability_exceptions WHERE practice_id = ? AND therapist_id = ?', [
      practiceId,
      id,
    ]);
    for (const e of th.exceptions) {
      await tx.run(
        `INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind, start_minute, end_minute, note)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [practiceId, id, e.date, e.kind, e.startMinute, e.endMinute, e.note],
      );
    }
  }
  tx.touch(practiceId);
  return id;
}

/** Rooms, services, templates and chains by key (services by code). */
export async function idsByKey(
  tx: Tx,
  practiceId: number,
  table: 'rooms' | 'services' | 'package_templates' | 'chains',
): Promise<Map<string, number>> {
  const column = table === 'services' ? 'code' : 'key';
  const rows = await tx.all<{ id: number; k: string }>(
    `SELECT id, ${column} AS k FROM ${table} WHERE practice_id = ?`,
    [practiceId],
  );
  return new Map(rows.map((r) => [r.k, r.id]));
}

export async function saveRoom(
  tx: Tx,
  practiceId: number,
  id: number | null,
  r: { key: string; name: string },
): Promise<number> {
  tx.touch(practiceId);
  if (id === null)
    return tx.insert('INSERT INTO rooms (practice_id, key, name) VALUES (?, ?, ?)', [
      practiceId,
      r.key,
      r.name,
    ]);
  await tx.run('UPDATE rooms SET name = ? WHERE practice_id = ? AND id = ?', [r.name, practiceId, id]);
  return id;
}

export async function saveService(
  tx: Tx,
  practiceId: number,
  id: number | null,
  s: ServiceRow,
): Promise<number> {
  tx.touch(practiceId);
  if (id === null) {
    return tx.insert(
      'INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES (?, ?, ?, ?, ?)',
      [practiceId, s.code, s.name, s.priceCents, s.durationMinutes],
    );
  }
  // Appointments keep the unit prices they were made with (appointment_lines.unit_price_cents).
  await tx.run(
    'UPDATE services SET name = ?, price_cents = ?, duration_minutes = ? WHERE practice_id = ? AND id = ?',
    [s.name, s.priceCents, s.durationMinutes, practiceId, id],
  );
  return id;
}

export async function saveTemplate(
  tx: Tx,
  practiceId: number,
  id: number | null,
  tp: TemplateRow,
): Promise<number> {
  tx.touch(practiceId);
  const values = [
    tp.name,
    tp.limits.maxAppointments ?? null,
    tp.limits.maxAmountCents ?? null,
    JSON.stringify(tp.limits.codeLimits),
    tp.validityKind,
    tp.validityDays,
  ];
  if (id === null) {
    return tx.insert(
      `INSERT INTO package_templates (practice_id, key, name, max_appointments, max_amount_cents, code_limits, validity_kind, validity_days)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [practiceId, tp.key, ...values],
    );
  }
  // Packages made from it keep their own limits and validity (packages has its own columns).
  await tx.run(
    `UPDATE package_templates SET name = ?, max_appointments = ?, max_amount_cents = ?, code_limits = ?,
       validity_kind = ?, validity_days = ? WHERE practice_id = ? AND id = ?`,
    [...values, practiceId, id],
  );
  return id;
}

export async function saveChain(
  tx: Tx,
  practiceId: number,
  id: number | null,
  c: ChainRow,
  order: number,
  refs: { services: Ids; therapists: Ids; templates: Ids },
): Promise<number> {
  const values = [
    c.name,
    c.description,
    c.durationMinutes,
    c.bufferAfterMinutes,
    c.needsRoom,
    c.onlineBookable,
    c.minAge,
    c.maxAge,
    c.minNoticeMinutes,
    c.bookingWindowDays,
    order,
  ];
  if (id === null) {
    id = await tx.insert(
      `INSERT INTO chains (practice_id, key, name, description, duration_minutes, buffer_after_minutes, needs_room,
         online_bookable, min_age, max_age, min_notice_minutes, booking_window_days, sort_order)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [practiceId, c.key, ...values],
    );
  } else {
    await tx.run(
      `UPDATE chains SET name = ?, description = ?, duration_minutes = ?, buffer_after_minutes = ?, needs_room = ?,
         online_bookable = ?, min_age = ?, max_age = ?, min_notice_minutes = ?, booking_window_days = ?, sort_order = ?
       WHERE practice_id = ? AND id = ?`,
      [...values, practiceId, id],
    );
    for (const table of ['chain_lines', 'chain_therapists', 'chain_package_rules']) {
      await tx.run(`DELETE FROM ${table} WHERE practice_id = ? AND chain_id = ?`, [practiceId, id]);
    }
  }
  for (const [position, l] of c.lines.entries()) {
    await tx.run(
      'INSERT INTO chain_lines (practice_id, chain_id, service_id, quantity, position) VALUES (?, ?, ?, ?, ?)',
      [practiceId, id, refs.services.get(l.code)!, l.quantity, position],
    );
  }
  for (const th of c.therapists) {
    await tx.run('INSERT INTO chain_therapists (practice_id, chain_id, therapist_id) VALUES (?, ?, ?)', [
      practiceId,
      id,
      refs.therapists.get(th)!,
    ]);
  }
  for (const r of c.rules) {
    await tx.run(
      `INSERT INTO chain_package_rules (practice_id, chain_id, template_id, when_absent, when_present, when_exhausted,
         when_excluded, create_on_booking, create_when_exhausted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        practiceId,
        id,
        refs.templates.get(r.template)!,
        r.offeredWhen.includes('absent'),
        r.offeredWhen.includes('present'),
        r.offeredWhen.includes('exhausted'),
        r.offeredWhen.includes('excluded'),
        r.createWhen.includes('absent'),
        r.createWhen.includes('exhausted'),
      ],
    );
  }
  tx.touch(practiceId);
  return id;
}

/** How often the rows of a practice still name a therapist, room, service, template or chain. */
export async function usageOf(
  tx: Tx,
  practiceId: number,
  what: 'therapist' | 'room' | 'service' | 'template' | 'chain',
  id: number,
  now: number,
): Promise<{ total: number; upcoming: number }> {
  const count = async (sql: string, params: unknown[]) =>
    Number((await tx.get<{ n: number | string }>(sql, params))?.n ?? 0);
  const appointmentsWhere = async (column: string) => ({
    total: await count(`SELECT count(*) AS n FROM appointments WHERE practice_id = ? AND ${column} = ?`, [
      practiceId,
      id,
    ]),
    upcoming: await count(
      `SELECT count(*) AS n FROM appointments WHERE practice_id = ? AND ${column} = ? AND ends_at > ? AND status <> 'cancelled'`,
      [practiceId, id, now],
    ),
  });
  switch (what) {
    case 'therapist':
      return appointmentsWhere('therapist_id');
    case 'room':
      return appointmentsWhere('room_id');
    case 'chain':
      return appointmentsWhere('chain_id');
    case 'service': {
      const total = await count(
        'SELECT count(*) AS n FROM appointment_lines WHERE practice_id = ? AND service_id = ?',
        [practiceId, id],
      );
      return { total, upcoming: 0 };
    }
    case 'template': {
      const total =
        (await count('SELECT count(*) AS n FROM packages WHERE practice_id = ? AND template_id = ?', [
          practiceId,
          id,
        ])) +
        (await count('SELECT count(*) AS n FROM exclusions WHERE practice_id = ? AND template_id = ?', [
          practiceId,
          id,
        ])) +
        (await count('SELECT count(*) AS n FROM exclusion_events WHERE practice_id = ? AND template_id = ?', [
          practiceId,
          id,
        ]));
      return { total, upcoming: 0 };
    }
  }
}

/** Removes a row nothing names any more (its children go with it: ON DELETE CASCADE). */
export async function deleteEntity(
  tx: Tx,
  practiceId: number,
  table: 'therapists' | 'rooms' | 'services' | 'package_templates' | 'chains',
  id: number,
) {
  await tx.run(`DELETE FROM ${table} WHERE practice_id = ? AND id = ?`, [practiceId, id]);
  tx.touch(practiceId);
}

/** A therapist whose past appointments still name them: kept, but no longer offered or listed. */
export async function archiveTherapist(tx: Tx, practiceId: number, id: number) {
  await tx.run('DELETE FROM chain_therapists WHERE practice_id = ? AND therapist_id = ?', [practiceId, id]);
  await tx.run('UPDATE therapists SET active = FALSE WHERE practice_id = ? AND id = ?', [practiceId, id]);
  tx.touch(practiceId);
}

export async function insertConfigChange(
  tx: Tx,
  e: {
    practiceId: number;
    userId: number | null;
    at: number;
    source: 'admin' | 'import';
    changes: unknown[];
  },
) {
  await tx.run(
    'INSERT INTO config_changes (practice_id, user_id, at, source, changes) VALUES (?, ?, ?, ?, ?)',
    [e.practiceId, e.userId, e.at, e.source, JSON.stringify(e.changes)],
  );
}

export interface ConfigChangeRecord {
  id: number;
  at: number;
  source: 'admin' | 'import';
  userName: string | null;
  userEmail: string | null;
  changes: unknown[];
}

/** The newest changes first, `limit` of them, before the change `before` (an id) if given. */
export async function configChangesOf(
  tx: Tx,
  practiceId: number,
  limit: number,
  before?: number,
): Promise<ConfigChangeRecord[]> {
  const rows = await tx.all<{
    id: number;
    at: number | string;
    source: 'admin' | 'import';
    name: string | null;
    email: string | null;
    changes: unknown;
  }>(
    `SELECT c.id, c.at, c.source, u.name, u.email, c.changes FROM config_changes c
       LEFT JOIN users u ON u.practice_id = c.practice_id AND u.id = c.user_id
      WHERE c.practice_id = ? AND c.id < ? ORDER BY c.id DESC LIMIT ?`,
    [practiceId, before ?? 2_147_483_647, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    at: Number(r.at),
    source: r.source,
    userName: r.name,
    userEmail: r.email,
    changes: typeof r.changes === 'string' ? (JSON.parse(r.changes) as unknown[]) : (r.changes as unknown[]),
  }));
}
