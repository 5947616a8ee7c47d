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

/** For /api/v1/p/:practice/*: the practice's own list. */
export function practiceCors(): MiddlewareHandler<AppEnv> {
  return cors({
    ...shared,
    origin: (origin, c) => {
      const slug = c.req.param('practice');
      const practice = slug ? practiceConfig(c.get('deps').db, slug)?.practice : undefined;
      return practice?.allowedOrigins.includes(origin) ? origin : null;
    },
  });
}

/** For /api/v1/bookings/*: any origin some practice allows. */
export function bookingLinkCors(): MiddlewareHandler<AppEnv> {
  return cors({
    ...shared,
    origin: (origin, c) => {
      const all = c.get('deps').db.select({ origins: practices.allowedOrigins }).from(practices).all();
      return all.some((p: { origins: string[] }) => p.origins.includes(origin)) ? origin : null;
    },
  });
}
