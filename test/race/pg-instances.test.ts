/**
 * Scale-out for real: three app instances (separate processes) on one PostgreSQL database, many
 * clients posting at the same moment to all three. Exactly one wins the last slot or the last
 * budget unit, the others get a clear 409; an instance killed with SIGKILL under load loses no
 * acknowledged booking and no e-mail.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signClientToken } from '../../server/auth/tokens.ts';
import { NOW } from '../helpers.ts';
import {
  LOAD_TEST_LIMITS,
  post,
  type ServerProcess,
  startServer,
  TEST_SECRET,
  verifiedAs,
} from '../support-process.ts';

const url = process.env.TEST_DATABASE_URL;

/** A name's worth of letters for a number (names take no digits). */
const letters = (n: number) =>
  String.fromCharCode(65 + (n % 26)) + String.fromCharCode(97 + Math.floor(n / 26));
if (!url && !process.env.CI) {
  console.warn(
    '\n*** PostgreSQL race tests SKIPPED: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them ***\n',
  );
}

// In CI a missing PostgreSQL is an error, not a skip.
if (!url && process.env.CI) throw new Error('CI needs TEST_DATABASE_URL: the PostgreSQL race tests must run');

describe.runIf(url)('three app instances on one PostgreSQL database', () => {
  const database = `race_${randomBytes(5).toString('hex')}`;
  const dbUrl = url ? Object.assign(new URL(url), { pathname: `/${database}` }).toString() : '';
  let servers: ServerProcess[] = [];
  let db: pg.Client;

  /** Runs `fn` on a connection to the server's maintenance database `test`. */
  async function admin(sql: string) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    const env = { DATABASE_URL: dbUrl, CLOCK_START: new Date(NOW).toISOString() };
    // Started together: migrations and the demo practice are done once, whoever gets there first.
    servers = await Promise.all([0, 1, 2].map(() => startServer('unused.db', env)));
    db = new pg.Client({ connectionString: dbUrl, types: { getTypeParser: () => (v: string) => v } });
    await db.connect();
    // Many bookings from one address (loopback): the practice allows them.
    await db.query("UPDATE practices SET online_limits = $1 WHERE slug = 'demo'", [LOAD_TEST_LIMITS]);
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    servers = [];
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }, 60_000);

  const one = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows[0];
  const chainId = async (key: string) =>
    Number((await one('SELECT id FROM chains WHERE key = $1', [key])).id);

  async function tokenFor(email: string) {
    const c = await one('SELECT id, practice_id, access_code_version FROM clients WHERE email = $1', [email]);
    return signClientToken(
      TEST_SECRET,
      {
        practiceId: Number(c.practice_id),
        clientId: Number(c.id),
        codeVersion: Number(c.access_code_version),
        email,
      },
      NOW,
    ).token;
  }

  /** The e-mail token of a new client at the demo practice. */
  async function verified(email: string) {
    const p = await one("SELECT id FROM practices WHERE slug = 'demo'");
    return verifiedAs(Number(p.id), email, NOW);
  }

  async function slots(chain: number, token?: string) {
    const res = await fetch(
      `${servers[0]!.url}/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2027-01-20`,
      {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
    );
    const body = (await res.json()) as any;
    return body.days.flatMap((d: any) => d.slots) as { start: string; therapist: { id: number } }[];
  }

  it('give the last free slot to exactly one of 50 clients; the others get 409 slot_taken', async () => {
    const chain = await chainId('physio-erstbefund');
    const [slot] = await slots(chain);
    expect(slot).toBeDefined();
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => verified(`race${i}@example.org`)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(
          `${servers[i % 3]!.url}/api/v1/p/demo/bookings`,
          {
            chain,
            start: slot!.start,
            therapist: slot!.therapist.id,
            client: {
              firstName: 'Race',
              lastName: `Client ${letters(i)}`,
              email: `race${i}@example.org`,
              consent: true,
            },
          },
          { 'idempotency-key': `slot-race-${i}`, authorization: `Bearer ${tokens[i]}` },
        ),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 201).map((r) => r.body.code)).toEqual(
      Array(49).fill('slot_taken'),
    );
    // The losers left nothing behind.
    expect((await one("SELECT count(*) AS n FROM clients WHERE email LIKE 'race%@example.org'")).n).toBe('1');
  }, 60_000);

  it('give the last unit of a package to exactly one of 50 bookings by one client; the others get 409 budget_exhausted', async () => {
    // Lena's prescription has 2 of 6 sessions left: take one, then 50 race for the last.
    const token = await tokenFor('lena.vogel@example.org');
    const chain = await chainId('physio-folgetermin');
    const free = await slots(chain, token);
    const first = await post(
      `${servers[0]!.url}/api/v1/p/demo/bookings`,
      { chain, start: free[0]!.start, therapist: free[0]!.therapist.id },
      { 'idempotency-key': 'lena-before-race', authorization: `Bearer ${token}` },
    );
    expect(first.status).toBe(201);
    // Fifty distinct starts, an hour apart, so none collides with another on therapist or client.
    const starts: typeof free = [free[0]!];
    for (const s of free) {
      if (starts.every((o) => Math.abs(Date.parse(o.start) - Date.parse(s.start)) >= 3_600_000))
        starts.push(s);
      if (starts.length === 51) break;
    }
    starts.shift();
    expect(starts).toHaveLength(50);
    const results = await Promise.all(
      starts.map((s, i) =>
        post(
          `${servers[i % 3]!.url}/api/v1/p/demo/bookings`,
          { chain, start: s.start, therapist: s.therapist.id },
          { 'idempotency-key': `budget-race-${i}`, authorization: `Bearer ${token}` },
        ),
      ),
    );
    expect(results.map((r) => r.body.code ?? r.status).sort()).toEqual([
      201,
      ...Array(49).fill('budget_exhausted'),
    ]);
    const used = await one(
      `SELECT p.max_appointments AS max, count(a.id) AS n FROM packages p
         JOIN appointment_packages ap ON ap.package_id = p.id
         JOIN appointments a ON a.id = ap.appointment_id AND a.status <> 'cancelled'
         JOIN clients c ON c.id = p.client_id WHERE c.email = 'lena.vogel@example.org' GROUP BY p.id`,
    );
    expect(used).toEqual({ max: '6', n: '6' });
  }, 60_000);

  it('lose no acknowledged booking and no e-mail when one instance is killed with SIGKILL under load', async () => {
    const chain = await chainId('physio-erstbefund');
    const free = await slots(chain);
    expect(free.length).toBeGreaterThan(150);
    const practiceId = Number((await one("SELECT id FROM practices WHERE slug = 'demo'")).id);
    const acknowledged: number[] = [];
    let next = 0;
    let stopped = false;
    // Eight clients per instance, each booking the next free slot until told to stop.
    const client = async (server: ServerProcess, w: number) => {
      while (!stopped && next < free.length) {
        const slot = free[next++]!;
        const email = `kill-${next}-${w}@example.org`;
        try {
          const res = await fetch(`${server.url}/api/v1/p/demo/bookings`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `kill-${slot.start}-${slot.therapist.id}`,
              authorization: `Bearer ${verifiedAs(practiceId, email, NOW)}`,
            },
            body: JSON.stringify({
              chain,
              start: slot.start,
              therapist: slot.therapist.id,
              client: {
                firstName: 'Kill',
                lastName: `Test ${letters(w)}`,
                email,
                consent: true,
              },
            }),
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status === 201) acknowledged.push(((await res.json()) as { id: number }).id);
          else await res.arrayBuffer();
        } catch {
          // The connection died with the process: not acknowledged; this client goes home.
          if (server.child.signalCode !== null || server.child.exitCode !== null) return;
        }
      }
    };
    const load = Promise.all(
      servers.flatMap((s, i) => Array.from({ length: 8 }, (_, w) => client(s, i * 8 + w))),
    );
    const until = async (n: number) => {
      const deadline = Date.now() + 30_000;
      while (acknowledged.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(acknowledged.length).toBeGreaterThanOrEqual(n);
    };
    await until(40);
    servers[0]!.child.kill('SIGKILL');
    const atKill = acknowledged.length;
    // The two others go on.
    await until(atKill + 40);
    stopped = true;
    await load;

    const online = await db.query("SELECT id FROM appointments WHERE source = 'online'");
    const present = new Set(online.rows.map((r) => Number(r.id)));
    for (const id of acknowledged) expect(present.has(id)).toBe(true);
    // Nothing half-written, and every booking's confirmation is in the outbox.
    const incomplete = await db.query(
      `SELECT a.id FROM appointments a WHERE a.source = 'online' AND (
           NOT EXISTS (SELECT 1 FROM appointment_lines l WHERE l.appointment_id = a.id)
        OR NOT EXISTS (SELECT 1 FROM appointment_packages p WHERE p.appointment_id = a.id)
        OR NOT EXISTS (SELECT 1 FROM booking_requests b WHERE b.appointment_id = a.id))`,
    );
    expect(incomplete.rows).toEqual([]);
    const mails = await one(
      "SELECT count(DISTINCT (content->'mail'->>'appointmentId')) AS n FROM outbox WHERE kind = 'booking-confirmation'",
    );
    expect(Number(mails.n)).toBe(present.size);
    // And no therapist or room is booked twice at once.
    const overlaps = await one(
      `SELECT count(*) AS n FROM appointments a JOIN appointments b ON a.id < b.id AND a.status <> 'cancelled' AND b.status <> 'cancelled'
        AND (a.therapist_id = b.therapist_id OR a.room_id = b.room_id)
        AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until`,
    );
    expect(overlaps.n).toBe('0');
  }, 90_000);
});
