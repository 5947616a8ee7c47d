/**
 * The practice's configuration in memory: current as long as practices.config_version has not
 * moved, and every change to what decides the offer moves it — whoever makes the change (another
 * process on the SQLite file, another app instance on PostgreSQL, a tool).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { practiceConfig, practiceConfigIn } from '../../server/booking/config.ts';
import type { Store } from '../../server/db/store.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice } from '../../server/practice/import.ts';
import { call, count, exec, NOW, row, STORE_KIND, testConfig, twoStores, verifiedToken } from '../helpers.ts';

let store: Store;
/** Another store on the same database: a second server process or app instance, or a tool. */
let other: Store;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ store, other, close } = await twoStores());
  await importPractice(store, demoDocument(), { now: NOW });
});

afterEach(async () => {
  await close();
});

const version = async () =>
  (await row<{ v: number }>(other, "SELECT config_version AS v FROM practices WHERE slug = 'demo'"))!.v;
const idOf = async (sql: string) => (await row<{ id: number }>(other, sql))!.id;
const demoChain = () =>
  idOf(
    "SELECT c.id FROM chains c JOIN practices p ON p.id = c.practice_id WHERE p.slug = 'demo' AND c.key = 'physio-erstbefund'",
  );

/** A new client's booking of the first physiotherapy visit at `start`. */
async function bookFirstVisit(app: ReturnType<typeof createApp>, start: string, key: string) {
  const practiceId = await idOf("SELECT id FROM practices WHERE slug = 'demo'");
  return call(app, 'POST', '/api/v1/p/demo/bookings', {
    token: verifiedToken(practiceId, 'nora@example.org'),
    body: {
      chain: await demoChain(),
      start,
      client: { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true },
    },
    headers: { 'idempotency-key': key },
  });
}

/**
 * For each table that decides what can be booked: a row to insert (from the demo's ids), a change
 * to it, and how to find it again.
 */
const CONFIG_ROWS: Record<string, { insert: string; update: string; where: string }> = {
  therapists: {
    insert:
      "INSERT INTO therapists (practice_id, key, name) SELECT id, 'neu', 'Neu' FROM practices WHERE slug = 'demo'",
    update: "UPDATE therapists SET name = 'Neuer Name' WHERE key = 'neu'",
    where: "key = 'neu'",
  },
  rooms: {
    insert:
      "INSERT INTO rooms (practice_id, key, name) SELECT id, 'neu', 'Neu' FROM practices WHERE slug = 'demo'",
    update: "UPDATE rooms SET name = 'Raum X' WHERE key = 'neu'",
    where: "key = 'neu'",
  },
  working_hours: {
    insert:
      'INSERT INTO working_hours (practice_id, therapist_id, weekday, start_minute, end_minute) SELECT practice_id, id, 7, 600, 660 FROM therapists WHERE id = (SELECT min(id) FROM therapists)',
    update: 'UPDATE working_hours SET end_minute = 700 WHERE weekday = 7 AND start_minute = 600',
    where: 'weekday = 7 AND start_minute = 600',
  },
  availability_exceptions: {
    insert:
      "INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind) SELECT practice_id, id, '2031-01-02', 'closed' FROM therapists WHERE id = (SELECT min(id) FROM therapists)",
    update: "UPDATE availability_exceptions SET note = 'Urlaub' WHERE date = '2031-01-02'",
    where: "date = '2031-01-02'",
  },
  services: {
    insert:
      "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) SELECT id, 'NEU', 'Neu', 1000, 30 FROM practices WHERE slug = 'demo'",
    update: "UPDATE services SET price_cents = 1100 WHERE code = 'NEU'",
    where: "code = 'NEU'",
  },
  package_templates: {
    insert:
      "INSERT INTO package_templates (practice_id, key, name, max_appointments, validity_kind) SELECT id, 'neu', 'Neu', 3, 'none' FROM practices WHERE slug = 'demo'",
    update: "UPDATE package_templates SET max_appointments = 4 WHERE key = 'neu'",
    where: "key = 'neu'",
  },
  chains: {
    insert:
      "INSERT INTO chains (practice_id, key, name) SELECT id, 'neu', 'Neu' FROM practices WHERE slug = 'demo'",
    update: "UPDATE chains SET name = 'Neue Kette' WHERE key = 'neu'",
    where: "key = 'neu'",
  },
  chain_lines: {
    insert:
      "INSERT INTO chain_lines (practice_id, chain_id, service_id, quantity, position) SELECT c.practice_id, c.id, s.id, 1, 9 FROM chains c JOIN services s ON s.practice_id = c.practice_id WHERE c.key = 'coaching' AND s.code = 'KG'",
    update: 'UPDATE chain_lines SET quantity = 2 WHERE position = 9',
    where: 'position = 9',
  },
  chain_therapists: {
    insert:
      "INSERT INTO chain_therapists (practice_id, chain_id, therapist_id) SELECT c.practice_id, c.id, t.id FROM chains c JOIN therapists t ON t.practice_id = c.practice_id WHERE c.key = 'coaching' AND t.key = 'anna'",
    update:
      "UPDATE chain_therapists SET practice_id = practice_id WHERE chain_id = (SELECT id FROM chains WHERE key = 'coaching') AND therapist_id = (SELECT id FROM therapists WHERE key = 'anna')",
    where:
      "chain_id = (SELECT id FROM chains WHERE key = 'coaching') AND therapist_id = (SELECT id FROM therapists WHERE key = 'anna')",
  },
  chain_package_rules: {
    insert:
      "INSERT INTO chain_package_rules (practice_id, chain_id, template_id, when_present) SELECT c.practice_id, c.id, t.id, TRUE FROM chains c JOIN package_templates t ON t.practice_id = c.practice_id WHERE c.key = 'hp-erstgespraech' AND t.key = 'zusatz'",
    update:
      "UPDATE chain_package_rules SET when_exhausted = TRUE WHERE chain_id = (SELECT id FROM chains WHERE key = 'hp-erstgespraech')",
    where: "chain_id = (SELECT id FROM chains WHERE key = 'hp-erstgespraech')",
  },
};

describe(`practices.config_version (${STORE_KIND})`, () => {
  it.each(Object.keys(CONFIG_ROWS))('moves on every insert, update and delete in %s', async (table) => {
    const r = CONFIG_ROWS[table]!;
    const v0 = await version();
    expect(await exec(other, r.insert)).toBe(1);
    expect(await version()).toBe(v0 + 1);
    expect(await exec(other, r.update)).toBe(1);
    expect(await version()).toBe(v0 + 2);
    expect(await exec(other, `DELETE FROM ${table} WHERE ${r.where}`)).toBe(1);
    expect(await version()).toBe(v0 + 3);
  });

  it("moves when the practice's own settings change, and not for bookings, clients or mails", async () => {
    const v0 = await version();
    await exec(other, "UPDATE practices SET min_notice_minutes = 60 WHERE slug = 'demo'");
    expect(await version()).toBe(v0 + 1);
    const app = createApp({ store, clock: () => NOW, config: testConfig });
    const res = await bookFirstVisit(app, '2026-11-30T08:00:00+01:00', 'v1');
    expect(res.status).toBe(201);
    expect(await version()).toBe(v0 + 1);
  });
});

describe(`practiceConfig (${STORE_KIND})`, () => {
  it('hands out the same frozen copy while nothing changed, and a new one after a change elsewhere', async () => {
    const first = (await practiceConfig(store, 'demo'))!;
    expect(await practiceConfig(store, 'demo')).toBe(first);
    const chain = first.chains[0]!;
    expect(() => {
      (chain as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(() => (chain.lines as unknown[]).push({})).toThrow(TypeError);

    await exec(other, 'UPDATE chains SET name = ? WHERE id = ?', ['Neuer Name', chain.id]);
    const second = (await practiceConfig(store, 'demo'))!;
    expect(second).not.toBe(first);
    expect(second.chainById.get(chain.id)!.name).toBe('Neuer Name');
    expect(await practiceConfig(store, 'demo')).toBe(second);
  });

  it('never keeps a copy read inside a transaction that then rolled back', async () => {
    const room = (await row<{ id: number; name: string }>(
      other,
      'SELECT id, name FROM rooms ORDER BY id LIMIT 1',
    ))!;
    await expect(
      store.write(async (tx) => {
        await tx.run("UPDATE rooms SET name = 'ROLLED-BACK' WHERE id = ?", [room.id]);
        const inside = (await practiceConfigIn(store, tx, 'demo'))!;
        expect(inside.rooms.find((r) => r.id === room.id)!.name).toBe('ROLLED-BACK');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // Another change now takes the version number the rolled-back one had.
    await exec(other, "UPDATE practices SET name = 'Neuer Praxisname' WHERE slug = 'demo'");
    const config = (await practiceConfig(store, 'demo'))!;
    expect(config.practice.name).toBe('Neuer Praxisname');
    expect(config.rooms.find((r) => r.id === room.id)!.name).toBe(room.name);
  });

  it('knows no practice that is not there', async () => {
    expect(await practiceConfig(store, 'nope')).toBeUndefined();
  });
});

describe(`the API follows a change made elsewhere (${STORE_KIND})`, () => {
  it('offers slots by the new working hours and refuses a chain switched off for online booking', async () => {
    const app = createApp({ store, clock: () => NOW, config: testConfig });
    const chain = await demoChain();
    const mondayFirst = async () => {
      const res = await call(app, 'GET', `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30`);
      expect(res.status).toBe(200);
      return res.body.days[0].slots[0]?.start as string | undefined;
    };
    expect(await mondayFirst()).toBe('2026-11-30T08:00:00+01:00');
    // Every Monday block now starts at 10:00.
    await exec(other, 'UPDATE working_hours SET start_minute = 600 WHERE weekday = 1 AND start_minute < 600');
    expect(await mondayFirst()).toBe('2026-11-30T10:00:00+01:00');

    await exec(other, 'UPDATE chains SET online_bookable = FALSE WHERE id = ?', [chain]);
    const res = await bookFirstVisit(app, '2026-11-30T10:00:00+01:00', 'off');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('chain_not_bookable');
    const slots = () => call(app, 'GET', `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30`);
    expect((await slots()).body.code).toBe('chain_not_bookable');
    // Switched on again elsewhere: the copy kept here still says no, the practice says yes.
    await exec(other, 'UPDATE chains SET online_bookable = TRUE WHERE id = ?', [chain]);
    expect(await mondayFirst()).toBe('2026-11-30T10:00:00+01:00');
    // And online booking switched off for the whole practice: refused, though the copy here allowed it.
    await exec(other, "UPDATE practices SET online_booking_enabled = FALSE WHERE slug = 'demo'");
    expect((await slots()).body.code).toBe('online_booking_disabled');
  });

  it('books by the configuration as it is inside the transaction, whatever copy the route holds', async () => {
    const app = createApp({ store, clock: () => NOW, config: testConfig });
    const appointments = () => count(other, 'SELECT count(*) AS n FROM appointments');
    const chain = await demoChain();
    const slots = () => call(app, 'GET', `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30`);
    expect((await slots()).status).toBe(200); // this store now keeps a copy: online booking on
    const before = await appointments();

    // Switched off elsewhere: the copy in memory still says on, the transaction reads off.
    await exec(other, "UPDATE practices SET online_booking_enabled = FALSE WHERE slug = 'demo'");
    const off = await bookFirstVisit(app, '2026-11-30T08:00:00+01:00', 'while-off');
    expect(off.status).toBe(403);
    expect(off.body.code).toBe('online_booking_disabled');
    expect(await appointments()).toBe(before);

    // Now the copy kept says off (slots read it anew and refused), and it is switched on again
    // elsewhere: the booking goes through.
    expect((await slots()).status).toBe(403);
    await exec(other, "UPDATE practices SET online_booking_enabled = TRUE WHERE slug = 'demo'");
    const on = await bookFirstVisit(app, '2026-11-30T08:00:00+01:00', 'on-again');
    expect(on.status).toBe(201);
    expect(await appointments()).toBe(before + 1);
  });

  it('books into the practice that has the address now, after another one held it', async () => {
    const app = createApp({ store, clock: () => NOW, config: testConfig });
    const slots = (chain: number) =>
      call(app, 'GET', `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30`);
    expect((await slots(await demoChain())).status).toBe(200); // this store keeps the old practice
    // Elsewhere the old practice moves to another address and a new one takes "demo".
    await exec(other, "UPDATE practices SET slug = 'demo-alt' WHERE slug = 'demo'");
    const { practiceId } = await importPractice(other, demoDocument(), { now: NOW });
    const res = await call(app, 'POST', '/api/v1/p/demo/bookings', {
      token: verifiedToken(practiceId, 'nora@example.org'),
      body: {
        chain: await demoChain(),
        start: '2026-11-30T08:00:00+01:00',
        client: { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true },
      },
      headers: { 'idempotency-key': 'new-home' },
    });
    expect(res.status).toBe(201);
    const booked = await row<{ p: number }>(other, 'SELECT practice_id AS p FROM appointments WHERE id = ?', [
      res.body.id,
    ]);
    expect(booked!.p).toBe(practiceId);
  });
});
