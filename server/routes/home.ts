/** The front page (what this server is, its practices, links) and the health check. */
import { Hono } from 'hono';
import { html } from 'hono/html';
import { listPractices } from '../db/queries/config.ts';
import type { AppEnv } from './env.ts';

export function homeRoutes() {
  return new Hono<AppEnv>()
    .get('/health', async (c) => {
      const { store, clock } = c.get('deps');
      try {
        await store.health();
        return c.json({ status: 'ok' as const, database: 'ok', time: new Date(clock()).toISOString() }, 200);
      } catch (err) {
        return c.json({ status: 'error' as const, database: String(err) }, 503);
      }
    })
    .get('/', async (c) => {
      const list = await c.get('deps').store.read(listPractices);
      const items = list.map(
        (p) =>
          html`<li><strong>${p.name}</strong> (<code>${p.slug}</code>): <a href="/api/v1/p/${encodeURIComponent(p.slug)}/chains">bookable chains (JSON)</a></li>`,
      );
      return c.html(html`<!doctype html>
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
${items.length > 0 ? items : html`<li>Noch keine Praxis geladen. / No practice loaded yet.</li>`}
</ul>
<h2>Links</h2>
<ul>
<li><a href="/api/v1/reference">API-Referenz / API reference</a> (<a href="/api/v1/openapi.json">OpenAPI 3.1</a>)</li>
<li><a href="/health">/health</a> — Zustand / status</li>
</ul>
</body>
</html>`);
    });
}
