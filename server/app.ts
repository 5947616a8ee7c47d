/**
 * Builds the HTTP app from its dependencies. No module-level state: every test builds its own app
 * on its own store. The routes are chained, so `AppType` carries every request and response type
 * for `hc<AppType>` (hono/client) in the widget and the back office.
 */

import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { handleError, problem } from './problem.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminApp } from './routes/admin-app.ts';
import { calendarRoutes } from './routes/admin-calendar.ts';
import { clientRoutes } from './routes/admin-clients.ts';
import { adminPages } from './routes/admin-pages.ts';
import { authRoutes } from './routes/auth.ts';
import { bookingRoutes } from './routes/bookings.ts';
import { cancelPage } from './routes/cancel-page.ts';
import { bookingLinkCors, practiceCors } from './routes/cors.ts';
import type { AppDeps, AppEnv } from './routes/env.ts';
import { holdRoutes } from './routes/holds.ts';
import { homeRoutes } from './routes/home.ts';
import { pageHeaders } from './routes/pages.ts';
import { publicRoutes } from './routes/public.ts';
import { REFERENCE_STYLE, renderReference } from './routes/reference.ts';
import { validationHook } from './routes/validation.ts';
import { widgetRoutes } from './routes/widget.ts';

export type { AppDeps, AppEnv };

const MAX_BODY = 64 * 1024;

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Terminkette API',
    version: '1.0.0',
    description:
      'Online booking with service chains and package budgets. Every error is application/problem+json (RFC 9457) with a stable `code`.',
  },
};

export function createApp(deps: AppDeps) {
  // The connection is closed after a 413: the rest of the body is still on its way, and on a
  // kept-alive connection it would be read as the start of the next request (which the client
  // would then lose without a word). `Connection: close` tells the client to send that one anew.
  const tooLarge = (c: Context) =>
    problem(
      c,
      413,
      'payload_too_large',
      'The request body is larger than 64 KiB.',
      {},
      { connection: 'close' },
    );
  // A body of unknown length (chunked) is counted while it is read.
  const streamedLimit = bodyLimit({ maxSize: MAX_BODY, onError: tooLarge });

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(handleError);
  app.notFound((c) => problem(c, 404, 'not_found', `Nothing at ${c.req.method} ${c.req.path}`));
  app
    .use('*', async (c, next) => {
      c.set('deps', deps);
      await next();
    })
    .use('*', async (c, next) => {
      // A declared length is checked from the header, and the body is left unread: hono's
      // bodyLimit would touch request.body, which makes the node adapter build a full web Request
      // with streams for every request instead of reading the body directly.
      const length = c.req.header('content-length');
      if (c.req.header('transfer-encoding') === undefined) {
        if (length !== undefined) return Number(length) > MAX_BODY ? tooLarge(c) : next();
        if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      }
      return streamedLimit(c, next);
    })
    .use('/api/v1/p/:practice/*', practiceCors())
    .use('/api/v1/bookings/*', bookingLinkCors());
  app.doc31('/api/v1/openapi.json', OPENAPI_INFO);
  app.get('/api/v1/reference', pageHeaders(REFERENCE_STYLE), (c) =>
    c.html(renderReference(app.getOpenAPI31Document(OPENAPI_INFO))),
  );
  return app
    .route('/api/v1/p/:practice', publicRoutes({ cacheEntries: deps.config.answerCacheEntries ?? 2000 }))
    .route('/api/v1/p/:practice', authRoutes())
    .route('/api/v1', holdRoutes())
    .route('/api/v1', bookingRoutes())
    .route('/api/v1/admin', adminRoutes())
    .route('/api/v1/admin/clients', clientRoutes())
    .route('/api/v1/admin', calendarRoutes())
    .route('/', widgetRoutes())
    .route('/', adminPages())
    .route('/', adminApp())
    .route('/', cancelPage())
    .route('/', homeRoutes());
}

export type App = ReturnType<typeof createApp>;

/** The API's type for `hc<AppType>` from `hono/client`: every route with its request and response. */
export type AppType = App;
