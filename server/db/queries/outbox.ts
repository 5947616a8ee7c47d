/**
 * The outbox: e-mails written in the same transaction as what they report, sent later by a worker
 * that claims each row with a lease. Claiming is one statement; on PostgreSQL it skips rows another
 * instance has locked at that moment (`FOR UPDATE SKIP LOCKED`), so several instances share the
 * work and never claim the same mail; on SQLite the write transaction holds the file.
 */
import { indexedBy, json } from '../sql.ts';
import type { Tx, Write } from '../store.ts';

/** An outbox row; `attachments` and `content` as stored (JSON). */
export interface OutboxRow {
  id: number;
  practiceId: number;
  kind: string;
  toAddress: string;
  subject: string;
  textBody: string;
  attachments: unknown;
  content: unknown;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  claimedBy: string | null;
  claimedUntil: number | null;
  lastError: string | null;
  messageId: string | null;
  createdAt: number;
  sentAt: number | null;
}

const COLUMNS = `id, practice_id AS "practiceId", kind, to_address AS "toAddress", subject, text_body AS "textBody",
  attachments, content, status, attempts, next_attempt_at AS "nextAttemptAt", claimed_by AS "claimedBy",
  claimed_until AS "claimedUntil", last_error AS "lastError", message_id AS "messageId", created_at AS "createdAt",
  sent_at AS "sentAt"`;

function rowOf(r: OutboxRow): OutboxRow {
  return { ...r, attachments: json(r.attachments), content: r.content === null ? null : json(r.content) };
}

export interface NewMailRow {
  practiceId: number;
  kind: string;
  to: string;
  subject: string;
  text: string;
  attachments: unknown[];
  content?: unknown;
  now: number;
}

/** Writes a pending mail, due at `now`; returns its id. */
export function insertMail(tx: Tx, m: NewMailRow): Promise<number> {
  const w = mailWrite(m);
  return tx.insert(w.sql, w.params);
}

/** A pending mail, due at `now`, to write in a batch with what it reports. */
export function mailWrite(m: NewMailRow): Write {
  return {
    sql: `INSERT INTO outbox (practice_id, kind, to_address, subject, text_body, attachments, content, status, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
    params: [
      m.practiceId,
      m.kind,
      m.to,
      m.subject,
      m.text,
      JSON.stringify(m.attachments),
      m.content === undefined ? null : JSON.stringify(m.content),
      m.now,
      m.now,
    ],
  };
}

const DUE = `status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)`;

/** Whether any mail is due: a plain read, so an idle poll takes no write lock. */
export async function anyDue(tx: Tx, now: number): Promise<boolean> {
  return (await tx.get(`SELECT id FROM outbox WHERE ${DUE} LIMIT 1`, [now, now])) !== undefined;
}

/** Claims up to `limit` due mails for `workerId` until `leaseUntil`, oldest due first. */
export async function claimDue(
  tx: Tx,
  c: { now: number; leaseUntil: number; workerId: string; limit: number },
): Promise<OutboxRow[]> {
  const skipLocked = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  const rows = await tx.all<OutboxRow>(
    `UPDATE outbox SET claimed_by = ?, claimed_until = ?
      WHERE id IN (SELECT id FROM outbox WHERE ${DUE} ORDER BY next_attempt_at, id LIMIT ?${skipLocked})
      RETURNING ${COLUMNS}`,
    [c.workerId, c.leaseUntil, c.now, c.now, c.limit],
  );
  return rows.map(rowOf).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
}

export function markSent(tx: Tx, m: { id: number; at: number; messageId: string | null; attempts: number }) {
  return tx.run(
    `UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, attempts = ?, claimed_by = NULL, claimed_until = NULL
      WHERE id = ? AND status = 'pending'`,
    [m.at, m.messageId, m.attempts, m.id],
  );
}

/** A failed try, while the claim is still this worker's (one whose lease ran out must not undo another's work). */
export function markFailed(
  tx: Tx,
  m: {
    id: number;
    workerId: string;
    attempts: number;
    givenUp: boolean;
    error: string;
    nextAttemptAt: number;
  },
) {
  return tx.run(
    `UPDATE outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL
      WHERE id = ? AND status = 'pending' AND claimed_by = ?`,
    [m.givenUp ? 'failed' : 'pending', m.attempts, m.error, m.nextAttemptAt, m.id, m.workerId],
  );
}

/**
 * Marks up to `limit` pending mails not logged before as logged at `now`, oldest first, and returns
 * what may be logged of them: id, practice and kind. One statement: two servers never pick the same
 * mail (PostgreSQL skips rows another has locked; SQLite's writer holds the file), and a restart
 * does not pick it again.
 */
export function claimUnlogged(
  tx: Tx,
  now: number,
  limit: number,
): Promise<{ id: number; practiceId: number; kind: string }[]> {
  const skipLocked = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  return tx.all(
    `UPDATE outbox SET logged_at = ?
      WHERE id IN (SELECT id FROM outbox${indexedBy(tx, 'outbox_unlogged')}
                    WHERE status = 'pending' AND logged_at IS NULL ORDER BY id LIMIT ?${skipLocked})
      RETURNING id, practice_id AS "practiceId", kind`,
    [now, limit],
  );
}

/** Every mail of a practice, oldest first (tests, support). */
export async function mailsOf(tx: Tx, practiceId: number): Promise<OutboxRow[]> {
  const rows = await tx.all<OutboxRow>(`SELECT ${COLUMNS} FROM outbox WHERE practice_id = ? ORDER BY id`, [
    practiceId,
  ]);
  return rows.map(rowOf);
}

/** The practice's mails for the back office, newest first, `limit` of them. */
export async function outboxOf(tx: Tx, practiceId: number, limit: number) {
  const rows = await tx.all<Record<string, unknown>>(
    `SELECT id, kind, to_address, subject, status, attempts, last_error, created_at, sent_at FROM outbox
      WHERE practice_id = ? ORDER BY id DESC LIMIT ?`,
    [practiceId, limit],
  );
  return rows.map((r) => ({
    id: r.id as number,
    kind: r.kind as string,
    to: r.to_address as string,
    subject: r.subject as string,
    status: r.status as 'pending' | 'sent' | 'failed',
    attempts: Number(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: Number(r.created_at),
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
  }));
}

/**
 * Sends a mail of the practice again: a new pending copy of it (the original keeps its record).
 * `undefined` when the practice has no such mail; `null` when it is still pending or was scrubbed
 * after the retention time; else the copy's id.
 */
export async function resendMail(
  tx: Tx,
  practiceId: number,
  id: number,
  now: number,
): Promise<number | null | undefined> {
  const source = await tx.get<{ status: string; to_address: string }>(
    'SELECT status, to_address FROM outbox WHERE practice_id = ? AND id = ?',
    [practiceId, id],
  );
  if (!source) return undefined;
  if (source.status === 'pending' || source.to_address === '') return null;
  return tx.insert(
    `INSERT INTO outbox (practice_id, kind, to_address, subject, text_body, attachments, content, status, attempts, next_attempt_at, created_at)
     SELECT practice_id, kind, to_address, subject, text_body, attachments, content, 'pending', 0, ?, ?
       FROM outbox WHERE practice_id = ? AND id = ?`,
    [now, now, practiceId, id],
  );
}
