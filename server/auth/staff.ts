/**
 * Staff sessions and one-time links: random tokens (the browser keeps the session token in an
 * HttpOnly cookie; the database only its SHA-256), a CSRF token per session for state-changing
 * requests, an absolute and an idle lifetime.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  deleteSession,
  endStaffTokensOf,
  insertSession,
  insertStaffToken,
  type StaffSession,
  sessionByHash,
  touchSession,
} from '../db/queries/staff.ts';
import type { Store, Tx } from '../db/store.ts';

/** A session ends 12 hours after login at the latest, and after 2 hours without a request. */
export const SESSION_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** A one-time link to set a password works for 3 days. */
export const LINK_MS = 3 * 24 * 60 * 60 * 1000;
/** `last_seen_at` is written at most once a minute per session. */
const TOUCH_MS = 60 * 1000;

export const SESSION_COOKIE = 'tk_staff';

const token = () => randomBytes(32).toString('base64url');
export const tokenHash = (t: string) => createHash('sha256').update(t).digest('base64url');

export async function startSession(
  store: Store,
  practiceId: number,
  userId: number,
  now: number,
): Promise<{ token: string; csrf: string; expiresAt: number }> {
  const t = token();
  const csrf = token();
  const expiresAt = now + SESSION_MS;
  await store.write((tx) =>
    insertSession(tx, { hash: tokenHash(t), practiceId, userId, csrf, now, expiresAt }),
  );
  return { token: t, csrf, expiresAt };
}

/** The live session of a cookie's token (its user active), or undefined; an ended one is deleted. */
export async function sessionOf(store: Store, t: string, now: number): Promise<StaffSession | undefined> {
  const hash = tokenHash(t);
  const s = await store.read((tx) => sessionByHash(tx, hash));
  if (!s) return undefined;
  if (!s.user.active || now >= s.expiresAt || now - s.lastSeenAt >= SESSION_IDLE_MS) {
    await store.write((tx) => deleteSession(tx, hash));
    return undefined;
  }
  if (now - s.lastSeenAt >= TOUCH_MS) await store.write((tx) => touchSession(tx, hash, now));
  return s;
}

export function endSession(store: Store, t: string): Promise<number> {
  return store.write((tx) => deleteSession(tx, tokenHash(t)));
}

/** A new one-time link for the user (their older unused ones end); its token. */
export async function newStaffLink(tx: Tx, practiceId: number, userId: number, now: number): Promise<string> {
  const t = token();
  await endStaffTokensOf(tx, practiceId, userId, now);
  await insertStaffToken(tx, { hash: tokenHash(t), practiceId, userId, now, expiresAt: now + LINK_MS });
  return t;
}

/** Where a one-time link leads: the page that sets the password. */
export const passwordLink = (publicUrl: string, t: string) => `${publicUrl}/admin/password?token=${t}`;
