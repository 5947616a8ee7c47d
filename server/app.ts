/**
 * Builds the HTTP app from its dependencies. No module-level state: every test builds its own app
 * on its own database.
 */

import { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from './config.ts';
import type { Db } from './db/index.ts';
import { practices } from './db/schema.ts';
import { handleError, problem } from './problem.ts';
import { authRoutes } from './routes/auth.ts';
import { bookingRoutes } from './routes/bookings.ts';
import { cancelPage } from './routes/cancel-page.ts';
import { bookingLinkCors, practiceCors } from './routes/cors.ts';
import { publicRoutes } from './routes/public.ts';
import { renderReference } from './routes/reference.ts';
import { validationHook } from './routes/validation.ts';

export interface AppDeps {
  db: Db;
  /** The current instant; tests pass a fixed one. */
  clock: () => number;
  config: Pick<Config, 'publicUrl' | 'secret'> & Partial<Config>;
}

export type AppEnv = {
  Variables: {
    deps: AppDeps;
    /** Set by the answer cache on a miss of an anonymous read: where the finished answer goes. */
    answerKey?: string | null;
  };
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(handleError);
  app.notFound((c) => problem(c, 404, 'not_found', `Nothing at ${c.req.method} ${c.req.path}`));
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  const MAX_BODY = 64 * 1024;
  const tooLarge = (c: Context) =>
    problem(c, 413, 'payload_too_large', 'The request body is larger than 64 KiB.');
  // A body of unknown length (chunked) is counted while it is read.
  const streamedLimit = bodyLimit({ maxSize: MAX_BODY, onError: tooLarge });
  app.use('*', async (c, next) => {
    // A declared length is checked from the header, and the body is left unread: hono's
    // bodyLimit would touch request.body, which makes the node adapter build a full web Request
    // with streams for every request instead of reading the body directly.
    const length = c.req.header('content-length');
    if (c.req.header('transfer-encoding') === undefined) {
      if (length !== undefined) return Number(length) > MAX_BODY ? tooLarge(c) : next();
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    }
    return streamedLimit(c, next);
  });

  app.use('/api/v1/p/:practice/*', practiceCors());
  app.use('/api/v1/bookings/*', bookingLinkCors());
  app.route('/api/v1/p/:practice', publicRoutes({ cacheEntries: deps.config.answerCacheEntries ?? 2000 }));
  app.route('/api/v1/p/:practice', authRoutes());
  app.route('/api/v1', bookingRoutes());
  app.route('/', cancelPage());
  const openApiInfo = {
    openapi: '3.1.0',
    info: {
      title: 'Terminkette API',
      version: '1.0.0',
      description:
        'Online booking with service chains and package budgets. Every error is application/problem+json (RFC 9457) with a stable `code`.',
    },
  };
  app.doc31('/api/v1/openapi.json', openApiInfo);
  app.get('/api/v1/reference', (c) => c.html(renderReference(app.getOpenAPI31Document(openApiInfo))));

  app.get('/health', (c) => {
    try {
      deps.db.get(sql`SELECT 1`);
      return c.json({ status: 'ok', database: 'ok', time: new Date(deps.clock()).toISOString() }, 200);
    } catch (err) {
      return c.json({ status: 'error', database: String(err) }, 503);
    }
  });

  app.get('/', (c) => {
    const list = deps.db
      .select({ slug: practices.slug, name: practices.name })
      .from(practices)
      .orderBy(practices.slug)
      .all();
    const items = list
      .map(
        (p) =>
          `<li><strong>${escapeHtml(p.name)}</strong> (<code>${escapeHtml(p.slug)}</code>): ` +
          `<a href="/api/v1/p/${encodeURIComponent(p.slug)}/chains">bookable chains (JSON)</a></li>`,
      )
      .join('\n');
    return c.html(`<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terminkette</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1d2330}code{background:#f1f3f6;padding:0 .25rem}</style>
</head>
<body>
<h1>Terminkette</h1>
<p>Online-Terminbuchung mit Leistungsketten und Paket-Budgets für Therapie- und Gesundheitspraxen.
Dieser Server bedient die Buchungs-API für die Praxen unten.</p>
<p lang="en">Online booking with service chains and package budgets for therapy and health practices.
This server runs the booking API for the practices below.</p>
<h2>Praxen / Practices</h2>
<ul>
${items || '<li>Noch keine Praxis geladen. / No practice loaded yet.</li>'}
</ul>
<h2>Links</h2>
<ul>
<li><a href="/api/v1/reference">API-Referenz / API reference</a> (<a href="/api/v1/openapi.json">OpenAPI 3.1</a>)</li>
<li><a href="/health">/health</a> — Zustand / status</li>
</ul>
</body>
</html>`);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
