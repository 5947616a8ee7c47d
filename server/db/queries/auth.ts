/**
 * What identifying a client reads and writes: the file by e-mail or id, its access code and
 * version, and the one-time codes e-mailed to an address (only their hashes are stored).
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

/**
 * Stores a new one-time code's hash for an address, ending every older code of that address (only
 * the newest code works) and clearing its spent and dead ones.
 */
export async function replaceEmailCode(
  tx: Tx,
  c: { practiceId: number; emailHash: string; codeHash: string; expiresAt: number; now: number },
): Promise<void> {
  await tx.run('DELETE FROM email_codes WHERE practice_id = ? AND email_hash = ?', [
    c.practiceId,
    c.emailHash,
  ]);
  await tx.run(
    'INSERT INTO email_codes (practice_id, email_hash, code_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)',
    [c.practiceId, c.emailHash, c.codeHash, c.expiresAt, c.now],
  );
}

const LIVE = 'practice_id = ? AND email_hash = ? AND used_at IS NULL AND expires_at > ? AND attempts < ?';

/** The address's code that can still be used (at most one). */
export function liveEmailCodes(
  tx: Tx,
  practiceId: number,
  emailHash: string,
  now: number,
  maxAttempts: number,
) {
  return tx.all<{ id: number; codeHash: string }>(
    `SELECT id, code_hash AS "codeHash" FROM email_codes WHERE ${LIVE}`,
    [practiceId, emailHash, now, maxAttempts],
  );
}

/** Spends a code once: 1 when this call spent it, 0 when another got there first. */
export function spendEmailCode(tx: Tx, id: number, now: number): Promise<number> {
  return tx.run('UPDATE email_codes SET used_at = ? WHERE id = ? AND used_at IS NULL', [now, id]);
}

/** Counts a wrong try on the address's live code. */
export function countWrongTry(
  tx: Tx,
  practiceId: number,
  emailHash: string,
  now: number,
  maxAttempts: number,
) {
  return tx.run(`UPDATE email_codes SET attempts = attempts + 1 WHERE ${LIVE}`, [
    practiceId,
    emailHash,
    now,
    maxAttempts,
  ]);
}

/** Deletes codes that can no longer be used (expired before `before`, or spent); returns how many. */
export function deleteDeadEmailCodes(tx: Tx, before: number): Promise<number> {
  return tx.run('DELETE FROM email_codes WHERE expires_at < ? OR used_at IS NOT NULL', [before]);
}
