/** Online booking requests by their Idempotency-Key: a retry returns the same booking. */
import { json } from '../sql.ts';
import type { Tx, Write } from '../store.ts';

/** The request stored under a key, with the booking's status as it is now. */
export async function findBookingRequest(tx: Tx, practiceId: number, key: string) {
  const row = await tx.get<{ request_hash: string; response: unknown; status: string }>(
    `SELECT r.request_hash, r.response, a.status FROM booking_requests r
       JOIN appointments a ON a.id = r.appointment_id
      WHERE r.practice_id = ? AND r.idempotency_key = ?`,
    [practiceId, key],
  );
  return (
    row && {
      requestHash: row.request_hash,
      response: json<Record<string, unknown>>(row.response),
      status: row.status,
    }
  );
}

/** The idempotency record of a booking, to write with it. */
export function bookingRequestWrite(r: {
  practiceId: number;
  key: string;
  requestHash: string;
  appointmentId: number;
  response: unknown;
  now: number;
}): Write {
  return {
    sql: 'INSERT INTO booking_requests (practice_id, idempotency_key, request_hash, appointment_id, response, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    params: [r.practiceId, r.key, r.requestHash, r.appointmentId, JSON.stringify(r.response), r.now],
  };
}
