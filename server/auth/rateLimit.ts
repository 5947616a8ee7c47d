/**
 * Rate limits on identifying, holding and booking, per practice — per client address, per e-mail
 * address, and for a practice as a whole — as each practice sets them: rate-limiter-flexible's
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
import type { OnlineLimits, RateWindow } from '../engine/config.ts';

export interface Limit {
  points: number;
  durationSeconds: number;
}

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

/**
 * What is counted, per practice: code e-mails asked for per client address and per e-mail address,
 * codes tried per address, wrong codes per e-mail address and day, holds per address and for the
 * whole practice, bookings per address.
 */
export type LimitKind =
  | 'code-address'
  | 'code-email'
  | 'verify-address'
  | 'verify-failures'
  | 'hold-address'
  | 'hold-practice'
  | 'book-address'
  | 'staff-login-address'
  | 'staff-login-account';

/** A practice's limit of one kind, from its settings. */
export function limitOf(limits: OnlineLimits, kind: LimitKind): Limit {
  const window = (w: RateWindow): Limit => ({ points: w.count, durationSeconds: w.minutes * 60 });
  switch (kind) {
    case 'code-address':
      return window(limits.codeRequestsPerAddress);
    case 'code-email':
      return window(limits.codeRequestsPerEmail);
    case 'verify-address':
      return window(limits.verifyPerAddress);
    case 'verify-failures':
      return { points: limits.verifyFailuresPerEmailPerDay, durationSeconds: 24 * 60 * 60 };
    case 'hold-address':
      return window(limits.holdsPerAddress);
    case 'hold-practice':
      return window(limits.holdsPerPractice);
    case 'book-address':
      return window(limits.bookingsPerAddress);
    // Staff logins: fixed, not a booking setting (a practice cannot loosen them).
    case 'staff-login-address':
      return { points: 30, durationSeconds: 15 * 60 };
    case 'staff-login-account':
      return { points: 10, durationSeconds: 15 * 60 };
  }
}

/**
 * The counter of `kind` at a practice for `subject` (a client address, an e-mail hash, or `all`):
 * each practice counts its own visitors, so one practice's limits never touch another's.
 */
export function counterKey(practiceId: number, kind: LimitKind, subject: string): string {
  return `p${practiceId}:${kind}:${subject}`;
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * The limiters of a store, made on first use per practice, kind and setting, and kept for the
 * app's lifetime (one registry per app). Every ten minutes a request also deletes the expired
 * counters.
 */
export function limiterRegistry() {
  const byStore = new WeakMap<Store, { limiters: Map<string, StoreRateLimiter>; prunedAt: number }>();
  return async function limiterFor(
    store: Store,
    clock: () => number,
    practice: { id: number; onlineLimits: OnlineLimits },
    kind: LimitKind,
  ): Promise<StoreRateLimiter> {
    let entry = byStore.get(store);
    if (!entry) {
      entry = { limiters: new Map(), prunedAt: clock() };
      byStore.set(store, entry);
    }
    const now = clock();
    if (now - entry.prunedAt > PRUNE_EVERY_MS) {
      entry.prunedAt = now;
      await store.write((tx) => deleteExpiredCounters(tx, now));
    }
    const limit = limitOf(practice.onlineLimits, kind);
    const id = `${practice.id}:${kind}:${limit.points}:${limit.durationSeconds}`;
    let limiter = entry.limiters.get(id);
    if (!limiter) {
      // Its counters are named `p<practice>:<kind>:<subject>`, as counterKey() names them.
      limiter = new StoreRateLimiter(store, clock, { keyPrefix: `p${practice.id}:${kind}`, ...limit });
      entry.limiters.set(id, limiter);
    }
    return limiter;
  };
}
