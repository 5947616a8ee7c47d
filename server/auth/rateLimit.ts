/**
 * Rate limits on the login endpoints, per e-mail and per IP, with rate-limiter-flexible's
 * `RateLimiterSQLite` on the app's own better-sqlite3 connection: the counters live in the database
 * file (table `rate_limits`), so the limits hold across every server process on that file.
 *
 * The library's windows run on the real clock (`Date.now()`), not on the app's `clock`.
 */

import { getConnInfo } from '@hono/node-server/conninfo';
import type Database from 'better-sqlite3';
import type { Context } from 'hono';
import type { ConnInfo } from 'hono/conninfo';
import { RateLimiterRes, RateLimiterSQLite } from 'rate-limiter-flexible';
import { preparedOn } from '../db/statements.ts';
import { ApiError } from '../problem.ts';

export interface Limit {
  points: number;
  durationSeconds: number;
}

export interface AuthLimits {
  /** `POST /auth/code` per e-mail address (known or not). */
  codePerEmail: Limit;
  /** `POST /auth/verify` per e-mail address (known or not). */
  verifyPerEmail: Limit;
  /** All of `/auth/code`, `/auth/verify` and `/auth/link` together, per client IP. */
  perIp: Limit;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  codePerEmail: { points: 5, durationSeconds: 15 * 60 },
  verifyPerEmail: { points: 10, durationSeconds: 15 * 60 },
  perIp: { points: 30, durationSeconds: 15 * 60 },
};

export const RATE_LIMIT_TABLE = 'rate_limits';
const IP_PREFIX = 'auth-ip';

/**
 * Milliseconds until the per-IP login budget of `ip` frees up, when it is spent; otherwise null.
 * Reads the limiter's own row synchronously (no limiter object needed), so a hot path can ask
 * without waiting. The table is created by the migrations, before any limiter exists.
 */
export function ipBudgetSpent(
  sqlite: Database.Database,
  ip: string,
  now: number,
  points: number,
): number | null {
  const row = preparedOn(
    sqlite,
    `SELECT points, expire FROM ${RATE_LIMIT_TABLE} WHERE key = ? AND (expire > ? OR expire IS NULL)`,
  ).get(`${IP_PREFIX}:${ip}`, now) as { points: number; expire: number | null } | undefined;
  if (!row || row.points < points) return null;
  return row.expire === null ? 60_000 : Math.max(1000, row.expire - now);
}

export type AuthLimiters = { [K in keyof AuthLimits]: RateLimiterSQLite };

/**
 * One limiter on the shared table, ready to use. The constructor creates the table asynchronously
 * and reports through its callback (before that, every `consume` rejects with "Table is not created
 * yet"), so the limiter is handed out only once the callback said so.
 */
function sqliteLimiter(
  sqlite: Database.Database,
  keyPrefix: string,
  limit: Limit,
): Promise<RateLimiterSQLite> {
  let settle: (err?: unknown) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve());
  });
  const limiter = new RateLimiterSQLite(
    {
      storeClient: sqlite,
      storeType: 'better-sqlite3',
      tableName: RATE_LIMIT_TABLE,
      keyPrefix,
      points: limit.points,
      duration: limit.durationSeconds,
      // No library timer: it would outlive a closed database. Expired rows are pruned by the registry.
      clearExpiredByTimeout: false,
    },
    (err?: unknown) => settle(err),
  );
  return ready.then(() => limiter);
}

/** Creates the three login limiters on one connection (and the table, if it is not there yet). */
export async function createAuthLimiters(
  sqlite: Database.Database,
  limits: AuthLimits,
): Promise<AuthLimiters> {
  // The first one creates the table; the others then find it.
  const codePerEmail = await sqliteLimiter(sqlite, 'auth-code-email', limits.codePerEmail);
  const [verifyPerEmail, perIp] = await Promise.all([
    sqliteLimiter(sqlite, 'auth-verify-email', limits.verifyPerEmail),
    sqliteLimiter(sqlite, IP_PREFIX, limits.perIp),
  ]);
  return { codePerEmail, verifyPerEmail, perIp };
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * The limiters of each database connection, made on first use and kept for the app's lifetime
 * (one registry per app). Every ten minutes a request also deletes the expired counters.
 */
export function limiterRegistry(limits: AuthLimits) {
  const byConnection = new WeakMap<
    Database.Database,
    { limiters: Promise<AuthLimiters>; prunedAt: number }
  >();
  return async function limitersFor(sqlite: Database.Database): Promise<AuthLimiters> {
    let entry = byConnection.get(sqlite);
    if (!entry) {
      const limiters = createAuthLimiters(sqlite, limits);
      entry = { limiters, prunedAt: Date.now() };
      byConnection.set(sqlite, entry);
      // A failed start is not cached: the next request tries again.
      limiters.catch(() => byConnection.delete(sqlite));
    }
    const limiters = await entry.limiters;
    if (Date.now() - entry.prunedAt > PRUNE_EVERY_MS) {
      entry.prunedAt = Date.now();
      sqlite.prepare(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire < ?`).run(Date.now());
    }
    return limiters;
  };
}

/**
 * Counts one request against each limiter in turn; over any limit: 429 `too_many_requests` with a
 * `Retry-After` header in seconds (set on the context, so the problem response carries it).
 */
export async function enforceLimits(c: Context, checks: [RateLimiterSQLite, string][]): Promise<void> {
  for (const [limiter, key] of checks) {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      c.header('Retry-After', String(retryAfter));
      throw new ApiError(
        429,
        'too_many_requests',
        `Too many attempts. Please try again in ${retryAfter} seconds.`,
        { retryAfter },
      );
    }
  }
}

/**
 * The client's IP for the per-IP limit. Behind `trustProxy` proxies (true = 1), the address the
 * outermost trusted proxy saw: that many entries from the right of `X-Forwarded-For` (entries
 * further left are whatever the client sent, and could be made up). Otherwise the socket's address
 * (@hono/node-server); `unknown` where there is no socket, as in `app.request()` tests.
 */
export function clientIp(c: Context, trustProxy: boolean | number = false): string {
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : Math.max(0, Math.floor(trustProxy));
  if (hops > 0) {
    const entries = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const ip = entries[Math.max(0, entries.length - hops)];
    if (ip) return ip;
  }
  let info: ConnInfo | undefined;
  try {
    info = getConnInfo(c);
  } catch {
    info = undefined;
  }
  return info?.remote.address ?? 'unknown';
}
