/**
 * The slot answers are cached until the next write that concerns the practice: a booking through
 * this app, a write through its store, or a write by another process on the same SQLite file or
 * another app instance on the same PostgreSQL database (seen through the store's change mark). The
 * same request at the same state is answered from the cache.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import type { Store } from '../../server/db/store.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice } from '../../server/practice/import.ts';
import {
  call,
  demoApp,
  demoStore,
  NOW,
  row,
  STORE_KIND,
  testConfig,
  twoStores,
  verifiedToken,
} from '../helpers.ts';

/**
 * Half a minute past NOW: an answer made on the exact first instant of a minute is never kept (see
 * the last test), so the clock of these tests is not on one.
 */
const LATER = NOW + 30_000;

/** The store, counting how often the app reads or writes through it. */
function counting(store: Store) {
  let calls = 0;
  const counted: Store = {
    dialect: store.dialect,
    read: (fn, options) => {
      calls++;
      return store.read(fn, options);
    },
    write: (fn, options) => {
      calls++;
      return store.write(fn, options);
    },
    changeMark: (practiceId) => store.changeMark(practiceId),
    health: () => store.health(),
    storageTrouble: () => store.storageTrouble(),
    close: () => store.close(),
  };
  return { store: counted, calls: () => calls };
}

/**
 * Waits until the practice's change mark has stayed the same for 50 ms (on PostgreSQL the NOTIFY
 * of a write, the app's own included, arrives a few ms after its commit); at most 5 s.
 */
async function settled(store: Store, practiceId: number) {
  let mark = store.changeMark(practiceId);
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    const now = store.changeMark(practiceId);
    if (now === mark) return;
    mark = now;
  }
  throw new Error('the change mark did not settle');
}

/** The slot starts (HH:MM) of Anna's first visits on Monday 2026-11-30, as an anonymous visitor sees them. */
async function annasMonday(app: ReturnType<typeof createApp>, store: Store, practiceId: number) {
  const id = async (sql: string, value: string) =>
    (await row<{ id: number }>(store, sql, [practiceId, value]))!.id;
  const chain = await id('SELECT id FROM chains WHERE practice_id = ? AND key = ?', 'physio-erstbefund');
  const anna = await id('SELECT id FROM therapists WHERE practice_id = ? AND name = ?', 'Anna Berg');
  const url = `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30&therapist=${anna}`;
  const starts = async (): Promise<string[]> =>
    (await call(app, 'GET', url)).body.days[0].slots.map((s: any) => s.start.slice(11, 16));
  return { chain, anna, starts };
}

/** Closes Anna's Monday, as a write through `store` outside the app: it says whose answers it changes. */
function closeAnnasMonday(store: Store, practiceId: number, anna: number) {
  return store.write(async (tx) => {
    await tx.run(
      "INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind) VALUES (?, ?, '2026-11-30', 'closed')",
      [practiceId, anna],
    );
    tx.touch(practiceId);
  });
}

describe('cached slot answers', () => {
  it('are served again at the same state, and change as soon as this app books or a write through the store commits', async () => {
    const demo = await demoStore();
    const { store, calls } = counting(demo.store);
    const app = createApp({ store, clock: () => LATER, config: testConfig });
    const { chain, anna, starts } = await annasMonday(app, demo.store, demo.practiceId);

    expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']);
    await settled(store, demo.practiceId);
    expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']);
    // The same request at the same state: from the cache, without touching the database.
    const before = calls();
    expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']);
    expect(calls()).toBe(before);

    const booked = await call(app, 'POST', '/api/v1/p/demo/bookings', {
      token: verifiedToken(demo.practiceId, 'cora@example.org'),
      headers: { 'idempotency-key': 'cache-1' },
      body: {
        chain,
        start: '2026-11-30T08:00:00+01:00',
        therapist: anna,
        client: { firstName: 'Cora', lastName: 'Che', email: 'cora@example.org', consent: true },
      },
    });
    expect(booked.status).toBe(201);
    // 08:00 + 50 min + 10 min buffer: Anna is free again at 09:00.
    expect((await starts())[0]).toBe('09:00');
    await settled(store, demo.practiceId);
    expect((await starts())[0]).toBe('09:00');
    const cached = calls();
    expect((await starts())[0]).toBe('09:00');
    expect(calls()).toBe(cached);

    // Staff (say) close Anna's day, through the store but not through this app's routes.
    await closeAnnasMonday(demo.store, demo.practiceId, anna);
    expect(await starts()).toEqual([]);
  });

  it('change once another process (SQLite: the same file) or app instance (PostgreSQL: the same database) writes', async () => {
    const two = await twoStores();
    try {
      const { practiceId } = await importPractice(two.store, demoDocument(), { now: NOW });
      const { store, calls } = counting(two.store);
      const app = createApp({ store, clock: () => LATER, config: testConfig });
      const { anna, starts } = await annasMonday(app, two.store, practiceId);
      expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']);
      await settled(two.store, practiceId);
      expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']);
      const before = calls();
      expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']);
      expect(calls()).toBe(before); // from the cache

      await closeAnnasMonday(two.other, practiceId, anna);
      // SQLite sees the other connection's commit at once; PostgreSQL hears of it by NOTIFY a
      // few ms later, so there the answer may be the old one for that long (at most 2 s here).
      let seen = await starts();
      for (let i = 0; STORE_KIND === 'postgres' && seen.length > 0 && i < 200; i++) {
        await sleep(10);
        seen = await starts();
      }
      expect(seen).toEqual([]);
    } finally {
      await two.close();
    }
  });
});

describe('the answer cache and the clock', () => {
  it('does not keep an answer made on the exact first instant of a minute', async () => {
    const onTheMinute = Date.UTC(2026, 10, 27, 9, 0, 0, 0);
    const d = await demoApp(onTheMinute);
    const url = `/api/v1/p/demo/slots?chain=${await d.chainId('physio-erstbefund')}&from=2026-11-27&to=2026-11-27&therapist=${await d.therapistId('Anna Berg')}`;
    // Notice is 120 min: at 10:00:00.000 Berlin 12:00 is bookable, a moment later it is not.
    const first = (await call(d.app, 'GET', url)).body.days[0].slots[0].start;
    d.setNow(onTheMinute + 30_000);
    const later = (await call(d.app, 'GET', url)).body.days[0].slots[0].start;
    expect(first).toBe('2026-11-27T12:00:00+01:00');
    expect(later).toBe('2026-11-27T12:15:00+01:00');
  });
});
