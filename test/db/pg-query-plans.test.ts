/**
 * PostgreSQL plans every prepared statement once per connection (generic plans, pg/store.ts), and a
 * server may run without autovacuum — like this machine's — so its statistics can be those of a
 * practice's first day, or none. A plan that hashes whole tables then reads every appointment and
 * line of the database on each booking, ever more as the practice grows (found in the booking
 * bench: a returning client's package lines took a scan of both tables per booking). The
 * statements a returning client's booking and budget run must reach the big tables by their
 * indexes whatever the statistics say. Runs on PostgreSQL only (the `postgres` test project).
 */
import { describe, expect, it } from 'vitest';
import type { PgStore } from '../../server/db/pg/store.ts';
import { bookVerified, call, demoApp, STORE_KIND } from '../helpers.ts';

/** The tables that grow with a practice's bookings: never read whole on a booking. */
const BIG =
  /Seq Scan on (appointments|appointment_lines|appointment_packages|packages|clients|package_ledger)\b/;

/**
 * Nor all of a practice's rows through an index that only narrows to the practice: a row looked up
 * by its id and practice once went through the client exclusion constraint's GiST index (practice
 * first), reading every appointment of the practice — cheaper on paper by 0.02 for a small table.
 */
const WHOLE_PRACTICE =
  /Scan using \w+ on (appointments|appointment_lines|appointment_packages|packages|clients|package_ledger)\b[^\n]*\n\s*Index Cond: \(practice_id = \$\d+\)\n/;

describe.runIf(STORE_KIND === 'postgres')('query plans (PostgreSQL, generic)', () => {
  it('a booking (returning, new with a hold) and a budget find their rows by index, with thousands of rows and no ANALYZE', async () => {
    await plansOfBookings(false);
  });

  it('… and with the statistics of the practice’s first day (ANALYZE before the rows came)', async () => {
    await plansOfBookings(true);
  });
});

/**
 * Books as a returning client, holds and books as a new client, reads a budget, with 3 000 more
 * appointments in the table than statistics (none, or those of the demo practice alone) know of,
 * and checks the generic plan of every statement sent.
 */
async function plansOfBookings(statsOfFirstDay: boolean) {
  const d = await demoApp();
  const store = d.store as PgStore;
  if (statsOfFirstDay) await d.exec('ANALYZE');
  const anna = await d.therapistId('Anna Berg');
  const kg = (await d.row("SELECT id FROM services WHERE code = 'KG'")).id;
  // 3 000 past appointments of another file, each with a line (2020: out of every window asked).
  const other = (await d.client('tom.becker@example.org')).id;
  await d.exec(
    `INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, buffer_after_minutes,
         blocked_until, status, source, created_at)
       SELECT ?, ?, ?, t, t + 1800000, 0, t + 1800000, 'booked', 'staff', t
         FROM generate_series(1577869200000::bigint, 1577869200000::bigint + 2999::bigint * 3600000, 3600000::bigint) t`,
    [d.practiceId, other, anna],
  );
  await d.exec(
    `INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents)
       SELECT practice_id, id, ?, 'KG', 1, 2500 FROM appointments WHERE client_id = ?`,
    [kg, other],
  );
  expect(await d.count('SELECT count(*) AS n FROM appointments')).toBeGreaterThan(3000);

  // Every statement the store sends while a returning client books and reads their budget.
  const seen = new Set<string>();
  const query = (store as unknown as { query: (...a: unknown[]) => unknown }).query;
  (store as unknown as { query: (...a: unknown[]) => unknown }).query = function (
    this: unknown,
    ...a: unknown[]
  ) {
    seen.add(a[1] as string);
    return query.apply(this, a);
  };
  try {
    const token = await d.tokenFor('lena.vogel@example.org');
    const booked = await bookVerified(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: '2026-11-30T09:00:00+01:00' },
      'plans-1',
      token,
    );
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    // A hold, and the booking that takes its place.
    const chain = await d.chainId('physio-erstbefund');
    const start = '2026-11-30T14:00:00+01:00';
    const held = await call(d.app, 'POST', '/api/v1/p/demo/holds', { body: { chain, start } });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const nora = { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true };
    const withHold = await bookVerified(d, { chain, start, client: nora, hold: held.body.hold }, 'plans-2');
    expect(withHold.status, JSON.stringify(withHold.body)).toBe(201);
    const chains = await d.app.request('/api/v1/p/demo/chains', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(chains.status).toBe(200);
  } finally {
    (store as unknown as { query: unknown }).query = query;
  }
  const reads = [...seen].filter((sql) => /^\s*(SELECT|WITH|UPDATE|DELETE)\b/i.test(sql));
  expect(reads.some((sql) => sql.includes('appointment_packages'))).toBe(true);

  // Each one's generic plan, as the store's connections make it (plan_cache_mode=force_generic_plan).
  const client = await store.pool.connect();
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    // With first-day statistics only the tables this test made big count as big (the others
    // are a few rows, and a plan that reads all of those reads little).
    const big = statsOfFirstDay ? /Seq Scan on (appointments|appointment_lines)\b/ : BIG;
    for (const [i, sql] of reads.entries()) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      await client.query(`PREPARE plan_${i} AS ${text}`);
      const args = Array.from({ length: n }, () => 'NULL').join(', ');
      const plan = (await client.query(`EXPLAIN EXECUTE plan_${i}${n ? `(${args})` : ''}`)).rows
        .map((r) => r['QUERY PLAN'] as string)
        .join('\n');
      await client.query(`DEALLOCATE plan_${i}`);
      expect(plan, `${sql}\n${plan}`).not.toMatch(big);
      expect(plan, `${sql}\n${plan}`).not.toMatch(WHOLE_PRACTICE);
    }
  } finally {
    client.release();
  }
}
