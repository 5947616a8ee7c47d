/**
 * What identifying a returning client reads and writes: the file by e-mail or id, its access code
 * and version, and the one-time login codes (only their hashes are stored).
 */
import type { Tx } from '../store.ts';

export interface FileForLogin {
  id: number;
  firstName: string;
  lastName: string;
  email: string | null;
  accessCode: string;
  accessCodeVersion: number;
}

/** The file of a practice with this e-mail (case-insensitive), as the login needs it. */
export function fileByEmail(tx: Tx, practiceId: number, email: string): Promise<FileForLogin | undefined> {
  return tx.get<FileForLogin>(
    `SELECT id, first_name AS "firstName", last_name AS "lastName", email, access_code AS "accessCode",
            access_code_version AS "accessCodeVersion"
       FROM clients WHERE practice_id = ? AND lower(email) = ?`,
    [practiceId, email.trim().toLowerCase()],
  );
}

export interface TokenFile {
  id: number;
  practiceId: number;
  firstName: string;
  email: string | null;
  accessCodeVersion: number;
}

/** What a client token or a direct link is checked against. */
export function tokenFile(tx: Tx, practiceId: number, clientId: number): Promise<TokenFile | undefined> {
  return tx.get<TokenFile>(
    `SELECT id, practice_id AS "practiceId", first_name AS "firstName", email, access_code_version AS "accessCodeVersion"
       FROM clients WHERE practice_id = ? AND id = ?`,
    [practiceId, clientId],
  );
}

/** Sets a new access code and raises its version; undefined when the practice has no such file. */
export function setAccessCode(tx: Tx, practiceId: number, clientId: number, accessCode: string) {
  return tx.get<{ accessCode: string; accessCodeVersion: number }>(
    `UPDATE clients SET access_code = ?, access_code_version = access_code_version + 1
      WHERE practice_id = ? AND id = ?
      RETURNING access_code AS "accessCode", access_code_version AS "accessCodeVersion"`,
    [accessCode, practiceId, clientId],
  );
}

/** Stores a new one-time code's hash, clearing the file's spent, expired and dead codes on the way. */
export async function insertLoginCode(
  tx: Tx,
  c: {
    practiceId: number;
    clientId: number;
    codeHash: string;
    expiresAt: number;
    maxAttempts: number;
    now: number;
  },
): Promise<void> {
  await tx.run(
    `DELETE FROM login_codes
      WHERE practice_id = ? AND client_id = ? AND (used_at IS NOT NULL OR expires_at < ? OR attempts >= ?)`,
    [c.practiceId, c.clientId, c.now, c.maxAttempts],
  );
  await tx.run(
    'INSERT INTO login_codes (practice_id, client_id, code_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)',
    [c.practiceId, c.clientId, c.codeHash, c.expiresAt, c.now],
  );
}

const LIVE = 'practice_id = ? AND client_id = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?';

/** The file's codes that can still be used. */
export function liveLoginCodes(
  tx: Tx,
  practiceId: number,
  clientId: number,
  now: number,
  maxAttempts: number,
) {
  return tx.all<{ id: number; codeHash: string }>(
    `SELECT id, code_hash AS "codeHash" FROM login_codes WHERE ${LIVE}`,
    [practiceId, clientId, now, maxAttempts],
  );
}

/** Spends a code once: 1 when this call spent it, 0 when another got there first. */
export function spendLoginCode(tx: Tx, id: number, now: number): Promise<number> {
  return tx.run('UPDATE login_codes SET used_at = ? WHERE id = ? AND used_at IS NULL', [now, id]);
}

/** Counts a wrong try on every live code of the file. */
export function countWrongTry(
  tx: Tx,
  practiceId: number,
  clientId: number,
  now: number,
  maxAttempts: number,
) {
  return tx.run(`UPDATE login_codes SET attempts = attempts + 1 WHERE ${LIVE}`, [
    practiceId,
    clientId,
    now,
    maxAttempts,
  ]);
}
