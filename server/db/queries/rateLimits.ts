/**
 * Rate-limit counters (table `rate_limits`: key, points, expire, max_points), for the limiter in
 * auth/rateLimit.ts and for the points bookings and holds take in their own batch: one atomic
 * statement per hit, the same on both databases, so limits hold across every process and app
 * instance that shares the database.
 */
import type { Tx, Write } from '../store.ts';

export interface Counter {
  points: number;
  /** Epoch ms when the window ends; null: never. */
  expire: number | null;
}

/** A counter's window is running at `now` (bind `now`); else a point starts a new one. */
const RUNNING = 'rate_limits.expire IS NULL OR rate_limits.expire > ?';

/** When a window opened at `now` ends; null: never. */
const windowEnd = (now: number, durationMs: number) => (durationMs > 0 ? now + durationMs : null);

/**
 * Adds `points` to the counter of `key`: a new window when there is none or it has ended at
 * `now`, else the running one. With `forceExpire` the counter is set to `points` with a new window.
 */
export function addPoints(
  tx: Tx,
  c: { key: string; points: number; durationMs: number; now: number; forceExpire?: boolean },
): Promise<Counter | undefined> {
  const expire = windowEnd(c.now, c.durationMs);
  if (c.forceExpire) {
    return tx.get<Counter>(
      `INSERT INTO rate_limits (key, points, expire) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET points = excluded.points, expire = excluded.expire
       RETURNING points, expire`,
      [c.key, c.points, expire],
    );
  }
  return tx.get<Counter>(
    `INSERT INTO rate_limits (key, points, expire) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET
       points = CASE WHEN ${RUNNING} THEN rate_limits.points + excluded.points ELSE excluded.points END,
       expire = CASE WHEN ${RUNNING} THEN rate_limits.expire ELSE excluded.expire END
     RETURNING points, expire`,
    [c.key, c.points, expire, c.now, c.now],
  );
}

/** A limit the database keeps: at most `points` in `durationMs` for `key`. */
export interface CounterLimit {
  key: string;
  points: number;
  durationMs: number;
}

/**
 * Thrown when a point would go over its limit (the store turns the refusal of the CHECK
 * `rate_limits_within` into it): the statement that carried the point failed, with everything it
 * wrote, and the caller's transaction rolls back. How long until the window frees up: `limitWait`.
 */
export class OverLimit extends Error {
  constructor(options?: ErrorOptions) {
    super('a rate limit was reached', options);
  }
}

/** The check that keeps a counter with `max_points` within it (schema, migration 0013/0016). */
export const WITHIN_LIMIT = 'rate_limits_within';

/**
 * One point on each limit at `now`, as writes to go in the batch of what they count: a new window
 * when there is none or it has ended, else the running one. The counter's row carries the limit,
 * and the database refuses a point over it (`OverLimit`): the batch fails as one, so a booking over
 * the limit writes nothing, one refused for any other reason counts nothing, and many at once, in
 * any number of instances, count exactly. In a fixed order (by key), so two batches never wait for
 * each other's counters crosswise. In the batch, which is the last statement before the commit: on
 * PostgreSQL a counter's row lock, shared by every request of its address, is held for that one
 * statement and the commit only, not while the booking reads and decides.
 */
export function pointWrites(limits: readonly CounterLimit[], now: number): Write[] {
  return [...limits]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((l) => ({
      sql: `INSERT INTO rate_limits (key, points, expire, max_points) VALUES (?, 1, ?, ?)
            ON CONFLICT (key) DO UPDATE SET
              points = CASE WHEN ${RUNNING} THEN rate_limits.points + 1 ELSE 1 END,
              expire = CASE WHEN ${RUNNING} THEN rate_limits.expire ELSE excluded.expire END,
              max_points = excluded.max_points`,
      params: [l.key, windowEnd(now, l.durationMs), l.points, now, now],
    }));
}

/** How many counters a shared limit is spread over at most (`spreadLimit`). */
export const SPREAD = 8;

/**
 * A limit that requests from everywhere count against at once — a practice's holds from all
 * addresses — as `parts` counters whose limits add up to it (`key#0`, `key#1`, …): each request
 * takes its point on one of them, so requests at the same moment seldom wait for the same row. One
 * row would let a practice's holds on PostgreSQL commit one after the other, each waiting for the
 * one before (docs/SCALING.md). The sum never exceeds the limit, whichever parts fill up. Always
 * the same keys, whatever the limit (a part may have none of it): a lower limit set while windows
 * run lowers each part's, and counts on, instead of starting on fresh counters.
 * @example spreadLimit({ key: 'k', points: 10, durationMs: 60_000 }, 4).map((l) => l.points) // [3, 3, 2, 2]
 */
export function spreadLimit(l: CounterLimit, parts = SPREAD): CounterLimit[] {
  return Array.from({ length: parts }, (_, k) => ({
    key: `${l.key}#${k}`,
    points: Math.floor(l.points / parts) + (k < l.points % parts ? 1 : 0),
    durationMs: l.durationMs,
  }));
}

/** The running counters among `keys` at `now`, by key (one statement). */
export async function counters(tx: Tx, keys: readonly string[], now: number): Promise<Map<string, Counter>> {
  if (keys.length === 0) return new Map();
  const rows = await tx.all<Counter & { key: string }>(
    `SELECT key, points, expire FROM rate_limits
     WHERE key IN (${keys.map(() => '?').join(', ')}) AND (expire IS NULL OR expire > ?)`,
    [...keys, now],
  );
  return new Map(
    rows.map((r) => [
      r.key,
      { points: Number(r.points), expire: r.expire === null ? null : Number(r.expire) },
    ]),
  );
}

/** Whether `l` has no point left in `running` (from `counters`). */
export const isFull = (l: CounterLimit, running: ReadonlyMap<string, Counter>): boolean =>
  (running.get(l.key)?.points ?? 0) >= l.points;

/** How long until a full counter of `running` frees up: the end of its window (at least a second), or a minute for a window that never ends. */
export function waitOf(l: CounterLimit, running: ReadonlyMap<string, Counter>, now: number): number {
  const c = running.get(l.key);
  if (!c) return 1_000;
  return Math.max(1_000, c.expire === null ? 60_000 : c.expire - now);
}

/**
 * After `OverLimit`: how long until the fullest of the limits frees a point — the end of its
 * window (at least a second), or a minute for a window that never ends.
 */
export async function limitWait(tx: Tx, limits: readonly CounterLimit[], now: number): Promise<number> {
  const running = await counters(
    tx,
    limits.map((l) => l.key),
    now,
  );
  let wait = 1_000;
  for (const l of limits) if (isFull(l, running)) wait = Math.max(wait, waitOf(l, running, now));
  return wait;
}

/** The running counter of `key` at `now`, or undefined. */
export function counter(tx: Tx, key: string, now: number): Promise<Counter | undefined> {
  return tx.get<Counter>(
    'SELECT points, expire FROM rate_limits WHERE key = ? AND (expire IS NULL OR expire > ?)',
    [key, now],
  );
}

export function deleteCounter(tx: Tx, key: string): Promise<number> {
  return tx.run('DELETE FROM rate_limits WHERE key = ?', [key]);
}

export function deleteExpiredCounters(tx: Tx, now: number): Promise<number> {
  return tx.run('DELETE FROM rate_limits WHERE expire < ?', [now]);
}

/**
 * A real write for the health check: the row `health` of rate_limits (no limiter uses that key),
 * written and read back. Fails exactly when the database cannot take writes.
 */
export async function touchHealth(tx: Tx): Promise<void> {
  const row = await tx.get<{ points: number }>(
    `INSERT INTO rate_limits (key, points, expire) VALUES ('health', 0, NULL)
     ON CONFLICT (key) DO UPDATE SET points = 0, expire = NULL RETURNING points`,
  );
  if (row?.points !== 0) throw new Error('the health row did not read back');
}
