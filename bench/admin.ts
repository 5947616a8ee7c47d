/**
 * Section 5 of `npm run bench`: the back office. The size of its bundle (dist/admin, as
 * `npm run build:admin` makes it, gzip-compressed), and how soon the configuration pages are on
 * screen in Chromium on localhost for a logged-in admin: the first page after the app loads (the
 * script, the session and the practice document), then each other page when its button is pressed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { DEMO_LOGINS, setDemoPasswords } from '../server/demo/load.ts';
import { CHROMIUM, launchChromium } from '../test/browser/chromium.ts';
import { benchServer, median, p95 } from './widget.ts';

export interface AdminFigures {
  js: number;
  css: number;
  firstPage: { median: number; p95: number } | null;
  pages: { name: string; median: number; p95: number }[];
}

const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;
const PAGES = ['Therapeuty', 'Leistungen', 'Paketvorlagen', 'Leistungsketten', 'Änderungen'];
const LOADS = 12;

export async function adminBench(log: (line?: string) => void): Promise<AdminFigures> {
  log('## 5. The back office');
  log();
  await build({ configFile: 'admin/vite.config.ts', logLevel: 'error' });
  const dir = 'dist/admin/assets';
  const size = (ext: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(ext))
      .reduce((sum, f) => sum + gz(readFileSync(join(dir, f))), 0);
  const figures: AdminFigures = { js: size('.js'), css: size('.css'), firstPage: null, pages: [] };
  log(
    `\`dist/admin\` as served: script **${figures.js} bytes gzip**, style sheet ${figures.css} bytes gzip (one script for every page: login, users, configuration).`,
  );
  log();
  if (!existsSync(CHROMIUM)) {
    log(`Configuration pages on screen: not measured, no ${CHROMIUM} on this machine.`);
    log();
    return figures;
  }
  const server = await benchServer();
  await setDemoPasswords(server.store, server.practiceId);
  const browser = await launchChromium();
  const version = browser.version();
  const first: number[] = [];
  const perPage = new Map<string, number[]>(PAGES.map((p) => [p, []]));
  try {
    // One login; each load in a fresh context holding only its session cookie: nothing cached.
    const loginContext = await browser.newContext();
    const login = await loginContext.request.post(`${server.url}/api/v1/admin/login`, {
      data: { practice: 'demo', email: DEMO_LOGINS[0].email, password: DEMO_LOGINS[0].password },
      headers: { origin: server.url },
    });
    if (!login.ok()) throw new Error(`admin login failed: ${login.status()}`);
    const storageState = await loginContext.storageState();
    await loginContext.close();
    for (let i = 0; i < LOADS + 2; i++) {
      const context = await browser.newContext({ locale: 'de-DE', storageState });
      const page = await context.newPage();
      await page.goto(`${server.url}/admin`, { waitUntil: 'commit' });
      // In the page, as a person would: press "Konfiguration" as soon as it is there, then wait for
      // the first field. A string, not a function: tsx would put its helpers into a function's text.
      const sinceNavigation = (await page.evaluate(`new Promise((resolve) => {
        const field = () => document.querySelector('main #f-practice_name')
          ? requestAnimationFrame(() => resolve(performance.now())) : requestAnimationFrame(field);
        const nav = () => {
          const b = [...document.querySelectorAll('header nav button')].find((x) => x.textContent === 'Konfiguration');
          if (b) { b.click(); field(); } else requestAnimationFrame(nav);
        };
        nav();
      })`)) as number;
      if (i >= 2) first.push(sinceNavigation);
      for (const name of PAGES) {
        const ms = (await page.evaluate(`new Promise((resolve) => {
          const button = [...document.querySelectorAll('.subnav button')].find((b) => b.textContent === ${JSON.stringify(name)});
          const t0 = performance.now();
          button.click();
          const seen = () => document.querySelector('main h1')?.textContent.includes(${JSON.stringify(name)})
            ? requestAnimationFrame(() => resolve(performance.now() - t0)) : requestAnimationFrame(seen);
          seen();
        })`)) as number;
        if (i >= 2) perPage.get(name)!.push(ms);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  figures.firstPage = { median: Math.round(median(first)), p95: Math.round(p95(first)) };
  figures.pages = PAGES.map((name) => ({
    name,
    median: Math.round(median(perPage.get(name)!)),
    p95: Math.round(p95(perPage.get(name)!)),
  }));
  log(
    `Configuration pages on screen (Chromium ${version}, localhost, the demo practice, a logged-in admin, no cache, the median of ${LOADS} loads after 2 warm-ups):`,
  );
  log();
  log('| page | median ms | p95 ms |');
  log('| --- | ---: | ---: |');
  log(
    `| the first (Praxis & Online-Buchung), from the start of the navigation to /admin to the next frame after its first field is shown: page, script, session, the button pressed, practice document, render | ${figures.firstPage.median} | ${figures.firstPage.p95} |`,
  );
  for (const p of figures.pages)
    log(
      `| ${p.name}, from pressing its button to the next frame after it is shown | ${p.median} | ${p.p95} |`,
    );
  log();
  return figures;
}
