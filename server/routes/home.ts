/** The front page (what this server is, the demo practice if loaded, links) and the health check. */
import { Hono } from 'hono';
import { html } from 'hono/html';
import { practiceNamed } from '../db/queries/config.ts';
import { DEMO_LOGINS, DEMO_SLUG } from '../demo/load.ts';
import { StoreUnavailable } from '../errors.ts';
import { reportStorage } from '../problem.ts';
import type { AppEnv } from './env.ts';
import { ICON_LINK, icon, pageHeaders, pageStyle } from './pages.ts';

const STYLE = pageStyle(
  `body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1d2330}code{background:#f1f3f6;padding:0 .25rem}`,
);

export function homeRoutes() {
  return new Hono<AppEnv>()
    .get('/favicon.svg', icon)
    .get('/favicon.ico', icon)
    .get('/health', async (c) => {
      const { store, clock } = c.get('deps');
      // A real write, read back: a full disk or a read-only database shows here, not only in the
      // bookings that fail.
      try {
        await store.health();
        // The probe may fit where a booking does not (a full disk): writes that failed since the
        // last one that committed keep the answer at 503.
        const trouble = store.storageTrouble();
        if (trouble) return c.json({ status: 'error' as const, database: trouble }, 503);
        return c.json({ status: 'ok' as const, database: 'ok', time: new Date(clock()).toISOString() }, 200);
      } catch (err) {
        reportStorage(err);
        const trouble = err instanceof StoreUnavailable ? err.trouble : 'unreachable';
        return c.json({ status: 'error' as const, database: trouble }, 503);
      }
    })
    .get('/', pageHeaders(STYLE), async (c) => {
      // The demo practice, when this server has it; never a list of the practices it serves
      // (which practices use a server is theirs to tell).
      const demo = await c.get('deps').store.read((tx) => practiceNamed(tx, DEMO_SLUG));
      return c.html(html`<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terminkette</title>
${ICON_LINK}
${STYLE.element}
</head>
<body>
<h1>Terminkette</h1>
<p>Online-Terminbuchung mit Leistungsketten und Paket-Budgets für Therapie- und Gesundheitspraxen.
Dieser Server bedient die Buchungs-API und das Buchungs-Widget seiner Praxen.</p>
<p lang="en">Online booking with service chains and package budgets for therapy and health practices.
This server runs the booking API and widget of its practices.</p>
${
  demo
    ? html`<h2>Demo-Praxis / Demo practice</h2>
<p><strong>${demo.name}</strong> (<code>${demo.slug}</code>): <a href="/demo">Website mit Buchungs-Widget / website with the booking widget</a> · <a href="/api/v1/p/${encodeURIComponent(demo.slug)}/chains">buchbare Leistungsketten / bookable chains (JSON)</a></p>
<p>Zugänge für das <a href="/admin">Backoffice</a> der Demo / logins for the demo's <a href="/admin?lang=en">back office</a> (practice <code>${demo.slug}</code>):</p>
<ul>${DEMO_LOGINS.map((l) => html`<li>${l.role}: <code>${l.email}</code> / <code>${l.password}</code></li>`)}</ul>`
    : ''
}
<h2>Links</h2>
<ul>
<li><a href="/api/v1/reference">API-Referenz / API reference</a> (<a href="/api/v1/openapi.json">OpenAPI 3.1</a>)</li>
<li><a href="/health">/health</a> — Zustand / status</li>
</ul>
</body>
</html>`);
    });
}
