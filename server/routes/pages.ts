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
