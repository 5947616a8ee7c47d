/**
 * What the server keeps no longer than it needs (booking/housekeeping.ts runs these): the
 * recipient and words of mails done with, holds and codes that ran out, idempotency records past
 * any retry, rate-limit counters whose window ended. Each is one statement on an index.
 */
import { indexedBy } from '../sql.ts';
import type { Tx } from '../store.ts';

/**
 * Scrubs the mails sent (or given up) before `before`: recipient, subject, text, content and
 * attachments go; the row stays with its kind, status and times, as the record that it was sent.
 */
export function scrubMailsBefore(tx: Tx, before: number): Promise<number> {
  return tx.run(
    `UPDATE outbox SET to_address = '', subject = '', text_body = '', content = NULL, attachments = '[]', last_error = NULL
      WHERE id IN (SELECT id FROM outbox${indexedBy(tx, 'outbox_to_scrub')}
                    WHERE status <> 'pending' AND to_address <> '' AND created_at < ?)`,
    [before],
  );
}

/** Deletes the idempotency records made before `before`: no client retries a booking that late. */
export function deleteBookingRequestsBefore(tx: Tx, before: number): Promise<number> {
  return tx.run('DELETE FROM booking_requests WHERE created_at < ?', [before]);
}
