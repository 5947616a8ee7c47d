/** A practice's configuration as stored, table by table, for the practice document's export. */
import { bool, json } from '../sql.ts';
import type { Tx } from '../store.ts';

// biome-ignore lint/suspicious/noExplicitAny: raw rows are shaped by practice/export.ts.
type AnyRow = Record<string, any>;

export interface StoredConfiguration {
  practice: AnyRow;
  users: AnyRow[];
  therapists: AnyRow[];
  hours: AnyRow[];
  exceptions: AnyRow[];
  rooms: AnyRow[];
  services: AnyRow[];
  templates: AnyRow[];
  chains: AnyRow[];
  lines: AnyRow[];
  chainTherapists: AnyRow[];
  rules: AnyRow[];
}

export async function storedConfiguration(
  tx: Tx,
  practiceId: number,
): Promise<StoredConfiguration | undefined> {
  const practice = await tx.get<AnyRow>('SELECT * FROM practices WHERE id = ?', [practiceId]);
  if (!practice) return undefined;
  const all = (sql: string) => tx.all<AnyRow>(sql, [practiceId]);
  const rows = {
    practice: {
      ...practice,
      online_booking_enabled: bool(practice.online_booking_enabled),
      mail_names_service: bool(practice.mail_names_service),
      allowed_origins: json<string[]>(practice.allowed_origins),
      online_limits: json<Record<string, unknown>>(practice.online_limits) ?? {},
    },
    users: await all('SELECT id, email, name, role FROM users WHERE practice_id = ? ORDER BY id'),
    therapists: await all(
      `SELECT t.id, t.key, t.name, t.online_bookable, t.color, u.email AS user_email FROM therapists t
         LEFT JOIN users u ON u.practice_id = t.practice_id AND u.id = t.user_id
        WHERE t.practice_id = ? AND t.active = TRUE ORDER BY t.id`,
    ),
    hours: await all(
      'SELECT therapist_id, weekday, start_minute, end_minute FROM working_hours WHERE practice_id = ? ORDER BY therapist_id, weekday, start_minute',
    ),
    exceptions: await all(
      'SELECT therapist_id, date, kind, start_minute, end_minute, note FROM availability_exceptions WHERE practice_id = ? ORDER BY therapist_id, date, start_minute, id',
    ),
    rooms: await all('SELECT key, name FROM rooms WHERE practice_id = ? ORDER BY id'),
    services: await all(
      'SELECT id, code, name, price_cents, duration_minutes FROM services WHERE practice_id = ? ORDER BY id',
    ),
    templates: (
      await all(
        'SELECT id, key, name, max_appointments, max_amount_cents, code_limits, validity_kind, validity_days FROM package_templates WHERE practice_id = ? ORDER BY id',
      )
    ).map((t) => ({ ...t, code_limits: json<Record<string, unknown>[]>(t.code_limits) ?? [] })),
    chains: await all('SELECT * FROM chains WHERE practice_id = ? ORDER BY sort_order, id'),
    lines: await all(
      'SELECT chain_id, service_id, quantity FROM chain_lines WHERE practice_id = ? ORDER BY chain_id, position',
    ),
    chainTherapists: await all(
      'SELECT chain_id, therapist_id FROM chain_therapists WHERE practice_id = ? ORDER BY chain_id, therapist_id',
    ),
    rules: await all('SELECT * FROM chain_package_rules WHERE practice_id = ? ORDER BY chain_id, id'),
  };
  return rows;
}
