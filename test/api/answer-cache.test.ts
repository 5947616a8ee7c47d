/**
 * The slot answers are cached until the next write: a booking in this process, or any write by
 * another process on the same database file, is seen at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { openDatabase } from '../../server/db/index.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice } from '../../server/practice/import.ts';
import { call, NOW, testConfig } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'terminkette-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cached slot answers', () => {
  it('change as soon as this process books, and as soon as another connection writes', async () => {
    const file = join(dir, 'cache.db');
    const a = openDatabase(file);
    importPractice(a, demoDocument(), { now: NOW });
    const app = createApp({ db: a, clock: () => NOW, config: testConfig });
    const chain = (
      a.$client.prepare("SELECT id FROM chains WHERE key = 'physio-erstbefund'").get() as { id: number }
    ).id;
    const anna = (
      a.$client.prepare("SELECT id FROM therapists WHERE name = 'Anna Berg'").get() as { id: number }
    ).id;
    const url = `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30&therapist=${anna}`;
    const starts = async () =>
      (await call(app, 'GET', url)).body.days[0].slots.map((s: any) => s.start.slice(11, 16));

    expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']);
    expect((await starts()).slice(0, 2)).toEqual(['08:00', '08:15']); // from the cache

    const booked = await call(app, 'POST', '/api/v1/p/demo/bookings', {
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

    // Another connection (another process, as far as SQLite knows) closes Anna's day.
    const b = openDatabase(file);
    b.$client
      .prepare(
        "INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind) VALUES (1, ?, '2026-11-30', 'closed')",
      )
      .run(anna);
    b.$client.close();
    expect(await starts()).toEqual([]);
    a.$client.close();
  });
});

describe('the answer cache and the clock', () => {
  it('does not keep an answer made on the exact first instant of a minute', async () => {
    const d = await import('../helpers.ts');
    const onTheMinute = Date.UTC(2026, 10, 27, 9, 0, 0, 0);
    const app = d.demoApp(onTheMinute);
    const url = `/api/v1/p/demo/slots?chain=${app.chainId('physio-erstbefund')}&from=2026-11-27&to=2026-11-27&therapist=${app.therapistId('Anna Berg')}`;
    // Notice is 120 min: at 10:00:00.000 Berlin 12:00 is bookable, a moment later it is not.
    const first = (await call(app.app, 'GET', url)).body.days[0].slots[0].start;
    app.setNow(onTheMinute + 30_000);
    const later = (await call(app.app, 'GET', url)).body.days[0].slots[0].start;
    expect(first).toBe('2026-11-27T12:00:00+01:00');
    expect(later).toBe('2026-11-27T12:15:00+01:00');
  });
});
