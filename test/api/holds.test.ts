/**
 * Holds: a visitor keeps a start for a few minutes while they confirm their address. Everyone else
 * sees it as taken; the booking that names the hold takes its place; it runs out by itself; only
 * its maker can book with it; and holds are limited per address and per practice.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { importPractice } from '../../server/practice/import.ts';
import {
  allWeekPracticeDoc,
  call,
  type DemoApp,
  demoApp,
  demoDoc,
  demoStore,
  NOW,
  testConfig,
  verifiedToken,
} from '../helpers.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Monday 2026-11-30, 08:00 Berlin. */
const MONDAY_8 = '2026-11-30T08:00:00+01:00';
const nora = { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true as const };
const otto = { firstName: 'Otto', lastName: 'Ohne', email: 'otto@example.org', consent: true as const };

function hold(
  d: DemoApp,
  body: Record<string, unknown>,
  init: { token?: string; headers?: Record<string, string> } = {},
) {
  return call(d.app, 'POST', '/api/v1/p/demo/holds', { body, ...init });
}

function book(d: DemoApp, body: Record<string, unknown>, key: string, token: string) {
  return call(d.app, 'POST', '/api/v1/p/demo/bookings', { body, token, headers: { 'idempotency-key': key } });
}

/** The starts Anna is offered on Monday morning for a first visit, anonymously. */
async function annasStarts(d: DemoApp) {
  const chain = await d.chainId('physio-erstbefund');
  const anna = await d.therapistId('Anna Berg');
  const res = await call(
    d.app,
    'GET',
    `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30&therapist=${anna}`,
  );
  expect(res.status).toBe(200);
  return (res.body.days[0]?.slots ?? []).map((s: { start: string }) => s.start) as string[];
}

describe('a hold', () => {
  it('keeps the start for ten minutes: it leaves the slot list, and nobody else can hold or book it', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const anna = await d.therapistId('Anna Berg');
    expect(await annasStarts(d)).toContain(MONDAY_8);
    const held = await hold(d, { chain, start: MONDAY_8, therapist: anna });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({
      expiresAt: new Date(NOW + 10 * MINUTE).toISOString(),
      start: '2026-11-30T07:00:00.000Z',
      end: '2026-11-30T07:50:00.000Z',
      chain: { id: chain, name: 'Physiotherapie Erstbefund' },
      therapist: { id: anna, name: 'Anna Berg' },
    });
    expect(held.body.hold).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(await annasStarts(d)).not.toContain(MONDAY_8);
    // Anna is busy then for everyone else: holding again, or booking without the hold.
    const again = await hold(d, { chain, start: MONDAY_8, therapist: anna });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('slot_taken');
    const other = await book(
      d,
      { chain, start: MONDAY_8, therapist: anna, client: otto },
      'otto',
      d.verified(otto.email),
    );
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('slot_taken');
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE status = 'held'")).toBe(1);
  });

  it('turns into the booking that names it, on its therapist and room', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const held = await hold(d, { chain, start: MONDAY_8 });
    expect(held.status).toBe(201);
    const appointments = await d.count('SELECT count(*) AS n FROM appointments');
    const booked = await book(
      d,
      { chain, start: MONDAY_8, client: nora, hold: held.body.hold },
      'nora-1',
      d.verified(nora.email),
    );
    expect(booked.status).toBe(201);
    expect(booked.body.therapist).toEqual(held.body.therapist);
    expect(booked.body.room).toEqual(held.body.room);
    // The hold is gone; the booking is there instead.
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE status = 'held'")).toBe(0);
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(appointments);
    // A retry with the same key answers the same booking.
    const retry = await book(
      d,
      { chain, start: MONDAY_8, client: nora, hold: held.body.hold },
      'nora-1',
      d.verified(nora.email),
    );
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(booked.body.id);
  });

  it('runs out by itself: then the start is free again, for anyone', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const anna = await d.therapistId('Anna Berg');
    expect((await hold(d, { chain, start: MONDAY_8, therapist: anna })).status).toBe(201);
    d.setNow(NOW + 10 * MINUTE - 1);
    expect(await annasStarts(d)).not.toContain(MONDAY_8);
    d.setNow(NOW + 10 * MINUTE);
    expect(await annasStarts(d)).toContain(MONDAY_8);
    const otto1 = await book(
      d,
      { chain, start: MONDAY_8, therapist: anna, client: otto },
      'otto',
      verifiedToken(d.practiceId, otto.email, NOW + 10 * MINUTE),
    );
    expect(otto1.status).toBe(201);
    // The run-out hold made way: no row of it is left in the booking's time.
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE status = 'held'")).toBe(0);
  });

  it('still books once it has run out, if the start is still free', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const held = await hold(d, { chain, start: MONDAY_8 });
    d.setNow(NOW + 30 * MINUTE);
    const booked = await book(
      d,
      { chain, start: MONDAY_8, client: nora, hold: held.body.hold },
      'late',
      verifiedToken(d.practiceId, nora.email, NOW + 30 * MINUTE),
    );
    expect(booked.status).toBe(201);
  });

  /**
   * Anna's hold on Monday 09:00 (Anna and Mika both work then), run out; then others book `taken`
   * at that time; then Nora books with the hold's token, which still names Anna and her room.
   */
  async function bookAfterRunOut(taken: ('Anna Berg' | 'Mika Sommer')[]) {
    const monday9 = Date.parse('2026-11-30T09:00:00+01:00');
    const start = new Date(monday9).toISOString();
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const held = await hold(d, { chain, start, therapist: await d.therapistId('Anna Berg') });
    expect(held.status).toBe(201);
    d.setNow(NOW + 30 * MINUTE);
    const late = (email: string) => verifiedToken(d.practiceId, email, NOW + 30 * MINUTE);
    const others: { room: { id: number } }[] = [];
    for (const [i, name] of taken.entries()) {
      const who = { ...otto, email: `other-${i}@example.org` };
      const therapist = await d.therapistId(name);
      const other = await book(d, { chain, start, therapist, client: who }, who.email, late(who.email));
      expect(other.status).toBe(201);
      others.push(other.body);
    }
    const booked = await book(
      d,
      { chain, start, client: nora, hold: held.body.hold },
      'nora',
      late(nora.email),
    );
    const atThatTime = await d.count('SELECT count(*) AS n FROM appointments WHERE starts_at = ?', [monday9]);
    return { d, booked, others, atThatTime };
  }

  it('run out and its therapist booked by someone else: the booking with it gets another therapist free then', async () => {
    const { d, booked, others } = await bookAfterRunOut(['Anna Berg']);
    // The hold is gone, so every therapist counts again, not only the one its token names.
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(booked.body.therapist.id).toBe(await d.therapistId('Mika Sommer'));
    expect(booked.body.room.id).not.toBe(others[0]!.room.id);
  });

  it('run out and every therapist booked by others meanwhile: the booking with it finds the start taken', async () => {
    const { booked, atThatTime } = await bookAfterRunOut(['Anna Berg', 'Mika Sommer']);
    expect(booked.status).toBe(409);
    expect(booked.body.code).toBe('slot_taken');
    expect(atThatTime).toBe(2);
  });

  it('is booked only by whoever made it: another client gets 403 hold_not_yours', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-folgetermin');
    const lena = await d.tokenFor('lena.vogel@example.org');
    const held = await hold(d, { chain, start: MONDAY_8 }, { token: lena });
    expect(held.status).toBe(201);
    const tom = await d.tokenFor('tom.becker@example.org');
    const stolen = await book(d, { chain, start: MONDAY_8, hold: held.body.hold }, 'tom', tom);
    expect(stolen.status).toBe(403);
    expect(stolen.body.code).toBe('hold_not_yours');
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE status = 'held'")).toBe(1);
    const mine = await book(d, { chain, start: MONDAY_8, hold: held.body.hold }, 'lena', lena);
    expect(mine.status).toBe(201);
  });

  it('refuses a booking that asks for another start than its hold, and a hold token that is not one', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const held = await hold(d, { chain, start: MONDAY_8 });
    const moved = await book(
      d,
      { chain, start: '2026-11-30T09:00:00+01:00', client: nora, hold: held.body.hold },
      'moved',
      d.verified(nora.email),
    );
    expect(moved.status).toBe(409);
    expect(moved.body.code).toBe('hold_mismatch');
    const forged = await book(
      d,
      { chain, start: MONDAY_8, client: nora, hold: `${held.body.hold.slice(0, -2)}xx` },
      'forged',
      d.verified(nora.email),
    );
    expect(forged.status).toBe(404);
    expect(forged.body.code).toBe('hold_not_found');
  });

  it('can be let go early: the start is free again at once', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const anna = await d.therapistId('Anna Berg');
    const held = await hold(d, { chain, start: MONDAY_8, therapist: anna });
    expect(await annasStarts(d)).not.toContain(MONDAY_8);
    const released = await call(d.app, 'DELETE', `/api/v1/p/demo/holds/${held.body.hold}`);
    expect(released.status).toBe(204);
    expect(await annasStarts(d)).toContain(MONDAY_8);
    // Again: nothing left to let go, no error.
    expect((await call(d.app, 'DELETE', `/api/v1/p/demo/holds/${held.body.hold}`)).status).toBe(204);
  });

  it('is refused for a start the slot list does not offer', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const sunday = await hold(d, { chain, start: '2026-11-29T10:00:00+01:00' });
    expect(sunday.status).toBe(409);
    const offGrid = await hold(d, { chain, start: '2026-11-30T08:07:00+01:00' });
    expect(offGrid.status).toBe(409);
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE status = 'held'")).toBe(0);
  });
});

describe('holds from many visitors', () => {
  /** The demo practice behind proxies (TRUST_PROXY=1), with these hold limits. */
  async function behindProxy(limits: Record<string, unknown>) {
    const { store } = await demoStore();
    const doc = demoDoc();
    doc.practice.slug = 'limits';
    doc.practice.booking = { ...doc.practice.booking, limits };
    const { practiceId } = await importPractice(store, doc, { now: NOW });
    const app = createApp({ store, clock: () => NOW, config: { ...testConfig, trustProxy: 1 } });
    const chain = (await store.read((tx) =>
      tx.get<{ id: number }>("SELECT id FROM chains WHERE practice_id = ? AND key = 'physio-erstbefund'", [
        practiceId,
      ]),
    ))!.id;
    const slots = await call(
      app,
      'GET',
      `/api/v1/p/limits/slots?chain=${chain}&from=2026-11-30&to=2027-01-15`,
    );
    // Starts an hour apart (a first visit takes 50 minutes): no hold stands in another's way.
    const starts: string[] = [];
    for (const day of slots.body.days as { slots: { start: string }[] }[]) {
      let last = Number.NEGATIVE_INFINITY;
      for (const { start } of day.slots) {
        if (Date.parse(start) - last < 60 * MINUTE) continue;
        starts.push(start);
        last = Date.parse(start);
      }
    }
    const holdFrom = (address: string, start: string) =>
      call(app, 'POST', '/api/v1/p/limits/holds', {
        body: { chain, start },
        headers: { 'x-forwarded-for': address },
      });
    const held = () =>
      store.read(async (tx) =>
        Number(
          (await tx.get<{ n: number }>(
            "SELECT count(*) AS n FROM appointments WHERE practice_id = ? AND status = 'held'",
            [practiceId],
          ))!.n,
        ),
      );
    return { starts, holdFrom, held };
  }

  it('hold at most the per-address limit from one address (10 an hour by default), then 429', async () => {
    const { starts, holdFrom, held } = await behindProxy({});
    const statuses: number[] = [];
    for (const start of starts.slice(0, 15)) statuses.push((await holdFrom('203.0.113.7', start)).status);
    expect(statuses).toEqual([...Array(10).fill(201), ...Array(5).fill(429)]);
    expect(await held()).toBe(10);
  });

  it('hold at most the practice’s limit from 50 addresses together, whatever each may', async () => {
    const { starts, holdFrom, held } = await behindProxy({
      holdsPerAddress: { count: 3, minutes: 60 },
      holdsPerPractice: { count: 40, minutes: 60 },
    });
    expect(starts.length).toBeGreaterThan(200);
    let next = 0;
    const answers: number[] = [];
    for (let a = 0; a < 50; a++) {
      for (let i = 0; i < 4; i++)
        answers.push((await holdFrom(`198.51.100.${a + 1}`, starts[next++]!)).status);
    }
    expect(answers.filter((s) => s === 201)).toHaveLength(40);
    expect(answers.filter((s) => s !== 201 && s !== 429)).toEqual([]);
    expect(await held()).toBe(40);
  });

  it('hold exactly the practice’s limit also when it is below the number of its counters (3)', async () => {
    const { starts, holdFrom, held } = await behindProxy({
      holdsPerAddress: { count: 15, minutes: 60 },
      holdsPerPractice: { count: 3, minutes: 60 },
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => holdFrom(`192.0.2.${i + 1}`, starts[i]!)),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([...Array(3).fill(201), ...Array(9).fill(429)]);
    for (const r of answers.filter((x) => x.status === 429))
      expect(Number(r.headers.get('retry-after'))).toBe(3600);
    expect(await held()).toBe(3);
  });

  it('hold exactly the practice’s limit when 60 holds come at the same moment, and say when to try again', async () => {
    // The practice's limit is kept on several counters (so that holds at the same moment do not
    // wait for one row). Four addresses, fifteen holds each: a hold whose counter is full moves on
    // to one with room, so together they still let exactly 40 through, on PostgreSQL in parallel.
    const { starts, holdFrom, held } = await behindProxy({
      holdsPerAddress: { count: 15, minutes: 60 },
      holdsPerPractice: { count: 40, minutes: 60 },
    });
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => holdFrom(`192.0.2.${(i % 4) + 1}`, starts[i]!)),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(40);
    const refused = answers.filter((r) => r.status !== 201);
    expect(refused.map((r) => r.status)).toEqual(Array(20).fill(429));
    // The first of the counters frees up at the end of its hour.
    for (const r of refused) expect(Number(r.headers.get('retry-after'))).toBe(3600);
    expect(await held()).toBe(40);
    // Full, the practice stays full for everyone, also for addresses not seen yet.
    expect((await holdFrom('192.0.2.200', starts[100]!)).status).toBe(429);
    expect(await held()).toBe(40);
  });
});

describe('in compact mode, next to an appointment placed off the minute', () => {
  it('offers, holds and books the start where the busy minutes end', async () => {
    // Compact: the starts offered are the edges of the free time. The staff API takes any instant,
    // so an appointment can end at 10:15:30; it blocks the minutes it touches, for the search, the
    // hold and the booking alike.
    const d = await demoApp();
    const doc = allWeekPracticeDoc() as Record<string, any>;
    doc.practice.slug = 'kompakt';
    doc.practice.booking.slotMode = 'compact';
    doc.clients = [{ key: 'k', firstName: 'Kim', lastName: 'K' }];
    const { practiceId } = await importPractice(d.store, doc, { now: NOW });
    const id = async (table: string) =>
      (await d.row<{ id: number }>(`SELECT id FROM ${table} WHERE practice_id = ?`, [practiceId]))!.id;
    const [chain, therapist, client] = [await id('chains'), await id('therapists'), await id('clients')];
    // Monday 2026-11-30, 09:15:30–10:15:30 in Berlin.
    const start = Date.UTC(2026, 10, 30, 8, 15, 30);
    await d.exec(
      `INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, blocked_until, status, source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'booked', 'staff', ?)`,
      [practiceId, client, therapist, start, start + HOUR, start + HOUR, NOW],
    );
    const slots = await call(
      d.app,
      'GET',
      `/api/v1/p/kompakt/slots?chain=${chain}&from=2026-11-30&to=2026-11-30`,
    );
    expect(slots.status).toBe(200);
    const starts = slots.body.days[0].slots.map((x: { start: string }) => x.start);
    // 08:00 and 08:15 before it (an hour up to its first minute), 10:16 after it, and 17:00.
    expect(starts).toEqual([
      '2026-11-30T08:00:00+01:00',
      '2026-11-30T08:15:00+01:00',
      '2026-11-30T10:16:00+01:00',
      '2026-11-30T17:00:00+01:00',
    ]);
    const held = await call(d.app, 'POST', '/api/v1/p/kompakt/holds', {
      body: { chain, start: '2026-11-30T10:16:00+01:00' },
    });
    expect(held.status).toBe(201);
    const booked = await call(d.app, 'POST', '/api/v1/p/kompakt/bookings', {
      token: d.verifiedAt(practiceId, nora.email),
      headers: { 'idempotency-key': 'compact-1' },
      body: { chain, start: '2026-11-30T10:16:00+01:00', client: nora, hold: held.body.hold },
    });
    expect(booked.status).toBe(201);
    expect(booked.body.start).toBe('2026-11-30T09:16:00.000Z');
    // And the start before it, which ends on the appointment's first minute, without a hold.
    const before = await call(d.app, 'POST', '/api/v1/p/kompakt/bookings', {
      token: d.verifiedAt(practiceId, otto.email),
      headers: { 'idempotency-key': 'compact-2' },
      body: { chain, start: '2026-11-30T08:15:00+01:00', client: otto },
    });
    expect(before.status).toBe(201);
  });
});
