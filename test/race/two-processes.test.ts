/**
 * Races for real: two server processes on one database file, many clients posting at the same
 * moment. Exactly one wins the last slot or the last budget unit; the others get a clear 409.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signClientToken } from '../../server/auth/tokens.ts';
import { openSqliteStore } from '../../server/db/sqlite/store.ts';
import { NOW, row } from '../helpers.ts';
import {
  LOAD_TEST_LIMITS,
  post,
  type ServerProcess,
  startServer,
  TEST_SECRET,
  verifiedAs,
} from '../support-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'terminkette-race-'));
const dbPath = join(dir, 'race.db');
let servers: ServerProcess[] = [];
/** The servers' clocks start at NOW: the dates below are fixed. */
const env = { CLOCK_START: new Date(NOW).toISOString() };

beforeAll(async () => {
  // The first start migrates and loads the demo practice; the second joins the same file.
  servers.push(await startServer(dbPath, env));
  servers.push(await startServer(dbPath, env));
  // Many bookings from one address (loopback): the practice allows them.
  const store = openSqliteStore(dbPath);
  await store.write((tx) =>
    tx.run("UPDATE practices SET online_limits = ? WHERE slug = 'demo'", [LOAD_TEST_LIMITS]),
  );
  await store.close();
}, 90_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

/** The first row of a query on the file, through a store of this test's own. */
async function query(sql: string, params: unknown[] = []): Promise<any> {
  const store = openSqliteStore(dbPath);
  try {
    return await row(store, sql, params);
  } finally {
    await store.close();
  }
}

async function chainId(key: string): Promise<number> {
  return (await query('SELECT id FROM chains WHERE key = ?', [key])).id;
}

async function tokenFor(email: string): Promise<string> {
  const c = await query('SELECT id, practice_id, access_code_version FROM clients WHERE email = ?', [email]);
  return signClientToken(
    TEST_SECRET,
    { practiceId: c.practice_id, clientId: c.id, codeVersion: c.access_code_version, email },
    NOW,
  ).token;
}

/** The e-mail token of a new client at the demo practice. */
async function verified(email: string): Promise<string> {
  const p = await query("SELECT id FROM practices WHERE slug = 'demo'");
  return verifiedAs(p.id, email, NOW);
}

async function slots(chain: number, token?: string) {
  const [from, to] = ['2026-11-30', '2027-01-06'];
  const res = await fetch(`${servers[0]!.url}/api/v1/p/demo/slots?chain=${chain}&from=${from}&to=${to}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = (await res.json()) as any;
  return body.days.flatMap((d: any) => d.slots) as { start: string; therapist: { id: number } }[];
}

describe('two server processes on one database file', () => {
  it('give the last free slot to exactly one of 16 clients; the others get 409 slot_taken', async () => {
    const chain = await chainId('physio-erstbefund');
    const [slot] = await slots(chain);
    expect(slot).toBeDefined();
    const tokens = await Promise.all(Array.from({ length: 16 }, (_, i) => verified(`race${i}@example.org`)));
    const attempts = Array.from({ length: 16 }, (_, i) =>
      post(
        `${servers[i % 2]!.url}/api/v1/p/demo/bookings`,
        {
          chain,
          start: slot!.start,
          therapist: slot!.therapist.id,
          client: {
            firstName: 'Race',
            lastName: `Client ${String.fromCharCode(65 + i)}`,
            email: `race${i}@example.org`,
            consent: true,
          },
        },
        { 'idempotency-key': `slot-race-${i}`, authorization: `Bearer ${tokens[i]}` },
      ),
    );
    const results = await Promise.all(attempts);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(
      Array(15).fill('slot_taken'),
    );
    // The losers left nothing behind: one file, one appointment.
    const files = await query("SELECT count(*) AS n FROM clients WHERE email LIKE 'race%@example.org'");
    expect(files.n).toBe(1);
  }, 60_000);

  it('give the last unit of a package to exactly one of 12 parallel bookings; the others get 409 budget_exhausted', async () => {
    // Lena's prescription has 2 of 6 sessions left: take one, then race for the last.
    const token = await tokenFor('lena.vogel@example.org');
    const chain = await chainId('physio-folgetermin');
    const free = await slots(chain, token);
    const first = await post(
      `${servers[0]!.url}/api/v1/p/demo/bookings`,
      { chain, start: free[0]!.start, therapist: free[0]!.therapist.id },
      { 'idempotency-key': 'lena-before-race', authorization: `Bearer ${token}` },
    );
    expect(first.status).toBe(201);
    // Twelve distinct starts, at least an hour apart so none collide on the therapist.
    const starts: typeof free = [free[0]!];
    for (const s of free) {
      if (starts.every((o) => Math.abs(Date.parse(o.start) - Date.parse(s.start)) >= 3_600_000))
        starts.push(s);
      if (starts.length === 13) break;
    }
    starts.shift();
    expect(starts).toHaveLength(12);
    const results = await Promise.all(
      starts.map((s, i) =>
        post(
          `${servers[i % 2]!.url}/api/v1/p/demo/bookings`,
          { chain, start: s.start, therapist: s.therapist.id },
          { 'idempotency-key': `budget-race-${i}`, authorization: `Bearer ${token}` },
        ),
      ),
    );
    expect(results.map((r) => r.body.code ?? r.status).sort()).toEqual([
      201,
      ...Array(11).fill('budget_exhausted'),
    ]);
    const used = await query(
      `SELECT p.max_appointments AS max, count(a.id) AS n FROM packages p
         JOIN appointment_packages ap ON ap.package_id = p.id
         JOIN appointments a ON a.id = ap.appointment_id AND a.status != 'cancelled'
         JOIN clients c ON c.id = p.client_id WHERE c.email = 'lena.vogel@example.org' GROUP BY p.id`,
    );
    expect(used).toEqual({ max: 6, n: 6 });
  }, 60_000);

  it('return the same booking for the same Idempotency-Key sent to both processes at once', async () => {
    const chain = await chainId('physio-erstbefund');
    const free = await slots(chain);
    const slot = free[free.length - 1]!;
    const body = {
      chain,
      start: slot.start,
      therapist: slot.therapist.id,
      client: { firstName: 'Ida', lastName: 'Empotent', email: 'ida@example.org', consent: true },
    };
    const ida = await verified('ida@example.org');
    const results = await Promise.all(
      servers.flatMap((s) =>
        [1, 2, 3].map(() =>
          post(`${s.url}/api/v1/p/demo/bookings`, body, {
            'idempotency-key': 'ida-once',
            authorization: `Bearer ${ida}`,
          }),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
  }, 60_000);
});
