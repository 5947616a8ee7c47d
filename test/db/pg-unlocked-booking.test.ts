/**
 * PostgreSQL only (vite.config.ts leaves it out of the SQLite run, where a booking's reads and batch
 * are one IMMEDIATE transaction and nothing can come between them): a returning client's online
 * booking is decided without the file's lock, on the budget version its snapshot read, and its
 * batch is refused when another decision moved that version on meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import type { Store, Tx } from '../../server/db/store.ts';
import { folgetermin, kgBar, setup } from '../api/staff-fixtures.ts';
import { bookVerified, adminCall as call, NOW, testConfig } from '../helpers.ts';

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
