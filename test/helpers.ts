/** Shared fixtures: a fresh in-memory database per test, the demo practice loaded at a fixed instant. */
import { createApp } from '../server/app.ts';
import { signClientToken } from '../server/auth/tokens.ts';
import { openDatabase } from '../server/db/index.ts';
import { demoDocument } from '../server/demo/load.ts';
import { importPractice } from '../server/practice/import.ts';

/** Friday 2026-11-27 10:00 in Berlin. */
export const NOW = Date.UTC(2026, 10, 27, 9, 0);

export function freshDb() {
  return openDatabase(':memory:');
}

/** A database holding the demo practice as loaded at `now`. */
export function demoDb(now = NOW) {
  const db = freshDb();
  const result = importPractice(db, demoDocument(), { now });
  return { db, practiceId: result.practiceId };
}

/** A deep copy of the demo document to modify in a test. */
export function demoDoc(): Record<string, any> {
  return structuredClone(demoDocument()) as Record<string, any>;
}

export const testConfig = { publicUrl: 'http://localhost:3000', secret: 's'.repeat(32) };

/** The demo practice behind an app, with helpers to name its rows and act as its clients. */
export function demoApp(now = NOW) {
  const { db, practiceId } = demoDb(now);
  let clock = now;
  const app = createApp({ db, clock: () => clock, config: testConfig });
  const id = (table: 'chains' | 'therapists', column: string, value: string) =>
    (db.$client.prepare(`SELECT id FROM ${table} WHERE ${column} = ?`).get(value) as { id: number }).id;
  const client = (email: string) =>
    db.$client.prepare('SELECT * FROM clients WHERE email = ?').get(email) as {
      id: number;
      access_code_version: number;
      access_code: string;
    };
  return {
    app,
    db,
    practiceId,
    setNow: (t: number) => {
      clock = t;
    },
    chainId: (key: string) => id('chains', 'key', key),
    therapistId: (name: string) => id('therapists', 'name', name),
    client,
    /** A client token for a demo client, as /auth/verify would hand out. */
    tokenFor: (email: string) => {
      const c = client(email);
      return signClientToken(
        testConfig.secret,
        { practiceId, clientId: c.id, codeVersion: c.access_code_version },
        clock,
      ).token;
    },
    count: (sql: string) => (db.$client.prepare(sql).get() as { n: number }).n,
  };
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
