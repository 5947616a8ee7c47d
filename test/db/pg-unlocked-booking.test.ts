/**
 * PostgreSQL only (vite.config.ts leaves it out of the SQLite run, where a booking's reads and batch
 * are one IMMEDIATE transaction and nothing can come between them): a returning client's online
 * booking is decided without the file's lock, on the budget version its snapshot read, and its
 * batch is refused when another decision moved that version on meanwhile. A booking with a hold is
 * likewise read, decided and written without a transaction: its batch turns the hold's row into the
 * booking, and is refused when another booking took that hold meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import type { PgStore } from '../../server/db/pg/store.ts';
import { purgeExpiredHolds } from '../../server/db/queries/calendar.ts';
import type { Store, Tx } from '../../server/db/store.ts';
import { folgetermin, kgBar, setup } from '../api/staff-fixtures.ts';
import { call as apiCall, bookVerified, adminCall as call, NOW, testConfig } from '../helpers.ts';

/**
 * The same store, but the first write run without a transaction (an online booking on PostgreSQL:
 * read, decide, one batch) lets `between` run and commit after its reads, before its batch.
 */
function pausingBeforeBatch(store: Store, between: () => Promise<void>): Store {
  let armed = true;
  const pausing = (tx: Tx): Tx => ({
    ...tx,
    dialect: tx.dialect,
    batch: async (writes) => {
      if (armed) {
        armed = false;
        await between();
      }
      return tx.batch(writes);
    },
  });
  return Object.assign(Object.create(store), {
    write: (fn: (tx: Tx) => Promise<unknown>, options?: Parameters<Store['write']>[1]) =>
      store.write((tx) => fn(options?.guardedByConstraints ? pausing(tx) : tx), options),
  }) as Store;
}

describe('a returning client’s online booking, decided without the file’s lock (PostgreSQL)', () => {
  const folge = '2026-11-30T09:00:00+01:00';

  it('staff take the last unit between its reads and its write: its batch is refused, it is decided again and told the budget is used up', async () => {
    const d = await setup();
    const a = await folgetermin(d); // KG: 4 used + 1 planned of 6
    const online = createApp({
      store: pausingBeforeBatch(d.store, async () => {
        const edit = await call(d.app, d.anna, 'PATCH', `/appointments/${a}`, {
          lines: [{ service: d.kg, quantity: 2 }],
        });
        expect(edit.status, JSON.stringify(edit.body)).toBe(200);
      }),
      clock: () => NOW,
      config: testConfig,
    });
    const before = await d.count('SELECT count(*) AS n FROM appointments');
    const res = await bookVerified(
      { ...d, app: online },
      { chain: await d.chainId('physio-folgetermin'), start: folge },
      'between-1',
      await d.tokenFor('lena.vogel@example.org'),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.code).toBe('budget_exhausted');
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(before);
    const kg = await kgBar(d);
    expect(kg.used + kg.planned).toBe(6);
  });

  it('staff change the file meanwhile but leave the unit: decided again, it is booked', async () => {
    const d = await setup();
    await folgetermin(d); // one KG unit left
    const v = async () => (await d.row('SELECT budget_version AS v FROM clients WHERE id = ?', [d.lena])).v;
    const start = await v();
    const online = createApp({
      store: pausingBeforeBatch(d.store, async () => {
        const edit = await call(d.app, d.anna, 'PATCH', `/clients/${d.lena}`, { phone: '+49 30 1234567' });
        expect(edit.status, JSON.stringify(edit.body)).toBe(200);
      }),
      clock: () => NOW,
      config: testConfig,
    });
    const res = await bookVerified(
      { ...d, app: online },
      { chain: await d.chainId('physio-folgetermin'), start: folge },
      'between-2',
      await d.tokenFor('lena.vogel@example.org'),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const kg = await kgBar(d);
    expect(kg.used + kg.planned).toBe(6);
    // The staff edit moved the version on once, the refused batch not at all; the booking, decided
    // again under the lock, moved it once more.
    expect(await v()).toBe(start + 2);
  });
});

describe('an online booking with a hold, decided without a transaction (PostgreSQL)', () => {
  const monday = '2026-11-30T08:00:00+01:00';
  const nora = { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true as const };
  const otto = { firstName: 'Otto', lastName: 'Ohne', email: 'otto@example.org', consent: true as const };

  it('another booking takes the same hold between its reads and its write: its batch is refused, and decided again it finds the start taken', async () => {
    const d = await setup();
    const chain = await d.chainId('physio-erstbefund');
    const held = await apiCall(d.app, 'POST', '/api/v1/p/demo/holds', { body: { chain, start: monday } });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    // An anonymous hold: whoever verified an address may book with it.
    const body = { chain, start: monday, client: nora, hold: held.body.hold };
    let first: Awaited<ReturnType<typeof bookVerified>> | undefined;
    const online = createApp({
      store: pausingBeforeBatch(d.store, async () => {
        first = await bookVerified(d, { ...body, client: otto }, 'hold-first');
      }),
      clock: () => NOW,
      config: testConfig,
    });
    const before = await d.count('SELECT count(*) AS n FROM appointments');
    const second = await bookVerified({ ...d, app: online }, body, 'hold-second');
    expect(first?.status, JSON.stringify(first?.body)).toBe(201);
    expect(second.status, JSON.stringify(second.body)).toBe(409);
    expect(second.body.code).toBe('slot_taken');
    // The hold's row is Otto's booking: nothing added, nothing held, no file for Nora.
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(before);
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE status = 'held'")).toBe(0);
    const booked = await d.row<{ id: number; client_id: number }>(
      'SELECT id, client_id FROM appointments WHERE starts_at = ? AND status = ?',
      [Date.parse(monday), 'booked'],
    );
    expect(booked?.id).toBe(first?.body.id);
    const ottoFile = await d.row<{ id: number }>("SELECT id FROM clients WHERE email = 'otto@example.org'");
    expect(booked?.client_id).toBe(ottoFile?.id);
    expect(await d.count("SELECT count(*) AS n FROM clients WHERE email = 'nora@example.org'")).toBe(0);
    expect(
      await d.count('SELECT count(*) AS n FROM appointment_lines WHERE appointment_id = ?', [booked!.id]),
    ).toBeGreaterThan(0);
    expect(await d.count('SELECT count(*) AS n FROM booking_requests')).toBe(1);
  });
});

describe('a run-out hold that a booking is turning into an appointment (PostgreSQL)', () => {
  it('is not deleted by a purge of run-out holds that waits for that booking to commit', async () => {
    const d = await setup();
    const chain = await d.chainId('physio-erstbefund');
    const start = '2026-11-30T08:00:00+01:00';
    const held = await apiCall(d.app, 'POST', '/api/v1/p/demo/holds', { body: { chain, start } });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const holdId = (await d.row<{ id: number }>("SELECT id FROM appointments WHERE status = 'held'"))!.id;
    const later = NOW + 30 * 60_000; // the hold ran out 20 minutes ago
    // A booking's batch turns the hold's row into Lena's appointment, not yet committed …
    const booking = await (d.store as PgStore).pool.connect();
    try {
      await booking.query('BEGIN');
      await booking.query(
        `UPDATE appointments SET client_id = $1, status = 'booked', hold_owner = NULL,
           hold_expires_at = CASE WHEN status = 'held' THEN NULL ELSE -1 END WHERE id = $2`,
        [d.lena, holdId],
      );
      // … while another request purges the holds that ran out: it waits for that row.
      const purge = d.store.write((tx) => purgeExpiredHolds(tx, later, d.practiceId));
      await new Promise((r) => setTimeout(r, 200));
      await booking.query('COMMIT');
      expect(await purge).toBe(0);
    } finally {
      booking.release();
    }
    expect(await d.row('SELECT status, client_id FROM appointments WHERE id = ?', [holdId])).toEqual({
      status: 'booked',
      client_id: d.lena,
    });
  });
});
