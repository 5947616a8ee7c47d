/**
 * Shared fixtures: a fresh store per test — SQLite in memory, or (in the `postgres` test project,
 * TEST_STORE=postgres) a PostgreSQL schema of this test file's own, emptied for each test — with the
 * demo practice loaded at a fixed instant.
 */
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { createApp } from '../server/app.ts';
import { signClientToken, signEmailToken } from '../server/auth/tokens.ts';
import type { PgStore } from '../server/db/pg/store.ts';
import { openSqliteStore } from '../server/db/sqlite/store.ts';
import type { Row, Store } from '../server/db/store.ts';
import { demoDocument } from '../server/demo/load.ts';
import { importPractice } from '../server/practice/import.ts';

/** Friday 2026-11-27 10:00 in Berlin. */
export const NOW = Date.UTC(2026, 10, 27, 9, 0);

export type StoreKind = 'sqlite' | 'postgres';

/** The database this run of the suites is on (the `postgres` project sets TEST_STORE). */
export const STORE_KIND: StoreKind = process.env.TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

let pgStore: Promise<PgStore> | null = null;

/** This test file's PostgreSQL schema, made on first use and dropped after the file's tests. */
function sharedPg(): Promise<PgStore> {
  if (!pgStore) {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_STORE=postgres needs TEST_DATABASE_URL');
    pgStore = import('../server/db/pg/store.ts').then(({ openPgStore }) =>
      openPgStore(url, { schema: `t_${randomBytes(6).toString('hex')}`, poolSize: 4 }),
    );
  }
  return pgStore;
}

afterAll(async () => {
  if (!pgStore) return;
  const store = await pgStore;
  pgStore = null;
  await store.close();
  await store.dropSchema();
});

/**
 * An empty store: a new SQLite database in memory, or this file's PostgreSQL schema with every
 * table emptied (ids go on counting, so nothing kept from an earlier test can match a new row).
 */
export async function freshStore(kind: StoreKind = STORE_KIND): Promise<Store> {
  if (kind === 'sqlite') return openSqliteStore(':memory:');
  const store = await sharedPg();
  await store.truncateAll();
  return store;
}

/** A store holding the demo practice as loaded at `now`. */
export async function demoStore(now = NOW, kind: StoreKind = STORE_KIND) {
  const store = await freshStore(kind);
  const result = await importPractice(store, demoDocument(), { now });
  return { store, practiceId: result.practiceId };
}

/** A deep copy of the demo document to modify in a test. */
export function demoDoc(): Record<string, any> {
  return structuredClone(demoDocument()) as Record<string, any>;
}

export const testConfig = { publicUrl: 'http://localhost:3000', secret: 's'.repeat(32) };

/** Rows of a query, for assertions (both databases; `?` parameters). */
export function rows<R = any>(store: Store, sql: string, params: unknown[] = []): Promise<R[]> {
  return store.read((tx) => tx.all<R>(sql, params));
}

/** The first row of a query, or undefined. */
export async function row<R = any>(
  store: Store,
  sql: string,
  params: unknown[] = [],
): Promise<R | undefined> {
  return (await rows<R>(store, sql, params))[0];
}

/** Runs a statement outside the app (a test arranging its data); returns the rows changed. */
export function exec(store: Store, sql: string, params: unknown[] = []): Promise<number> {
  return store.write((tx) => tx.run(sql, params));
}

/** `SELECT count(*) AS n …` as a number. */
export async function count(store: Store, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await row<{ n: number }>(store, sql, params))?.n ?? 0);
}

/** The demo practice behind an app, with helpers to name its rows and act as its clients. */
export async function demoApp(now = NOW, kind: StoreKind = STORE_KIND) {
  const { store, practiceId } = await demoStore(now, kind);
  let clock = now;
  const app = createApp({ store, clock: () => clock, config: testConfig });
  const id = async (table: 'chains' | 'therapists', column: string, value: string) =>
    (await row<{ id: number }>(store, `SELECT id FROM ${table} WHERE practice_id = ? AND ${column} = ?`, [
      practiceId,
      value,
    ]))!.id;
  const client = async (email: string) =>
    (await row<Row & { id: number; access_code_version: number; access_code: string }>(
      store,
      'SELECT * FROM clients WHERE practice_id = ? AND email = ?',
      [practiceId, email],
    ))!;
  return {
    app,
    store,
    practiceId,
    setNow: (t: number) => {
      clock = t;
    },
    chainId: (key: string) => id('chains', 'key', key),
    therapistId: (name: string) => id('therapists', 'name', name),
    client,
    /** A client token for a demo client, as /auth/verify would hand out. */
    tokenFor: async (email: string) => {
      const c = await client(email);
      return signClientToken(
        testConfig.secret,
        { practiceId, clientId: c.id, codeVersion: c.access_code_version, email: c.email as string },
        clock,
      ).token;
    },
    /** The token /auth/verify hands out for an address without a client file. */
    verified: (email: string) => signEmailToken(testConfig.secret, { practiceId, email }, clock).token,
    /** The same at another practice of the store. */
    verifiedAt: (otherPracticeId: number, email: string) =>
      signEmailToken(testConfig.secret, { practiceId: otherPracticeId, email }, clock).token,
    rows: <R = any>(sql: string, params: unknown[] = []) => rows<R>(store, sql, params),
    row: <R = any>(sql: string, params: unknown[] = []) => row<R>(store, sql, params),
    count: (sql: string, params: unknown[] = []) => count(store, sql, params),
    exec: (sql: string, params: unknown[] = []) => exec(store, sql, params),
  };
}

export type DemoApp = Awaited<ReturnType<typeof demoApp>>;

/** The token /auth/verify hands out for an address without a client file at a practice, signed at `now`. */
export function verifiedToken(practiceId: number, email: string, now = NOW): string {
  return signEmailToken(testConfig.secret, { practiceId, email }, now).token;
}

/**
 * A booking as the widget sends it after the client confirmed their address: with the token
 * /auth/verify gave for `body.client.email` (unless a token is given).
 */
export function bookVerified(
  d: DemoApp,
  body: Record<string, any>,
  key: string,
  token?: string,
  path = '/api/v1/p/demo/bookings',
) {
  const bearer = token ?? (body.client?.email ? d.verified(body.client.email) : undefined);
  return call(d.app, 'POST', path, {
    body,
    headers: { 'idempotency-key': key },
    ...(bearer ? { token: bearer } : {}),
  });
}

export async function call(
  app: ReturnType<typeof createApp>,
  method: string,
  url: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await app.request(url, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body };
}

/** A small practice (slug `always`) open every day 08:00–18:00, bookable two years ahead, hourly grid: for the clock-change days. */
export function allWeekPracticeDoc() {
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  return {
    practice: {
      slug: 'always',
      name: 'Immer offen',
      plan: 'S',
      booking: { bookingWindowDays: 730, slotStepMinutes: 60 },
    },
    therapists: [
      { key: 'a', name: 'A', hours: days.map((weekday) => ({ weekday, from: '08:00', to: '18:00' })) },
    ],
    services: [{ code: 'X', name: 'X', priceCents: 1000, durationMinutes: 60 }],
    chains: [{ key: 'x', name: 'X', lines: [{ code: 'X' }], therapists: ['a'] }],
  };
}

/**
 * Two stores on one database, as two server processes (SQLite: a temp file) or two app instances
 * (PostgreSQL: this file's schema) have them; `close()` ends both and removes the file.
 */
export async function twoStores(
  kind: StoreKind = STORE_KIND,
): Promise<{ store: Store; other: Store; path: string; close: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'tk-two-'));
    const path = join(dir, 'two.db');
    const store = openSqliteStore(path);
    const other = openSqliteStore(path);
    return {
      store,
      other,
      path,
      close: async () => {
        await store.close();
        await other.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const store = (await freshStore('postgres')) as PgStore;
  const { openPgStore } = await import('../server/db/pg/store.ts');
  const other = await openPgStore(process.env.TEST_DATABASE_URL!, { schema: store.schema!, poolSize: 2 });
  return { store, other, path: ':postgres:', close: () => other.close() };
}

/** The back office's way in: a staff login's session cookie and CSRF token. */
export interface StaffLogin {
  cookie: string;
  csrf: string;
  body: any;
}

export async function staffLogin(
  app: ReturnType<typeof createApp>,
  email: string,
  password: string,
  practice = 'demo',
): Promise<StaffLogin> {
  const res = await app.request('/api/v1/admin/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ practice, email, password }),
  });
  const body = (await res.json()) as any;
  if (res.status !== 200) throw new Error(`login ${res.status}: ${JSON.stringify(body)}`);
  const cookie = /^(tk_staff=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
  return { cookie, csrf: body.csrfToken, body };
}

/** An admin request as the back office sends it: the cookie, and the CSRF token when it changes something. */
export async function adminCall(
  app: ReturnType<typeof createApp>,
  s: StaffLogin | null,
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
) {
  const headers: Record<string, string> = {};
  if (s) headers.cookie = s.cookie;
  if (s && method !== 'GET') headers['x-csrf-token'] = s.csrf;
  // As a browser does on every POST, PATCH and DELETE, also to its own site.
  if (method !== 'GET') headers.origin = 'http://localhost:3000';
  Object.assign(headers, extra);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.request(`/api/v1/admin${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null, headers: res.headers };
}
