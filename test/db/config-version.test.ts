/**
 * The practice's configuration in memory: current as long as practices.config_version has not
 * moved, and every change to what decides the offer moves it — whoever makes the change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { practiceConfig } from '../../server/booking/config.ts';
import { type Db, openDatabase, writeTransaction } from '../../server/db/index.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice } from '../../server/practice/import.ts';
import { call, NOW, testConfig } from '../helpers.ts';

let dir: string;
let db: Db;
/** Another connection on the same file: a second server process, or a tool. */
let other: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-config-'));
  const path = join(dir, 'c.db');
  db = openDatabase(path);
  importPractice(db, demoDocument(), { now: NOW });
  other = new Database(path);
});

afterEach(() => {
  other.close();
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const version = () =>
  (other.prepare("SELECT config_version AS v FROM practices WHERE slug = 'demo'").get() as { v: number }).v;

const demoChain = () =>
  (other.prepare("SELECT id FROM chains WHERE key = 'physio-erstbefund'").get() as { id: number }).id;

/** A new client's booking of the first physiotherapy visit at `start`. */
function bookFirstVisit(app: ReturnType<typeof createApp>, start: string, key: string) {
  return call(app, 'POST', '/api/v1/p/demo/bookings', {
    body: {
      chain: demoChain(),
      start,
      client: { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true },
    },
    headers: { 'idempotency-key': key },
  });
}

const CONFIG_TABLES = [
  'therapists',
  'rooms',
  'working_hours',
  'availability_exceptions',
  'services',
  'package_templates',
  'chains',
  'chain_lines',
  'chain_therapists',
  'chain_package_rules',
];

describe('practices.config_version', () => {
  it.each(CONFIG_TABLES)('moves on every insert, update and delete in %s', (table) => {
    const row = other.prepare(`SELECT * FROM ${table} ORDER BY rowid LIMIT 1`).get() as Record<
      string,
      unknown
    >;
    expect(row).toBeDefined();
    const v0 = version();
    other
      .prepare(
        `UPDATE ${table} SET practice_id = practice_id WHERE rowid = (SELECT min(rowid) FROM ${table})`,
      )
      .run();
    expect(version()).toBe(v0 + 1);
    other.pragma('foreign_keys = OFF');
    other.prepare(`DELETE FROM ${table} WHERE rowid = (SELECT min(rowid) FROM ${table})`).run();
    expect(version()).toBe(v0 + 2);
    const columns = Object.keys(row);
    other
      .prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
      )
      .run(row);
    expect(version()).toBe(v0 + 3);
  });

  it("moves when the practice's own settings change, and not for bookings, clients or mails", async () => {
    const v0 = version();
    other.prepare("UPDATE practices SET min_notice_minutes = 60 WHERE slug = 'demo'").run();
    expect(version()).toBe(v0 + 1);
    const app = createApp({ db, clock: () => NOW, config: testConfig });
    const res = await bookFirstVisit(app, '2026-11-30T08:00:00+01:00', 'v1');
    expect(res.status).toBe(201);
    expect(version()).toBe(v0 + 1);
  });
});

describe('practiceConfig', () => {
  it('hands out the same frozen copy while nothing changed, and a new one after a change elsewhere', () => {
    const first = practiceConfig(db, 'demo')!;
    expect(practiceConfig(db, 'demo')).toBe(first);
    const chain = first.chains[0]!;
    expect(() => {
      (chain as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(() => (chain.lines as unknown[]).push({})).toThrow(TypeError);

    other.prepare('UPDATE chains SET name = ? WHERE id = ?').run('Neuer Name', chain.id);
    const second = practiceConfig(db, 'demo')!;
    expect(second).not.toBe(first);
    expect(second.chainById.get(chain.id)!.name).toBe('Neuer Name');
    expect(practiceConfig(db, 'demo')).toBe(second);
  });

  it('never keeps a copy read inside a transaction that then rolled back', async () => {
    const room = other.prepare('SELECT id, name FROM rooms ORDER BY id LIMIT 1').get() as {
      id: number;
      name: string;
    };
    await expect(
      writeTransaction(db, () => {
        db.$client.prepare("UPDATE rooms SET name = 'ROLLED-BACK' WHERE id = ?").run(room.id);
        expect(practiceConfig(db, 'demo')!.rooms.find((r) => r.id === room.id)!.name).toBe('ROLLED-BACK');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // Another change now takes the version number the rolled-back one had.
    other.prepare("UPDATE practices SET name = 'Neuer Praxisname' WHERE slug = 'demo'").run();
    const config = practiceConfig(db, 'demo')!;
    expect(config.practice.name).toBe('Neuer Praxisname');
    expect(config.rooms.find((r) => r.id === room.id)!.name).toBe(room.name);
  });

  it('knows no practice that is not there', () => {
    expect(practiceConfig(db, 'nope')).toBeUndefined();
  });
});

describe('the API follows a change made by another process', () => {
  it('offers slots by the new working hours and refuses a chain switched off for online booking', async () => {
    const app = createApp({ db, clock: () => NOW, config: testConfig });
    const chain = demoChain();
    const mondayFirst = async () => {
      const res = await call(app, 'GET', `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30`);
      expect(res.status).toBe(200);
      return res.body.days[0].slots[0]?.start as string | undefined;
    };
    expect(await mondayFirst()).toBe('2026-11-30T08:00:00+01:00');
    // Every Monday block now starts at 10:00.
    other
      .prepare('UPDATE working_hours SET start_minute = 600 WHERE weekday = 1 AND start_minute < 600')
      .run();
    expect(await mondayFirst()).toBe('2026-11-30T10:00:00+01:00');

    other.prepare('UPDATE chains SET online_bookable = 0 WHERE id = ?').run(chain);
    const res = await bookFirstVisit(app, '2026-11-30T10:00:00+01:00', 'off');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('chain_not_bookable');
  });

  it('books by the configuration as it is inside the transaction, whatever copy the route holds', async () => {
    const app = createApp({ db, clock: () => NOW, config: testConfig });
    const count = () => (other.prepare('SELECT count(*) AS n FROM appointments').get() as { n: number }).n;
    const slots = () =>
      call(app, 'GET', `/api/v1/p/demo/slots?chain=${demoChain()}&from=2026-11-30&to=2026-11-30`);
    expect((await slots()).status).toBe(200); // this connection now keeps a copy: online booking on
    const before = count();

    // Switched off elsewhere: the copy in memory still says on, the transaction reads off.
    other.prepare("UPDATE practices SET online_booking_enabled = 0 WHERE slug = 'demo'").run();
    const off = await bookFirstVisit(app, '2026-11-30T08:00:00+01:00', 'while-off');
    expect(off.status).toBe(403);
    expect(off.body.code).toBe('online_booking_disabled');
    expect(count()).toBe(before);

    // Now the copy kept says off (slots read it anew and refused), and it is switched on again
    // elsewhere: the booking goes through.
    expect((await slots()).status).toBe(403);
    other.prepare("UPDATE practices SET online_booking_enabled = 1 WHERE slug = 'demo'").run();
    const on = await bookFirstVisit(app, '2026-11-30T08:00:00+01:00', 'on-again');
    expect(on.status).toBe(201);
    expect(count()).toBe(before + 1);
  });

  it('books into the practice that has the address now, after another one held it', async () => {
    const app = createApp({ db, clock: () => NOW, config: testConfig });
    const slots = (chain: number) =>
      call(app, 'GET', `/api/v1/p/demo/slots?chain=${chain}&from=2026-11-30&to=2026-11-30`);
    expect((await slots(demoChain())).status).toBe(200); // this connection keeps the old practice
    // Elsewhere the old practice moves to another address and a new one takes "demo".
    other.prepare("UPDATE practices SET slug = 'demo-alt' WHERE slug = 'demo'").run();
    const tool = openDatabase(join(dir, 'c.db'));
    const { practiceId } = importPractice(tool, demoDocument(), { now: NOW });
    tool.$client.close();
    const chain = (
      other
        .prepare("SELECT id FROM chains WHERE key = 'physio-erstbefund' AND practice_id = ?")
        .get(practiceId) as {
        id: number;
      }
    ).id;
    const res = await call(app, 'POST', '/api/v1/p/demo/bookings', {
      body: {
        chain,
        start: '2026-11-30T08:00:00+01:00',
        client: { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true },
      },
      headers: { 'idempotency-key': 'new-home' },
    });
    expect(res.status).toBe(201);
    const booked = other
      .prepare('SELECT practice_id AS p FROM appointments WHERE id = ?')
      .get(res.body.id) as {
      p: number;
    };
    expect(booked.p).toBe(practiceId);
  });
});
