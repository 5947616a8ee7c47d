/**
 * The page a one-time link opens (`/admin/password?token=…`): a plain form, no script, that sets a
 * staff user's password. The back office itself (a Preact app at /admin) comes with its own issue.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import { MIN_PASSWORD_LENGTH } from '../auth/password.ts';
import { ApiError } from '../problem.ts';
import { fromThisSite, setPassword } from './admin.ts';
import type { AppEnv } from './env.ts';
import { ICON_LINK, pageHeaders, pageStyle } from './pages.ts';

const STYLE = pageStyle(
  `body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;color:#1d2330}label{display:block;font-weight:600;margin:1rem 0 .25rem}input{font:inherit;width:100%;padding:.5rem;border:1px solid #77808f;border-radius:.5rem}button{font:inherit;margin-top:1rem;padding:.6rem 1rem;border:0;border-radius:.5rem;background:#1f5fbf;color:#fff}[role=alert]{color:#a61b1b;border-left:4px solid #a61b1b;padding-left:.5rem}`,
);

const page = (body: ReturnType<typeof html>) => html`<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Passwort setzen – Terminkette</title>
${ICON_LINK}
${STYLE.element}
</head>
<body><main>${body}</main></body>
</html>`;

const form = (token: string, error?: string) =>
  page(html`<h1>Passwort setzen</h1>
${error ? html`<p role="alert" id="error">${error}</p>` : ''}
<form method="post" action="/admin/password">
<input type="hidden" name="token" value="${token}">
<label for="password">Neues Passwort (mindestens ${MIN_PASSWORD_LENGTH} Zeichen)</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required${error ? html` aria-describedby="error" aria-invalid="true"` : ''}>
<button type="submit">Passwort setzen</button>
</form>`);

export function adminPages() {
  return new Hono<AppEnv>()
    .use('/admin/password', pageHeaders(STYLE))
    .use('/admin/password', fromThisSite())
    .get('/admin/password', (c) => c.html(form(c.req.query('token') ?? '')))
    .post('/admin/password', async (c) => {
      const body = await c.req.parseBody();
      const token = typeof body.token === 'string' ? body.token : '';
      const password = typeof body.password === 'string' ? body.password : '';
      if (password.length < MIN_PASSWORD_LENGTH) {
        return c.html(form(token, `Das Passwort braucht mindestens ${MIN_PASSWORD_LENGTH} Zeichen.`), 400);
      }
      try {
        await setPassword(c, token, password);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        return c.html(
          page(
            html`<h1>Link abgelaufen</h1><p role="alert">Dieser Link wurde schon benutzt oder ist abgelaufen. Bitten Sie die Praxis-Administration um einen neuen.</p>`,
          ),
          404,
        );
      }
      return c.html(
        page(
          html`<h1>Passwort gesetzt</h1><p>Ihr Passwort ist gesetzt. Sie können sich jetzt mit Ihrer E-Mail-Adresse anmelden.</p>`,
        ),
      );
    });
}
