/**
 * What every HTML page of the server sends with it: a Content-Security-Policy that allows nothing
 * but the page's own inline style (by its hash: no script at all, no frames, forms only to this
 * server), `frame-ancestors 'none'` (the widget is a script, never a frame), `nosniff` and
 * `Referrer-Policy: no-referrer` (a cancel link's token must not travel on to another site) —
 * hono's secure-headers middleware.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { raw } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';

/** A page's stylesheet: the `<style>` element, and its hash for the policy. */
export interface PageStyle {
  element: ReturnType<typeof raw>;
  hash: string;
}

/** Inline CSS for a page (a constant of the code, never user input). */
export function pageStyle(css: string): PageStyle {
  return {
    element: raw(`<style>${css}</style>`),
    hash: `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`,
  };
}

/** The headers of pages styled by `styles`. */
export function pageHeaders(...styles: PageStyle[]): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: styles.map((s) => s.hash),
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    crossOriginResourcePolicy: 'same-origin',
    strictTransportSecurity: false,
  });
}

/**
 * The server's icon: two chain links. Every page names it (`ICON_LINK`); `/favicon.ico` is where a
 * browser looks without being told (the demo page's console showed its 404).
 */
const ICON = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f5fbf"/><g fill="none" stroke="#fff" stroke-width="3"><rect x="4.5" y="11.5" width="14" height="9" rx="4.5"/><rect x="13.5" y="11.5" width="14" height="9" rx="4.5"/></g></svg>',
);

/** The `<link>` that names the icon, for a page's head. */
export const ICON_LINK = raw('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');

/** The icon's answer (`/favicon.svg`, `/favicon.ico`: home.ts). */
export const icon = () =>
  new Response(new Uint8Array(ICON), {
    headers: {
      'content-type': 'image/svg+xml',
      'cache-control': 'public, max-age=86400',
      'x-content-type-options': 'nosniff',
    },
  });
