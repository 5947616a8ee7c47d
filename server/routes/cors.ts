/**
 * CORS for the embedded widget: a practice's API answers only the origins the practice allows for
 * embedding (its `allowedOrigins`), never with credentials. The booking links (cancel, .ics) answer
 * the origins of the practice the booking belongs to — any practice's, since the id is in the token.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../app.ts';
import { practiceConfig } from '../booking/config.ts';
import { practices } from '../db/schema.ts';

const shared = {
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['content-type', 'authorization', 'idempotency-key'],
  exposeHeaders: ['retry-after', 'idempotent-replayed'],
  maxAge: 600,
  credentials: false,
};

/**
 * Only requests that carry an Origin (cross-origin requests and every preflight do) go through the
 * CORS middleware; the others have no CORS headers to get, only `Vary: Origin` for caches. Hono's
 * middleware would otherwise build the response twice for every request, through web streams.
 */
function crossOriginOnly(handler: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.header('origin') !== undefined) return handler(c, next);
    c.header('Vary', 'Origin');
    await next();
  };
}

/** For /api/v1/p/:practice/*: the practice's own list. */
export function practiceCors(): MiddlewareHandler<AppEnv> {
  return crossOriginOnly(
    cors({
      ...shared,
      origin: (origin, c) => {
        const slug = c.req.param('practice');
        const practice = slug ? practiceConfig(c.get('deps').db, slug)?.practice : undefined;
        return practice?.allowedOrigins.includes(origin) ? origin : null;
      },
    }),
  );
}

/** For /api/v1/bookings/*: any origin some practice allows. */
export function bookingLinkCors(): MiddlewareHandler<AppEnv> {
  return crossOriginOnly(
    cors({
      ...shared,
      origin: (origin, c) => {
        const all = c.get('deps').db.select({ origins: practices.allowedOrigins }).from(practices).all();
        return all.some((p: { origins: string[] }) => p.origins.includes(origin)) ? origin : null;
      },
    }),
  );
}
