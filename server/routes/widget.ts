/**
 * The booking widget for practice websites: `/widget.js` (revalidated by its ETag, so a new build
 * reaches every site within minutes) and `/widget/<hash>.js` (the same bytes under their content
 * hash, cached for a year), gzip-compressed once, loadable from any origin (a module script is
 * fetched with CORS). And `/demo`: the demo practice's website as a practice would build it, under
 * a strict Content-Security-Policy, with the snippet to copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Context, Hono } from 'hono';
import { html } from 'hono/html';
import { DEMO_SLUG } from '../demo/load.ts';
import { problem } from '../problem.ts';
import type { AppEnv } from './env.ts';
import { ICON_LINK } from './pages.ts';

export const WIDGET_FILE = fileURLToPath(new URL('../../dist/widget/widget.js', import.meta.url));

interface Built {
  mtimeMs: number;
  body: Buffer;
  gzip: Buffer;
  hash: string;
}

/** The built widget, read again when the file changed (a rebuild while the server runs). */
function widgetReader(file: string) {
  let kept: Built | null = null;
  return (): Built | null => {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      return null;
    }
    if (kept?.mtimeMs !== mtimeMs) {
      const body = readFileSync(file);
      const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
      kept = { mtimeMs, body, gzip: gzipSync(body, { level: 9 }), hash };
    }
    return kept;
  };
}

const YEAR = 365 * 86_400;

export function widgetRoutes(file = WIDGET_FILE) {
  const built = widgetReader(file);

  const send = (c: Context<AppEnv>, cacheControl: string) => {
    const w = built();
    if (!w) {
      return problem(c, 503, 'widget_not_built', 'The widget is not built: run `npm run build:widget`.');
    }
    const etag = `"${w.hash}"`;
    const headers: Record<string, string> = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': cacheControl,
      etag,
      vary: 'Accept-Encoding',
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
    };
    const match = c.req.header('if-none-match');
    if (match?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return c.body(null, 304, headers);
    }
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    if (gzip) headers['content-encoding'] = 'gzip';
    return c.body(new Uint8Array(gzip ? w.gzip : w.body), 200, headers);
  };

  return new Hono<AppEnv>()
    .get('/widget.js', (c) => send(c, 'public, max-age=300, stale-while-revalidate=86400'))
    .get('/widget/:file', (c) => {
      const w = built();
      if (w && c.req.param('file') !== `${w.hash}.js`) {
        return problem(c, 404, 'not_found', 'No such widget build: load /widget.js.');
      }
      return send(c, `public, max-age=${YEAR}, immutable`);
    })
    .get('/demo', (c) => {
      const { publicUrl } = c.get('deps').config;
      const lang = c.req.query('lang') === 'en' ? 'en' : 'de';
      // `?chain=KEY` opens the demo with that chain chosen (the widget's `chain` attribute).
      const chain = /^[a-z0-9-]{1,64}$/.test(c.req.query('chain') ?? '') ? c.req.query('chain') : undefined;
      const nonce = randomBytes(16).toString('base64');
      const snippet = `<script src="${publicUrl}/widget.js" type="module" async></script>
<terminkette-booking practice="${DEMO_SLUG}"${lang === 'en' ? ' lang="en"' : ''}></terminkette-booking>`;
      c.header(
        'content-security-policy',
        `default-src 'self'; script-src 'self'; style-src 'self' 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
      );
      c.header('referrer-policy', 'no-referrer');
      c.header('x-content-type-options', 'nosniff');
      const en = lang === 'en';
      return c.html(html`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${en ? 'Demo practice: online booking' : 'Demo-Praxis: Online-Terminbuchung'} – Terminkette</title>
${ICON_LINK}
<style nonce="${nonce}">
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header,main{max-width:72rem;margin:0 auto;padding:1rem}
main{display:grid;gap:1.5rem;grid-template-columns:minmax(0,1fr)}
@media (min-width:60rem){main{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}}
section{background:#fff;border-radius:.5rem;padding:1rem 1.25rem;box-shadow:0 1px 3px rgb(0 0 0 / .12)}
pre{background:#1d2330;color:#f6f7f9;padding:1rem;border-radius:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
a{color:#1f5fbf}
</style>
<script src="/widget.js" type="module" async></script>
</head>
<body>
<header>
<p><a href="/">Terminkette</a> · <a href="/demo${en ? '' : '?lang=en'}" lang="${en ? 'de' : 'en'}">${en ? 'Deutsch' : 'English'}</a></p>
<h1>${en ? 'Praxis am Lindenhof — book online' : 'Praxis am Lindenhof — Termin online buchen'}</h1>
</header>
<main>
<section aria-labelledby="booking">
<h2 id="booking">${en ? 'Your appointment' : 'Ihr Termin'}</h2>
<terminkette-booking practice="${DEMO_SLUG}" nonce="${nonce}"${en ? html` lang="en"` : ''}${chain ? html` chain="${chain}"` : ''}></terminkette-booking>
</section>
<section aria-labelledby="embed">
<h2 id="embed">${en ? 'On your own website' : 'Auf der eigenen Website'}</h2>
<p>${
        en
          ? 'These two lines are all a practice puts on its website. The widget talks to this server; the practice’s allowed origins say which websites may embed it.'
          : 'Diese zwei Zeilen setzt eine Praxis in ihre Website. Das Widget spricht mit diesem Server; die erlaubten Origins der Praxis legen fest, welche Websites es einbinden dürfen.'
      }</p>
<pre><code>${snippet}</code></pre>
<p>${en ? 'Attributes' : 'Attribute'}: <code>practice</code>, <code>lang</code> (de, en), <code>chain</code>, <code>therapist</code>, <code>mode</code> (inline, button), <code>nonce</code>. <a href="/api/v1/reference">API</a></p>
</section>
</main>
</body>
</html>`);
    });
}
