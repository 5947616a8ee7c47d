/**
 * The back office's browser app (admin/, built by vite into dist/admin): its page at /admin under a
 * strict Content-Security-Policy (scripts and styles from this server only), its hashed assets
 * cached for a year.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Context, Hono } from 'hono';
import { problem } from '../problem.ts';
import type { AppEnv } from './env.ts';

const DIR = fileURLToPath(new URL('../../dist/admin/', import.meta.url));
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

function read(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

const notBuilt = (c: Context) =>
  problem(c, 503, 'admin_not_built', 'The back office is not built: run `npm run build:admin`.');

export function adminApp(dir = DIR) {
  const page = (c: Context<AppEnv>) => {
    const html = read(`${dir}index.html`);
    if (!html) return notBuilt(c);
    return c.body(new Uint8Array(html), 200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  };
  return new Hono<AppEnv>()
    .get('/admin', page)
    .get('/admin/', page)
    .get('/admin/assets/:file{[A-Za-z0-9_.-]+}', (c) => {
      const file = c.req.param('file');
      const type = TYPES[file.split('.').pop() ?? ''];
      const body = type ? read(`${dir}assets/${file}`) : null;
      if (!body) return problem(c, 404, 'not_found', `Nothing at ${c.req.path}`);
      return c.body(new Uint8Array(body), 200, {
        'content-type': type!,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
    });
}
