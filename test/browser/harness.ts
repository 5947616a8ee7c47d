/**
 * The widget in a real browser: Debian's Chromium driven by playwright-core, the app on loopback
 * with the demo practice, and a second server on another origin playing the practice's website
 * (so the widget loads and calls across origins, as it does on a real site). axe-core checks each
 * step; a screenshot of each step goes to test-results/widget/.
 *
 * Without /usr/bin/chromium these suites say so loudly and are skipped; with CI=true they fail.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { createApp } from '../../server/app.ts';
import type { Store } from '../../server/db/store.ts';
import { demoStore, exec, rows } from '../helpers.ts';
import { LOAD_TEST_LIMITS } from '../support-process.ts';
import { CHROMIUM, launchChromium } from './chromium.ts';

const present = existsSync(CHROMIUM);
if (!present) {
  if (process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} for the widget's browser tests.`);
  console.warn(
    `\n*** The widget's browser tests are SKIPPED: no ${CHROMIUM} (apt-get install chromium) ***\n`,
  );
}
/** `describe`, or a loud skip where this machine has no Chromium (never in CI). */
export const describeBrowser = present ? describe : describe.skip;

/**
 * The instant the tests' world starts at: a Tuesday, 09:00 in Berlin, so that every run sees the
 * same week with free times (on a real Sunday the demo practice's week has none left, and a test
 * waiting for a time would fail). The app's clock and each page's start there and run on in real
 * time.
 */
export const START = Date.parse('2026-12-01T08:00:00Z');
const started = performance.now();
/** The tests' "now": START plus the real time since this module was loaded. */
export const now = () => START + Math.floor(performance.now() - started);

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = 'test-results/widget';

export interface Stack {
  api: string;
  site: string;
  secret: string;
  store: Store;
  practiceId: number;
  /** Serves `html` on the website's origin (with a CSP header if given); its URL. */
  page: (html: string, csp?: string) => string;
  /** The one-time code last mailed to `email` (waits for the mail). */
  codeFor: (email: string) => Promise<string>;
  sql: (sql: string, params?: unknown[]) => Promise<number>;
  rows: <R = any>(sql: string, params?: unknown[]) => Promise<R[]>;
  close: () => Promise<void>;
}

/** The app with the demo practice (as of the tests' `now`) and a practice website on another port. */
export async function startStack(): Promise<Stack> {
  const { store, practiceId } = await demoStore(now(), 'sqlite');
  const config = { publicUrl: '', secret: `${'b'.repeat(16)}cdefghijklmnopqrstuvwxyz` };
  const app = createApp({ store, clock: now, config });
  const api = await new Promise<{ url: string; close: () => void }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }),
    );
  });
  config.publicUrl = api.url;

  const pages = new Map<string, { html: string; csp?: string }>();
  const site: Server = createServer((req, res) => {
    const p = pages.get((req.url ?? '').split('?')[0]!);
    if (!p) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      ...(p.csp ? { 'content-security-policy': p.csp } : {}),
    });
    res.end(p.html);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  // The website may embed the widget; one loopback address books as many visitors.
  await exec(store, 'UPDATE practices SET allowed_origins = ?, online_limits = ?', [
    JSON.stringify([siteUrl]),
    LOAD_TEST_LIMITS,
  ]);
  let n = 0;
  return {
    api: api.url,
    site: siteUrl,
    secret: config.secret,
    store,
    practiceId,
    page: (html, csp) => {
      const path = `/page-${++n}.html`;
      pages.set(path, { html, ...(csp ? { csp } : {}) });
      return siteUrl + path;
    },
    async codeFor(email) {
      for (let i = 0; i < 100; i++) {
        const mails = await rows<{ text_body: string }>(
          store,
          "SELECT text_body FROM outbox WHERE to_address = ? AND kind IN ('login-code', 'email-code') ORDER BY id DESC",
          [email],
        );
        const code = mails[0] && /\b(\d{6})\b/.exec(mails[0].text_body)?.[1];
        if (code) return code;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no code mailed to ${email}`);
    },
    sql: (sql, params = []) => exec(store, sql, params),
    rows: (sql, params = []) => rows(store, sql, params),
    async close() {
      api.close();
      site.close();
      await store.close();
    },
  };
}

/** A practice website's page with the widget: the two lines of the snippet, and `extra`. */
export function sitePage(stack: Stack, attributes: string, extra = '', head = '') {
  return `<!doctype html><html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Praxis-Website</title>${head}
<script src="${stack.api}/widget.js" type="module" async></script></head>
<body><main><h1>Praxis am Lindenhof</h1>${extra}
<terminkette-booking ${attributes}></terminkette-booking></main></body></html>`;
}

export const launch = launchChromium;

export async function newPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'de-DE',
    timezoneId: 'Europe/Berlin',
    ...options,
  });
  const page = await context.newPage();
  // The page's clock runs from the tests' "now" (a test may jump it forward: page.clock.fastForward).
  await page.clock.install({ time: now() });
  // A step that does not come fails on its own, naming itself, well within the test's time.
  page.setDefaultTimeout(8000);
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  return page;
}

/**
 * Saves a screenshot of the step and runs axe-core over the page (shadow roots included): no
 * violation is allowed. Injected through the DevTools protocol, so a strict CSP does not stop it.
 */
export async function check(page: Page, step: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${step}.png`, fullPage: true });
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (window as any).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (v: any) => `${v.id}: ${v.help} — ${v.nodes.map((n: any) => JSON.stringify(n.target)).join(', ')}`,
    );
  });
  expect(violations, `axe at step "${step}"`).toEqual([]);
}
