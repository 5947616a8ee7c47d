/**
 * Rate-limit counters (table `rate_limits`: key, points, expire), for the limiter in
 * auth/rateLimit.ts: one atomic statement per hit, the same on both databases, so limits hold
 * across every process and app instance that shares the database.
 */
import type { Tx } from '../store.ts';

export interface Counter {
  points: number;
  /** Epoch ms when the window ends; null: never. */
  expire: number | null;
}

/**
 * Adds `points` to the counter of `key`: a new window when there is none or it has ended at
 * `now`, else the running one. With `forceExpire` the counter is set to `points` with a new window.
 */
export function addPoints(
  tx: Tx,
  c: { key: string; points: number; durationMs: number; now: number; forceExpire?: boolean },
): Promise<Counter | undefined> {
  const expire = c.durationMs > 0 ? c.now + c.durationMs : null;
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
       points = CASE WHEN rate_limits.expire IS NULL OR rate_limits.expire > ? THEN rate_limits.points + excluded.points ELSE excluded.points END,
       expire = CASE WHEN rate_limits.expire IS NULL OR rate_limits.expire > ? THEN rate_limits.expire ELSE excluded.expire END
     RETURNING points, expire`,
    [c.key, c.points, expire, c.now, c.now],
  );
}

/**
 * Takes one point of `key`'s window at `now` if that keeps it within `limit`, inside the caller's
 * write transaction (the upsert locks the row, so concurrent takers across instances count
 * exactly); over the limit it takes none and says how long until the window ends.
 */
export async function takePoint(
  tx: Tx,
  key: string,
  limit: { points: number; durationMs: number },
  now: number,
): Promise<{ ok: true } | { ok: false; waitMs: number }> {
  const c = (await addPoints(tx, { key, points: 1, durationMs: limit.durationMs, now }))!;
  if (c.points <= limit.points) return { ok: true };
  await givePointBack(tx, key);
  return { ok: false, waitMs: c.expire === null ? 60_000 : Math.max(1_000, c.expire - now) };
}

/** Thrown by `takePointsLast` to roll the transaction back: a limit was reached. */
export class OverLimit extends Error {
  constructor(readonly waitMs: number) {
    super('a rate limit was reached');
  }
}

/**
 * One point on each limit as the last writes of a transaction, in a fixed order (no deadlock); over
 * any of them, `OverLimit` is thrown and the whole transaction rolls back with them. Last, because a
 * counter's row is shared by every request of its address or practice: on PostgreSQL the row lock is
 * then held for the commit only, not for the whole decision and its writes — taken first, it made
 * every booking from one address (and every hold of a practice) wait for the one before to commit.
 */
export async function takePointsLast(
  tx: Tx,
  limits: readonly ({ key: string } & { points: number; durationMs: number })[],
  now: number,
): Promise<void> {
  for (const limit of [...limits].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const taken = await takePoint(tx, limit.key, limit, now);
    if (!taken.ok) throw new OverLimit(taken.waitMs);
  }
}

/** Gives back a point taken in this transaction. */
export function givePointBack(tx: Tx, key: string): Promise<number> {
  return tx.run('UPDATE rate_limits SET points = points - 1 WHERE key = ?', [key]);
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
