/** Rate limits at the edge: who is asking (the client's address), and 429 with Retry-After. */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { ConnInfo } from 'hono/conninfo';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { StoreRateLimiter } from '../auth/rateLimit.ts';
import { ApiError } from '../problem.ts';

/**
 * Counts one request against each limiter in turn; over any limit: 429 `too_many_requests` with a
 * `Retry-After` header in seconds (set on the context, so the problem response carries it).
 */
export async function enforceLimits(c: Context, checks: [StoreRateLimiter, string][]): Promise<void> {
  for (const [limiter, key] of checks) {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw tooMany(c, err.msBeforeNext);
    }
  }
}

/** 429 `too_many_requests`, with `Retry-After` set on the context. */
export function tooMany(c: Context, waitMs: number): ApiError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  c.header('Retry-After', String(retryAfter));
  return new ApiError(
    429,
    'too_many_requests',
    `Too many attempts. Please try again in ${retryAfter} seconds.`,
    {
      retryAfter,
    },
  );
}

/** Whether this process has warned of X-Forwarded-For while trusting no proxy. */
let forwardedWarned = false;

/**
 * The client's IP for the per-IP limit. Behind `trustProxy` proxies (true = 1), the address the
 * outermost trusted proxy saw: that many entries from the right of `X-Forwarded-For` (entries
 * further left are whatever the client sent, and could be made up). Otherwise the socket's address
 * (@hono/node-server); `unknown` where there is no socket, as in `app.request()` tests.
 */
export function clientIp(c: Context, trustProxy: boolean | number = false): string {
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : Math.max(0, Math.floor(trustProxy));
  if (hops === 0 && !forwardedWarned && c.req.header('x-forwarded-for') !== undefined) {
    forwardedWarned = true;
    console.warn(
      'A request came with X-Forwarded-For, but TRUST_PROXY is 0: behind a reverse proxy every visitor then counts as the proxy for the rate limits. Set TRUST_PROXY to the number of proxies in front of this server. (Said once per process.)',
    );
  }
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
