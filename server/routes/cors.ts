/**
 * CORS for the embedded widget: a practice's API answers only the origins the practice allows for
 * embedding (its `allowedOrigins`), never with credentials. The booking links (cancel, .ics) answer
 * the origins of the practice the booking belongs to, as its link's token names it.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { verifyCancelToken } from '../auth/tokens.ts';
import { practiceConfig } from '../booking/config.ts';
import { practiceById } from '../db/queries/config.ts';
import type { AppEnv } from './env.ts';

const shared = {
  allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
  allowHeaders: ['content-type', 'authorization', 'idempotency-key'],
  exposeHeaders: ['retry-after', 'idempotent-replayed'],
  maxAge: 600,
  credentials: false,
};

/**
 * Only requests that carry an Origin (cross-origin requests and every preflight do) go through the
 * CORS middleware, with the origins `allowed` finds for the request; the others have no CORS
 * headers to get, only `Vary: Origin` for caches. Hono's middleware would otherwise build the
 * response twice for every request, through web streams.
 */
function crossOriginOnly(
  allowed: (c: Context<AppEnv>) => Promise<readonly string[]>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.header('origin') === undefined) {
      c.header('Vary', 'Origin');
      return next();
    }
    const origins = await allowed(c);
    return cors({ ...shared, origin: (origin) => (origins.includes(origin) ? origin : null) })(c, next);
  };
}

/** For /api/v1/p/:practice/*: the practice's own list. */
export function practiceCors(): MiddlewareHandler<AppEnv> {
  return crossOriginOnly(async (c) => {
    const slug = c.req.param('practice');
    const config = slug ? await practiceConfig(c.get('deps').store, slug) : undefined;
    return config?.practice.allowedOrigins ?? [];
  });
}

/** For /api/v1/bookings/*: the origins of the practice the link's token belongs to. */
export function bookingLinkCors(): MiddlewareHandler<AppEnv> {
  return crossOriginOnly(async (c) => {
    const { store, config } = c.get('deps');
    const token = verifyCancelToken(config.secret, c.req.query('token') ?? '');
    if (!token) return [];
    const practice = await store.read((tx) => practiceById(tx, token.practiceId));
    return practice?.allowedOrigins ?? [];
  });
}
