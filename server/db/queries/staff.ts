/**
 * Staff accounts, their login sessions and one-time links. Sessions and links are found by the
 * SHA-256 of their token; every lookup names the practice, so no id reaches another practice's rows.
 */
import type { PlanName } from '../../engine/config.ts';
import { bool } from '../sql.ts';
import type { Tx } from '../store.ts';

// biome-ignore lint/suspicious/noExplicitAny: raw rows are mapped field by field right below.
type AnyRow = Record<string, any>;

export type StaffRole = 'admin' | 'staff';

export interface StaffUser {
  id: number;
  practiceId: number;
  email: string;
  name: string;
  role: StaffRole;
  active: boolean;
  /** The therapist this user is, where there is one. */
  therapistId: number | null;
}

/** A session with its user and practice, as each request needs them. */
export interface StaffSession {
  user: StaffUser;
  practice: { id: number; slug: string; name: string; plan: PlanName; timeZone: string };
  csrf: string;
  lastSeenAt: number;
  expiresAt: number;
}

function userOf(r: AnyRow): StaffUser {
  return {
    id: r.id,
    practiceId: r.practice_id,
    email: r.email,
    name: r.name,
    role: r.role,
    active: bool(r.active),
    therapistId: r.therapist_id ?? null,
  };
}

const USER_COLUMNS = `u.id, u.practice_id, u.email, u.name, u.role, u.active,
  (SELECT t.id FROM therapists t WHERE t.practice_id = u.practice_id AND t.user_id = u.id ORDER BY t.id LIMIT 1) AS therapist_id`;

/** The user with this address at the practice with this slug, with the password hash to check. */
export async function userForLogin(
  tx: Tx,
  slug: string,
  email: string,
): Promise<(StaffUser & { passwordHash: string | null }) | undefined> {
  const r = await tx.get<AnyRow>(
    `SELECT ${USER_COLUMNS}, u.password_hash
       FROM users u JOIN practices p ON p.id = u.practice_id
      WHERE p.slug = ? AND lower(u.email) = lower(?)`,
    [slug, email.trim()],
  );
  return r && { ...userOf(r), passwordHash: r.password_hash };
}

export async function usersOf(tx: Tx, practiceId: number): Promise<StaffUser[]> {
  const rows = await tx.all<AnyRow>(
    `SELECT ${USER_COLUMNS} FROM users u WHERE u.practice_id = ? ORDER BY lower(u.name), u.id`,
    [practiceId],
  );
  return rows.map(userOf);
}

export async function userById(tx: Tx, practiceId: number, userId: number): Promise<StaffUser | undefined> {
  const r = await tx.get<AnyRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.practice_id = ? AND u.id = ?`, [
    practiceId,
    userId,
  ]);
  return r && userOf(r);
}

export function insertUser(
  tx: Tx,
  u: { practiceId: number; email: string; name: string; role: StaffRole; now: number },
): Promise<number> {
  return tx.insert('INSERT INTO users (practice_id, email, name, role, created_at) VALUES (?, ?, ?, ?, ?)', [
    u.practiceId,
    u.email.trim(),
    u.name,
    u.role,
    u.now,
  ]);
}

export function updateUser(
  tx: Tx,
  practiceId: number,
  userId: number,
  change: { role?: StaffRole; active?: boolean; name?: string },
): Promise<number> {
  return tx.run(
    `UPDATE users SET role = COALESCE(?, role), active = COALESCE(?, active), name = COALESCE(?, name)
      WHERE practice_id = ? AND id = ?`,
    [change.role ?? null, change.active ?? null, change.name ?? null, practiceId, userId],
  );
}

export function setPasswordHash(tx: Tx, practiceId: number, userId: number, hash: string): Promise<number> {
  return tx.run('UPDATE users SET password_hash = ? WHERE practice_id = ? AND id = ?', [
    hash,
    practiceId,
    userId,
  ]);
}

/** The demo practice's logins: a password by address. */
export function setPasswordHashByEmail(
  tx: Tx,
  practiceId: number,
  email: string,
  hash: string,
): Promise<number> {
  return tx.run('UPDATE users SET password_hash = ? WHERE practice_id = ? AND lower(email) = lower(?)', [
    hash,
    practiceId,
    email,
  ]);
}

/** How many active admins the practice has. */
export async function activeAdmins(tx: Tx, practiceId: number): Promise<number> {
  const r = await tx.get<{ n: number | string }>(
    "SELECT count(*) AS n FROM users WHERE practice_id = ? AND role = 'admin' AND active = ?",
    [practiceId, true],
  );
  return Number(r?.n ?? 0);
}

// --- sessions --------------------------------------------------------------------------------

export function insertSession(
  tx: Tx,
  s: { hash: string; practiceId: number; userId: number; csrf: string; now: number; expiresAt: number },
): Promise<number> {
  return tx.run(
    'INSERT INTO staff_sessions (id, practice_id, user_id, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [s.hash, s.practiceId, s.userId, s.csrf, s.now, s.now, s.expiresAt],
  );
}

export async function sessionByHash(tx: Tx, hash: string): Promise<StaffSession | undefined> {
  const r = await tx.get<AnyRow>(
    `SELECT ${USER_COLUMNS}, s.csrf, s.last_seen_at, s.expires_at,
            p.slug AS practice_slug, p.name AS practice_name, p.plan AS practice_plan, p.time_zone AS practice_time_zone
       FROM staff_sessions s
       JOIN users u ON u.practice_id = s.practice_id AND u.id = s.user_id
       JOIN practices p ON p.id = s.practice_id
      WHERE s.id = ?`,
    [hash],
  );
  return (
    r && {
      user: userOf(r),
      practice: {
        id: r.practice_id,
        slug: r.practice_slug,
        name: r.practice_name,
        plan: r.practice_plan,
        timeZone: r.practice_time_zone,
      },
      csrf: r.csrf,
      lastSeenAt: Number(r.last_seen_at),
      expiresAt: Number(r.expires_at),
    }
  );
}

export function touchSession(tx: Tx, hash: string, now: number): Promise<number> {
  return tx.run('UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?', [now, hash]);
}

export function deleteSession(tx: Tx, hash: string): Promise<number> {
  return tx.run('DELETE FROM staff_sessions WHERE id = ?', [hash]);
}

/** Ends every session of a user (deactivated, new password, role changed). */
export function deleteSessionsOf(tx: Tx, practiceId: number, userId: number): Promise<number> {
  return tx.run('DELETE FROM staff_sessions WHERE practice_id = ? AND user_id = ?', [practiceId, userId]);
}

// --- one-time links --------------------------------------------------------------------------

export function insertStaffToken(
  tx: Tx,
  t: { hash: string; practiceId: number; userId: number; now: number; expiresAt: number },
): Promise<number> {
  return tx.run(
    'INSERT INTO staff_tokens (id, practice_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)',
    [t.hash, t.practiceId, t.userId, t.expiresAt, t.now],
  );
}

/**
 * Uses a one-time link: marks it used in the same statement that finds it still unused and
 * unexpired, so two tabs cannot both use it. Its user, or undefined.
 */
export async function takeStaffToken(
  tx: Tx,
  hash: string,
  now: number,
): Promise<{ practiceId: number; userId: number } | undefined> {
  const r = await tx.get<AnyRow>(
    `UPDATE staff_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?
     RETURNING practice_id, user_id`,
    [now, hash, now],
  );
  return r && { practiceId: r.practice_id, userId: r.user_id };
}

/** Ends a user's unused links (a new one was made, or the password was set). */
export function endStaffTokensOf(tx: Tx, practiceId: number, userId: number, now: number): Promise<number> {
  return tx.run(
    'UPDATE staff_tokens SET used_at = ? WHERE practice_id = ? AND user_id = ? AND used_at IS NULL',
    [now, practiceId, userId],
  );
}

/** Housekeeping: sessions and links that ended; how many. */
export async function deleteEndedStaffAccess(tx: Tx, now: number, idleMs: number): Promise<number> {
  return (
    (await tx.run('DELETE FROM staff_sessions WHERE expires_at <= ? OR last_seen_at <= ?', [
      now,
      now - idleMs,
    ])) + (await tx.run('DELETE FROM staff_tokens WHERE expires_at <= ? OR used_at IS NOT NULL', [now]))
  );
}
