/**
 * How the server hands out the widget (the file the test run built): revalidated by its ETag at
 * /widget.js, immutable under its content hash, gzip-compressed, loadable from any origin; and the
 * demo page that embeds it under a strict Content-Security-Policy.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { WIDGET_FILE } from '../../server/routes/widget.ts';
import { freshStore, NOW, testConfig } from '../helpers.ts';

const built = readFileSync(WIDGET_FILE);

async function app() {
  return createApp({ store: await freshStore(), clock: () => NOW, config: testConfig });
}

describe('GET /widget.js', () => {
  it('serves the built widget as JavaScript to any origin, revalidated by its ETag', async () => {
    const a = await app();
    const res = await a.request('/widget.js', { headers: { origin: 'https://praxis.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('cache-control')).toMatch(/max-age=300/);
    expect(Buffer.from(await res.arrayBuffer()).equals(built)).toBe(true);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{16}"$/);
    const again = await a.request('/widget.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('sends it gzip-compressed to a browser that takes gzip', async () => {
    const res = await (await app()).request('/widget.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(Buffer.from(await res.arrayBuffer())).equals(built)).toBe(true);
  });

  it('serves the same bytes under their content hash for a year, and 404 for another hash', async () => {
    const a = await app();
    const hash = (await a.request('/widget.js')).headers.get('etag')!.replaceAll('"', '');
    const pinned = await a.request(`/widget/${hash}.js`);
    expect(pinned.status).toBe(200);
    expect(pinned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await pinned.arrayBuffer()).equals(built)).toBe(true);
    const other = await a.request('/widget/AAAAAAAAAAAAAAAA.js');
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('GET /demo', () => {
  it('embeds the widget as a practice website would, under a strict CSP with a fresh nonce, with the snippet to copy', async () => {
    const a = await app();
    const res = await a.request('/demo');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('<script src="/widget.js" type="module" async></script>');
    expect(html).toContain(`<terminkette-booking practice="demo" nonce="${nonce}"></terminkette-booking>`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    // The snippet, escaped, with this server's address.
    expect(html).toContain(
      '&lt;script src=&quot;http://localhost:3000/widget.js&quot; type=&quot;module&quot; async&gt;',
    );
    const second = await a.request('/demo');
    expect(/'nonce-([^']+)'/.exec(second.headers.get('content-security-policy')!)![1]).not.toBe(nonce);
  });

  it('speaks English with ?lang=en and opens with a chain chosen with ?chain=, ignoring what is no key', async () => {
    const a = await app();
    const en = await (await a.request('/demo?lang=en&chain=physio-erstbefund')).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toMatch(
      /<terminkette-booking practice="demo" nonce="[^"]+" lang="en" chain="physio-erstbefund">/,
    );
    const hostile = await (await a.request('/demo?chain=%22%3E%3Cscript%3E')).text();
    expect(hostile).not.toContain('chain=');
    expect(hostile).not.toContain('<script>');
  });
});
