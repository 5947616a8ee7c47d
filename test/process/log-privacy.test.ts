/**
 * The server's log holds no personal data: a whole online booking — code request, confirmation,
 * hold, booking, the returning client signing in with her access code, cancelling by link — runs
 * against a real server without SMTP (so every mail is "logged"), and its output is searched for
 * the clients' names, addresses and codes. None may be there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/db/sqlite/store.ts';
import { NOW, row } from '../helpers.ts';
import { type ServerProcess, startServer } from '../support-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tk-logs-'));
const dbPath = join(dir, 'logs.db');
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer(dbPath, { CLOCK_START: new Date(NOW).toISOString() });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(method === 'POST' && path.endsWith('/bookings')
        ? { 'idempotency-key': `log-${Math.random()}` }
        : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The code in the newest mail to `to`, read from the database as the inbox would get it. */
async function codeMailedTo(to: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const store = openSqliteStore(dbPath);
    const mail = await row<{ text_body: string }>(
      store,
      'SELECT text_body FROM outbox WHERE to_address = ? ORDER BY id DESC',
      [to],
    );
    await store.close();
    const code = mail && /\b(\d{6})\b/.exec(mail.text_body)?.[1];
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no code mailed to ${to}`);
}

describe('the log of a whole booking run', () => {
  it('names no client, no address and no code', async () => {
    const secrets: string[] = [];
    // A new client: code, confirmation, hold, booking.
    const nora = { firstName: 'Noraline', lastName: 'Nachtigall', email: 'noraline.nachtigall@example.org' };
    expect((await api('POST', '/p/demo/auth/code', { email: nora.email })).status).toBe(202);
    const code = await codeMailedTo(nora.email);
    secrets.push(nora.firstName, nora.lastName, nora.email, code);
    const session = await api('POST', '/p/demo/auth/verify', { email: nora.email, code });
    expect(session.status).toBe(200);
    const chains = await api('GET', '/p/demo/chains');
    const chain = chains.body.chains.find((c: { key: string }) => c.key === 'physio-erstbefund').id;
    const slots = await api('GET', `/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-12-04`);
    const start = slots.body.days.find((d: { slots: unknown[] }) => d.slots.length > 0).slots[0].start;
    const hold = await api('POST', '/p/demo/holds', { chain, start });
    expect(hold.status).toBe(201);
    const booked = await api(
      'POST',
      '/p/demo/bookings',
      {
        chain,
        start,
        hold: hold.body.hold,
        client: { firstName: nora.firstName, lastName: nora.lastName, consent: true },
      },
      session.body.token,
    );
    expect(booked.status).toBe(201);
    // A returning client signs in with her access code and books a follow-up; then cancels by link.
    secrets.push('Lena', 'Vogel', 'lena.vogel@example.org', 'LENA2345');
    const lena = await api('POST', '/p/demo/auth/verify', {
      email: 'lena.vogel@example.org',
      code: 'lena-2345',
    });
    expect(lena.status).toBe(200);
    const follow = (await api('GET', '/p/demo/chains', undefined, lena.body.token)).body.chains.find(
      (c: { key: string }) => c.key === 'physio-folgetermin',
    ).id;
    const free = await api(
      'GET',
      `/p/demo/slots?chain=${follow}&from=2026-11-30&to=2026-12-11`,
      undefined,
      lena.body.token,
    );
    const lenaStart = free.body.days.find((d: { slots: unknown[] }) => d.slots.length > 0).slots[0].start;
    const lenas = await api('POST', '/p/demo/bookings', { chain: follow, start: lenaStart }, lena.body.token);
    expect(lenas.status).toBe(201);
    const link = new URL(lenas.body.cancelUrl);
    const cancelled = await api(
      'POST',
      `/bookings/${link.searchParams.get('booking')}/cancel?token=${link.searchParams.get('token')}`,
    );
    expect(cancelled.status).toBe(200);
    // A wrong code, a bad token, a refused booking: errors are logged, if at all, without data.
    await api('POST', '/p/demo/auth/verify', { email: nora.email, code: '999999' });
    await api('POST', '/p/demo/bookings', { chain, start }, 'not-a-token');

    // Every mail of the run has been through the logger (it looks every second).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const log = server.log();
    expect(log).toMatch(/outbox #\d+ \(email-code, practice \d+\) not sent/);
    expect(log).toMatch(/outbox #\d+ \(booking-confirmation, practice \d+\) not sent/);
    for (const secret of secrets) {
      expect({ secret, found: log.toLowerCase().includes(secret.toLowerCase()) }).toEqual({
        secret,
        found: false,
      });
    }
  }, 60_000);
});
