/** Opening the database: one connection, WAL, a busy timeout, foreign keys, and the committed migrations. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import * as schema from './schema.ts';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Opens (and creates) the database at `path` (`:memory:` for tests), sets the pragmas every
 * connection needs and applies the migrations. Several processes may open the same file at once.
 */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  // Checkpoint the WAL every ~16 MB instead of ~4 MB: fewer, larger checkpoints (each one fsyncs).
  sqlite.pragma('wal_autocheckpoint = 4000');
  sqlite.pragma('foreign_keys = ON');
  applyMigrations(sqlite);
  return drizzle(sqlite, { schema });
}

/**
 * Applies drizzle-kit's migration files in the same bookkeeping table drizzle's migrator uses, but
 * inside one IMMEDIATE transaction: the check for what is applied and the applying cannot interleave
 * with a second process starting at the same moment (drizzle's own migrator reads outside its
 * transaction, so two processes could both apply the first migration).
 */
export function applyMigrations(sqlite: Database.Database): void {
  const migrations = readMigrationFiles({ migrationsFolder });
  sqlite
    .transaction(() => {
      sqlite.exec(
        'CREATE TABLE IF NOT EXISTS __drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)',
      );
      const last = sqlite.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as {
        at: number | null;
      };
      for (const m of migrations) {
        if (last.at !== null && Number(last.at) >= m.folderMillis) continue;
        for (const stmt of m.sql) if (stmt.trim()) sqlite.exec(stmt);
        sqlite
          .prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)')
          .run(m.hash, m.folderMillis);
      }
    })
    .immediate();
}

export { schema };

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` in an IMMEDIATE write transaction. When another process holds the write lock, waits in
 * short steps (0.1 ms, doubling, at most 2 ms each) and tries again, for up to `waitMs` in all:
 * SQLite's own busy handler sleeps 1, 2, 5, … 100 ms, which under steady contention between two
 * processes costs far more than the few hundred microseconds a booking holds the lock. Nothing of
 * `fn` survives a failed attempt (the transaction is rolled back), so trying again is safe.
 */
export function writeTransaction<T>(db: Db, fn: () => T, waitMs = 5_000): T {
  const sqlite = db.$client;
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    sqlite.pragma('busy_timeout = 0');
    try {
      return sqlite
        .transaction(() => {
          // Holding the lock now: statements inside wait as usual again.
          sqlite.pragma('busy_timeout = 5000');
          return fn();
        })
        .immediate();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, Math.min(0.1 * 2 ** attempt, 2));
    } finally {
      sqlite.pragma('busy_timeout = 5000');
    }
  }
}
