/**
 * Turns at the write lock among the processes of one server: first come, first served, one at a
 * time; a process that ends gives up its turn; a connection with a gate writes only in its turn.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase, setWriteGate, writeTransaction } from '../../server/db/index.ts';
import { WriteTurns } from '../../server/db/writeTurns.ts';

describe('WriteTurns', () => {
  it('gives the turn to one at a time, in the order they asked', () => {
    const granted: string[] = [];
    const turns = new WriteTurns<string>((id) => granted.push(id));
    turns.ask('a');
    turns.ask('b');
    turns.ask('c');
    turns.ask('b'); // asking again keeps the place
    expect(granted).toEqual(['a']);
    turns.done('b'); // not b's turn: nothing happens
    expect(granted).toEqual(['a']);
    turns.done('a');
    expect(granted).toEqual(['a', 'b']);
    turns.done('b');
    turns.done('c');
    turns.ask('a');
    expect(granted).toEqual(['a', 'b', 'c', 'a']);
  });

  it('passes the turn on when its holder has kept it too long', () => {
    let now = 0;
    const granted: string[] = [];
    const turns = new WriteTurns<string>(
      (id) => granted.push(id),
      () => now,
    );
    turns.ask('a');
    turns.ask('b');
    now = 5_000;
    expect(turns.takeBackAfter(10_000)).toBeNull();
    now = 10_001;
    expect(turns.takeBackAfter(10_000)).toBe('a');
    expect(granted).toEqual(['a', 'b']);
    // a ending its turn late changes nothing.
    turns.done('a');
    expect(granted).toEqual(['a', 'b']);
  });

  it('passes the turn on when its holder ends, and forgets a waiting one that ended', () => {
    const granted: string[] = [];
    const turns = new WriteTurns<string>((id) => granted.push(id));
    turns.ask('a');
    turns.ask('b');
    turns.ask('c');
    turns.gone('b');
    turns.gone('a');
    expect(granted).toEqual(['a', 'c']);
  });
});

describe('write transactions behind a gate', () => {
  let dir: string;
  let one: Db;
  let two: Db;
  let observer: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tk-turns-'));
    const path = join(dir, 't.db');
    one = openDatabase(path);
    one.$client.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, who TEXT NOT NULL)');
    two = openDatabase(path);
    observer = new Database(path);
  });

  afterEach(() => {
    observer.close();
    one.$client.close();
    two.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes only in its turn and ends the turn only after the COMMIT', async () => {
    const events: string[] = [];
    const committed = () => (observer.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n;
    const turns = new WriteTurns<string>((id) => {
      events.push(`turn ${id}`);
      grants.get(id)!();
    });
    const grants = new Map<string, () => void>();
    const gate = (id: string) => ({
      acquire: () =>
        new Promise<void>((resolve) => {
          grants.set(id, resolve);
          turns.ask(id);
        }),
      release: () => {
        events.push(`done ${id} (${committed()} committed)`);
        // Hand the turn on a little later, as a message through the primary would.
        setTimeout(() => turns.done(id), 5);
      },
    });
    setWriteGate(one, gate('one'));
    setWriteGate(two, gate('two'));
    const write = (db: Db, who: string) =>
      writeTransaction(db, () => {
        events.push(`write ${who}`);
        db.$client.prepare('INSERT INTO log (who) VALUES (?)').run(who);
      });
    await Promise.all([write(one, 'one-a'), write(two, 'two-a'), write(one, 'one-b'), write(two, 'two-b')]);
    expect(events).toEqual([
      'turn one',
      'write one-a',
      'write one-b',
      'done one (2 committed)',
      'turn two',
      'write two-a',
      'write two-b',
      'done two (4 committed)',
    ]);
  });

  it('fails the waiting writes, writing nothing, when no turn can come', async () => {
    setWriteGate(one, {
      acquire: () => Promise.reject(new Error('the primary process is gone: no write turns')),
      release: () => {},
    });
    await expect(
      writeTransaction(one, () => one.$client.prepare("INSERT INTO log (who) VALUES ('x')").run()),
    ).rejects.toThrow(/primary process is gone/);
    expect((observer.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n).toBe(0);
  });
});
