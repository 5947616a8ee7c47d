/**
 * Housekeeping: what the server keeps about clients it keeps only as long as it needs it. Every
 * instance runs it every few minutes (each statement is idempotent, so two at once do no harm):
 *
 * - sent mails' recipient and words after `mailRetentionDays` (default 30; the row stays, with
 *   kind, status and times);
 * - holds that ran out (they block nothing, but stand in the way of PostgreSQL's constraints);
 * - one-time codes that can no longer be used;
 * - idempotency records after a day (a retry comes within seconds, not days);
 * - rate-limit counters whose window ended.
 */

import { SESSION_IDLE_MS } from '../auth/staff.ts';
import { deleteDeadEmailCodes } from '../db/queries/auth.ts';
import { purgeExpiredHolds } from '../db/queries/calendar.ts';
import { deleteBookingRequestsBefore, scrubMailsBefore } from '../db/queries/housekeeping.ts';
import { deleteExpiredCounters } from '../db/queries/rateLimits.ts';
import { deleteEndedStaffAccess } from '../db/queries/staff.ts';
import type { Store } from '../db/store.ts';
import { describeError } from '../log.ts';

const DAY = 24 * 60 * 60 * 1000;

export interface HousekeepingCounts {
  mailsScrubbed: number;
  holdsDeleted: number;
  codesDeleted: number;
  bookingRequestsDeleted: number;
  countersDeleted: number;
  staffAccessDeleted: number;
}

/** One round at `now`; what it removed. */
export async function runHousekeeping(
  store: Store,
  now: number,
  options: { mailRetentionDays: number },
): Promise<HousekeepingCounts> {
  return store.write(async (tx) => ({
    mailsScrubbed: await scrubMailsBefore(tx, now - options.mailRetentionDays * DAY),
    holdsDeleted: await purgeExpiredHolds(tx, now),
    codesDeleted: await deleteDeadEmailCodes(tx, now),
    bookingRequestsDeleted: await deleteBookingRequestsBefore(tx, now - DAY),
    countersDeleted: await deleteExpiredCounters(tx, now),
    staffAccessDeleted: await deleteEndedStaffAccess(tx, now, SESSION_IDLE_MS),
  }));
}

/** Runs housekeeping every `intervalMs` until stopped; logs what it removed (counts only). */
export function startHousekeeping(
  store: Store,
  clock: () => number,
  options: { mailRetentionDays: number; intervalMs: number; log: (message: string) => void },
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const round = async () => {
    try {
      const counts = await runHousekeeping(store, clock(), options);
      const done = Object.entries(counts).filter(([, n]) => n > 0);
      if (done.length > 0) options.log(`housekeeping: ${done.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    } catch (err) {
      options.log(`housekeeping failed: ${describeError(err)}`);
    }
  };
  const timer = setInterval(() => {
    running = round();
  }, options.intervalMs);
  timer.unref();
  running = round();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
