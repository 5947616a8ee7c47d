/**
 * Rate limits on identifying and booking, per e-mail and per client address: rate-limiter-flexible's
 * semantics (points per window, `RateLimiterRes` with the wait) on a store of our own, so the
 * counters live in the product's database — SQLite or PostgreSQL — and the limits hold across every
 * process and app instance that shares it. Each hit is one atomic statement (db/queries/rateLimits.ts).
 */
import { createRequire } from 'node:module';
import { RateLimiterRes, type RateLimiterStoreAbstract as StoreAbstract } from 'rate-limiter-flexible';
import {
  addPoints,
  type Counter,
  counter,
  deleteCounter,
  deleteExpiredCounters,
} from '../db/queries/rateLimits.ts';
import type { Store } from '../db/store.ts';

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

// The base class of the library's database limiters; its index does not export it (its types do).
const RateLimiterStoreAbstract: typeof StoreAbstract = createRequire(import.meta.url)(
  'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js',
);

/** A rate limiter whose counters are rows of the store's `rate_limits` table. */
export class StoreRateLimiter extends RateLimiterStoreAbstract {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    options: { keyPrefix: string } & Limit,
  ) {
    super({
      storeClient: store,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.durationSeconds,
    });
  }

  _getRateLimiterRes(_key: string, changedPoints: number, result: Counter): RateLimiterRes {
    const isFirstInDuration = changedPoints === result.points;
    const consumedPoints = isFirstInDuration ? changedPoints : result.points;
    return new RateLimiterRes(
      Math.max(this.points - consumedPoints, 0),
      result.expire === null ? -1 : Math.max(result.expire - this.clock(), 0),
      consumedPoints,
      isFirstInDuration,
    );
  }

  _upsert(
    key: string,
    points: number,
    msDuration: number,
    forceExpire = false,
  ): Promise<Counter | undefined> {
    const now = this.clock();
    return this.store.write((tx) => addPoints(tx, { key, points, durationMs: msDuration, now, forceExpire }));
  }

  async _get(key: string): Promise<Counter | null> {
    const now = this.clock();
    return (await this.store.read((tx) => counter(tx, key, now))) ?? null;
  }

  async _delete(key: string): Promise<boolean> {
    return (await this.store.write((tx) => deleteCounter(tx, key))) > 0;
  }
}

export type AuthLimiters = { [K in keyof AuthLimits]: StoreRateLimiter };

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * The login limiters of a store, made on first use and kept for the app's lifetime (one registry
 * per app). Every ten minutes a request also deletes the expired counters.
 */
export function limiterRegistry(limits: AuthLimits) {
  const byStore = new WeakMap<Store, { limiters: AuthLimiters; prunedAt: number }>();
  /** The limiters of `store`, counting time by `clock` (the app's). */
  return async function limitersFor(store: Store, clock: () => number): Promise<AuthLimiters> {
    let entry = byStore.get(store);
    if (!entry) {
      const make = (keyPrefix: string, limit: Limit) =>
        new StoreRateLimiter(store, clock, { keyPrefix, ...limit });
      entry = {
        limiters: {
          codePerEmail: make('auth-code-email', limits.codePerEmail),
          verifyPerEmail: make('auth-verify-email', limits.verifyPerEmail),
          perIp: make(IP_PREFIX, limits.perIp),
        },
        prunedAt: clock(),
      };
      byStore.set(store, entry);
    }
    const now = clock();
    if (now - entry.prunedAt > PRUNE_EVERY_MS) {
      entry.prunedAt = now;
      await store.write((tx) => deleteExpiredCounters(tx, now));
    }
    return entry.limiters;
  };
}

const IP_PREFIX = 'auth-ip';

/** The counter of the per-IP login budget of `ip` (the booking form reads it before it books a new client). */
export function ipCounterKey(ip: string): string {
  return `${IP_PREFIX}:${ip}`;
}
