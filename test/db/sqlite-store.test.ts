/**
 * The SQLite store's write path: group commit. Jobs queued in the same turn share one IMMEDIATE
 * transaction, each in its own savepoint; a job that throws takes back only its own writes; nobody
 * is answered before the COMMIT; a lock held by another process is waited for without blocking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_WRITE_BATCH,
  migrationsFolder,
  openSqliteStore,
  SqliteStore,
} from '../../server/db/sqlite/store.ts';
import type { Tx } from '../../server/db/store.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { StoreBusy, StoreConflict } from '../../server/errors.ts';
import { importPractice } from '../../server/practice/import.ts';
import { demoApp, NOW, row } from '../helpers.ts';

let dir: string;
let store: SqliteStore;
let other: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-write-'));
  const path = join(dir, 'w.db');
  store = openSqliteStore(path, { waitMs: 50 });
  store.sqlite.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)');
  // A second connection on the same file, as another server process would have.
  other = new Database(path);
  other.pragma('busy_timeout = 0');
});

afterEach(async () => {
  other.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (text: string) => (tx: Tx) => tx.insert('INSERT INTO notes (text) VALUES (?)', [text]);
const notes = () =>
  (other.prepare('SELECT text FROM notes ORDER BY id').all() as { text: string }[]).map((r) => r.text);
/** Inserts `text` and tells how many notes were committed when it ran (what another process sees). */
const insertSeeing = (text: string) => async (tx: Tx) => {
  await insert(text)(tx);
  return (other.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
};

describe('the SQLite store’s writes', () => {
  it('runs the jobs of one turn in one transaction and answers each with its own result', async () => {
    const ids = await Promise.all(['a', 'b', 'c', 'd'].map((t) => store.write(insert(t))));
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(notes()).toEqual(['a', 'b', 'c', 'd']);
    // Nothing of the batch was visible to another connection until all four had run.
    const seen = await Promise.all(['e', 'f', 'g'].map((t) => store.write(insertSeeing(t))));
    expect(seen).toEqual([4, 4, 4]);
  });

  it('takes at most MAX_WRITE_BATCH jobs into one transaction', async () => {
    const n = MAX_WRITE_BATCH * 2 + 1;
    const seen = await Promise.all(Array.from({ length: n }, (_, i) => store.write(insertSeeing(`n${i}`))));
    expect(notes()).toHaveLength(n);
    // Three commits: each job saw the notes of the batches before its own.
    expect(new Set(seen)).toEqual(new Set([0, MAX_WRITE_BATCH, 2 * MAX_WRITE_BATCH]));
    expect(seen.filter((s) => s === 0)).toHaveLength(MAX_WRITE_BATCH);
  });

  it('rolls back only the job that throws; the others commit and it gets its error', async () => {
    const results = await Promise.allSettled([
      store.write(insert('first')),
      store.write(async (tx) => {
        await insert('half-written')(tx);
        throw new Error('refused');
      }),
      store.write(insert('third')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('refused');
    expect(notes()).toEqual(['first', 'third']);
  });

  it('lets each job see the writes of the jobs before it in the same batch', async () => {
    const results = await Promise.allSettled([store.write(insert('same')), store.write(insert('same'))]);
    expect(results[0]!.status).toBe('fulfilled');
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflict);
    expect(notes()).toEqual(['same']);
  });

  it('answers nobody and writes nothing when the whole transaction is lost', async () => {
    const results = await Promise.allSettled([
      store.write(insert('before')),
      // Ends the outer transaction from inside a job, as SQLite does by itself on some errors.
      store.write(async () => store.sqlite.exec('ROLLBACK')),
      store.write(insert('after')),
    ]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(notes()).toEqual([]);
    // And the queue goes on working afterwards.
    await store.write(insert('later'));
    expect(notes()).toEqual(['later']);
  });

  it('fails the whole batch when a job swallowed a rollback of the transaction', async () => {
    const results = await Promise.allSettled([
      store.write(insert('before')),
      store.write(async () => {
        try {
          store.sqlite.exec('ROLLBACK');
        } catch {}
        return 0;
      }),
      store.write(insert('after')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(notes()).toEqual([]);
  });

  it('waits for a lock held by another process without blocking this one, then commits', async () => {
    other.exec('BEGIN IMMEDIATE');
    let committed = false;
    const pending = store.write(insert('waited')).then((id) => {
      committed = true;
      return id;
    });
    // A timer of this process fires while the write waits for the other process's lock.
    const timerRan = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5));
    expect(timerRan).toBe(true);
    expect(committed).toBe(false);
    other.exec('COMMIT');
    await expect(pending).resolves.toBe(1);
    expect(notes()).toEqual(['waited']);
  });

  it('gives up with StoreBusy when the lock does not come within its wait, having written nothing', async () => {
    other.exec('BEGIN IMMEDIATE');
    await expect(store.write(insert('never'))).rejects.toBeInstanceOf(StoreBusy);
    other.exec('COMMIT');
    expect(notes()).toEqual([]);
  });

  it('keeps a read from seeing a batch that has not committed', async () => {
    // A read asked for while a batch is open waits for it: it sees all of it or none of it.
    const seen: number[] = [];
    await Promise.all([
      store.write(async (tx) => {
        await insert('x')(tx);
        // Another request's read, started while this transaction is open.
        void store.read((r) => r.all('SELECT * FROM notes')).then((rows) => seen.push(rows.length));
        await insert('y')(tx);
      }),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([2]);
  });

  it('fails the waiting jobs, without taking the process down, when the database is closed', async () => {
    const pending = store.write(insert('late'));
    store.sqlite.close();
    await expect(pending).rejects.toThrow(/not open/);
    store = openSqliteStore(':memory:');
  });
});

describe('the SQLite file', () => {
  it('opens a file in WAL mode with foreign keys on and savepoint journals in memory, and applies the migrations once however often it is opened', async () => {
    const file = join(tmpdir(), `terminkette-wal-${process.pid}.db`);
    const first = openSqliteStore(file);
    const second = openSqliteStore(file);
    expect(first.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(second.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(second.sqlite.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
    const applied = second.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as {
      n: number;
    };
    expect(applied.n).toBe(readMigrationFiles({ migrationsFolder }).length);
    await first.close();
    await second.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  });

  it('upgrades a database full of bookings through the migrations that rebuild a table, losing nothing', async () => {
    // A database as it was before the last rebuilding migration (appointments, for holds), with the
    // demo practice and its bookings, lines, packages and ledger in it.
    const migrations = readMigrationFiles({ migrationsFolder });
    const rebuild = migrations.findLastIndex((m) =>
      m.sql.some((s) => /PRAGMA\s+foreign_keys\s*=\s*OFF/i.test(s)),
    );
    expect(rebuild).toBeGreaterThan(0);
    const file = join(dir, 'old.db');
    const old = new Database(file);
    old.pragma('foreign_keys = ON');
    old.exec(
      'CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)',
    );
    for (const m of migrations.slice(0, rebuild)) {
      old.pragma('foreign_keys = OFF');
      for (const stmt of m.sql) if (stmt.trim()) old.exec(stmt);
      old.pragma('foreign_keys = ON');
      old
        .prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)')
        .run(m.hash, m.folderMillis);
    }
    // The demo practice as today's code writes it, copied into the old tables column by column
    // (what the old schema has of them): today's import may need columns of later migrations.
    const current = openSqliteStore(join(dir, 'current.db'));
    await importPractice(current, demoDocument(), { now: NOW });
    await current.close();
    old.pragma('foreign_keys = OFF');
    old.exec(`ATTACH DATABASE '${join(dir, 'current.db')}' AS cur`);
    const columns = (schema: string, table: string) =>
      (old.prepare(`PRAGMA ${schema}.table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
    const oldTables = old
      .prepare(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations' ORDER BY rootpage",
      )
      .all() as { name: string }[];
    for (const { name } of oldTables) {
      const theirs = new Set(columns('cur', name));
      const shared = columns('main', name)
        .filter((c) => theirs.has(c))
        .map((c) => `"${c}"`)
        .join(', ');
      if (shared) old.exec(`INSERT INTO main."${name}" (${shared}) SELECT ${shared} FROM cur."${name}"`);
    }
    old.exec('DETACH DATABASE cur');
    old.pragma('foreign_keys = ON');
    expect(old.pragma('foreign_key_check')).toEqual([]);
    old.close();
    const raw = new Database(file);
    raw.pragma('foreign_keys = ON');
    const before = new SqliteStore(raw, file);
    const tables = [
      'clients',
      'appointments',
      'appointment_lines',
      'appointment_packages',
      'package_ledger',
      'packages',
    ];
    const counts = async (s: SqliteStore) =>
      Object.fromEntries(
        await Promise.all(
          tables.map(
            async (t) => [t, (await row<{ n: number }>(s, `SELECT count(*) AS n FROM ${t}`))!.n] as const,
          ),
        ),
      );
    const had = await counts(before);
    expect(had.appointments).toBeGreaterThan(5);
    expect(had.appointment_lines).toBeGreaterThan(5);
    await before.close();

    const upgraded = openSqliteStore(file);
    expect(await counts(upgraded)).toEqual(had);
    expect(upgraded.sqlite.pragma('foreign_key_check')).toEqual([]);
    expect(upgraded.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    const applied = upgraded.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as {
      n: number;
    };
    expect(applied.n).toBe(migrations.length);
    await upgraded.close();
  });

  it('holds the demo practice without a single dangling reference', async () => {
    const d = await demoApp(NOW, 'sqlite');
    const sqlite = (d.store as SqliteStore).sqlite;
    expect(sqlite.pragma('foreign_key_check')).toEqual([]);
    expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
