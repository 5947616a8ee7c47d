/**
 * Section 5 of `npm run bench`: the back office. The size of its bundle (dist/admin, as
 * `npm run build:admin` makes it, gzip-compressed), and how soon the configuration pages are on
 * screen in Chromium on localhost for a logged-in admin: the first page after the app loads (the
 * script, the session and the practice document), then each other page when its button is pressed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { createApp } from '../server/app.ts';
import { SESSION_COOKIE, startSession } from '../server/auth/staff.ts';
import { openPgStore } from '../server/db/pg/store.ts';
import { searchClients } from '../server/db/queries/clients.ts';
import { insertUser } from '../server/db/queries/staff.ts';
import { openSqliteStore } from '../server/db/sqlite/store.ts';
import type { Store } from '../server/db/store.ts';
import { DEMO_LOGINS, demoDocument, setDemoPasswords } from '../server/demo/load.ts';
import { importPractice } from '../server/practice/import.ts';
import { addDays, localDate } from '../shared/time.ts';
import { CHROMIUM, launchChromium } from '../test/browser/chromium.ts';
import { addAppointments, createBenchPractice, TZ } from './fixture.ts';
import { createPgDatabase, dropPgDatabase, PG_URL } from './pg.ts';
import { benchServer, median, p95 } from './widget.ts';

export interface AdminFigures {
  calendar: { database: string; median: number; p95: number; appointments: number }[];
  search: { q: string; median: number; p95: number }[];
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
  const figures: AdminFigures = {
    calendar: [],
    search: [],
    js: size('.js'),
    css: size('.css'),
    firstPage: null,
    pages: [],
  };
  log(
    `\`dist/admin\` as served: script **${figures.js} bytes gzip**, style sheet ${figures.css} bytes gzip (one script for every page: login, users, configuration, client files, calendar).`,
  );
  log();
  figures.search = await searchBench(log);
  figures.calendar.push(await calendarBench(log, 'SQLite'));
  try {
    figures.calendar.push(await calendarBench(log, 'PostgreSQL'));
  } catch (err) {
    log(`The calendar on PostgreSQL: not measured, no server at ${PG_URL} (${(err as Error).message}).`);
    log();
  }
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

const FILES = 50_000;
const FIRST = [
  'Anna',
  'Ben',
  'Clara',
  'David',
  'Eva',
  'Felix',
  'Greta',
  'Hans',
  'Ida',
  'Jonas',
  'Karl',
  'Lena',
  'Mia',
  'Noah',
  'Olga',
  'Paul',
];
const LAST = [
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'Schulz',
  'Hoffmann',
  'Vogel',
  'Koch',
  'Richter',
  'Klein',
  'Wolf',
  'Neumann',
];

/** The client search (`searchClients`, as GET /api/v1/admin/clients runs it) over 50 000 files in SQLite. */
async function searchBench(log: (line?: string) => void): Promise<AdminFigures['search']> {
  const dir = mkdtempSync(join(tmpdir(), 'terminkette-search-'));
  const store = openSqliteStore(join(dir, 's.db'));
  try {
    const { practiceId } = await importPractice(store, demoDocument(), { now: Date.now() });
    await store.write(async (tx) => {
      for (let i = 0; i < FILES; i++) {
        const first = FIRST[i % 16]!;
        const last = `${LAST[Math.floor(i / 16) % 16]}${i % 997}`;
        await tx.run(
          'INSERT INTO clients (practice_id, first_name, last_name, email, phone, birth_date, access_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [
            practiceId,
            first,
            last,
            `${first}.${last}.${i}@example.org`.toLowerCase(),
            `+49 30 ${1_000_000 + i}`,
            `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
            `C${String(i).padStart(7, '0')}`,
            Date.now(),
          ],
        );
      }
    });
    const queries = ['vog', 'lena vogel', 'anna.müller1', '030 1004567', '11.02.1951', ''];
    const out: AdminFigures['search'] = [];
    for (const q of queries) {
      const times: number[] = [];
      for (let k = 0; k < 32; k++) {
        const t0 = performance.now();
        await store.read((tx) => searchClients(tx, practiceId, q, 25));
        if (k >= 2) times.push(performance.now() - t0);
      }
      out.push({ q, median: Math.round(median(times) * 10) / 10, p95: Math.round(p95(times) * 10) / 10 });
    }
    log(
      `Client search over ${FILES.toLocaleString('en')} files of one practice (SQLite, \`searchClients\` as \`GET /api/v1/admin/clients?q=…\` runs it, 25 hits at most, the median of 30 queries after 2):`,
    );
    log();
    log('| query | median ms | p95 ms |');
    log('| --- | ---: | ---: |');
    for (const r of out) log(`| \`${r.q || '(empty: the first 25 by name)'}\` | ${r.median} | ${r.p95} |`);
    log();
    return out;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const APPOINTMENTS = 100_000;

/**
 * A week of all 20 therapists of the bench practice from GET /api/v1/admin/calendar (in process,
 * with a staff session), at 100 000 appointments in the table: what the calendar's first paint waits for.
 * On SQLite (a file) and on PostgreSQL (a database of its own on `PG_URL`).
 */
async function calendarBench(
  log: (line?: string) => void,
  database: 'SQLite' | 'PostgreSQL',
): Promise<AdminFigures['calendar'][number]> {
  const dir = mkdtempSync(join(tmpdir(), 'terminkette-calendar-'));
  const pgDatabase = database === 'PostgreSQL' ? await createPgDatabase() : null;
  const store: Store = pgDatabase
    ? await openPgStore(pgDatabase.url, { poolSize: 4, listen: false })
    : openSqliteStore(join(dir, 'c.db'));
  try {
    const now = Date.now();
    const practice = await createBenchPractice(store, now);
    const first = addDays(localDate(now, TZ), -300);
    await addAppointments(store, practice, {
      count: APPOINTMENTS,
      firstDate: first,
      perDay: 8,
      seed: 7,
      now,
    });
    const userId = await store.write((tx) =>
      insertUser(tx, {
        practiceId: practice.practiceId,
        email: 'bench@bench.example',
        name: 'Bench',
        role: 'staff',
        now,
      }),
    );
    const session = await startSession(store, practice.practiceId, userId, now);
    const app = createApp({
      store,
      clock: () => Date.now(),
      config: { publicUrl: 'http://127.0.0.1', secret: 'b'.repeat(32) },
    });
    // A week in the middle of the data: Monday to Sunday.
    const mid = addDays(first, 140);
    const monday = addDays(mid, -((new Date(`${mid}T12:00:00Z`).getUTCDay() + 6) % 7));
    const url = `/api/v1/admin/calendar?from=${monday}&to=${addDays(monday, 6)}`;
    const times: number[] = [];
    let count = 0;
    for (let k = 0; k < 32; k++) {
      const t0 = performance.now();
      const res = await app.request(url, { headers: { cookie: `${SESSION_COOKIE}=${session.token}` } });
      const body = (await res.json()) as { appointments: unknown[]; therapists: unknown[] };
      if (k >= 2) times.push(performance.now() - t0);
      count = body.appointments.length;
      if (res.status !== 200 || body.therapists.length !== 20)
        throw new Error(`calendar answered ${res.status}`);
    }
    const figures = {
      database,
      median: Math.round(median(times) * 10) / 10,
      p95: Math.round(p95(times) * 10) / 10,
      appointments: count,
    };
    log(
      `A week of all 20 therapists from \`GET /api/v1/admin/calendar\` (${database}, in process, a staff session, ${APPOINTMENTS.toLocaleString('en')} appointments in the table, ${count} of them in the week): **median ${figures.median} ms**, p95 ${figures.p95} ms over 30 requests (target ≤ 100 ms).`,
    );
    log();
    return figures;
  } finally {
    await store.close();
    if (pgDatabase) await dropPgDatabase(pgDatabase.name);
    rmSync(dir, { recursive: true, force: true });
  }
}
