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

/**
 * Runs `fn` in an IMMEDIATE write transaction, waiting for the write lock without blocking the
 * process: when another process holds the lock, the attempt fails at once (nothing of `fn` has run,
 * or it was rolled back) and is tried again after yielding to the event loop, so this process keeps
 * serving other requests meanwhile. SQLite's own busy handler would sleep 1, 2, 5, … 100 ms with the
 * whole process blocked. Gives up with SQLITE_BUSY after `waitMs`.
 */
export function writeTransaction<T>(db: Db, fn: () => T, waitMs = 5_000): T | Promise<T> {
  const first = attempt(db, fn);
  if (first.done) return first.value;
  // Busy: try again after yielding, so the process serves other requests meanwhile.
  const deadline = Date.now() + waitMs;
  return (async () => {
    for (let n = 1; ; n++) {
      await new Promise((resolve) => (n < 4 ? setImmediate(resolve) : setTimeout(resolve, Math.min(n, 5))));
      const next = attempt(db, fn);
      if (next.done) return next.value;
      if (Date.now() >= deadline)
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    }
  })();
}

/** One try at the write lock: the result, or `done: false` when another process holds the lock. */
function attempt<T>(db: Db, fn: () => T): { done: true; value: T } | { done: false } {
  const sqlite = db.$client;
  sqlite.pragma('busy_timeout = 0');
  try {
    const value = sqlite
      .transaction(() => {
        // Holding the lock now: statements inside wait as usual again.
        sqlite.pragma('busy_timeout = 5000');
        return fn();
      })
      .immediate();
    return { done: true, value };
  } catch (err) {
    if (String((err as { code?: string }).code).startsWith('SQLITE_BUSY')) return { done: false };
    throw err;
  } finally {
    sqlite.pragma('busy_timeout = 5000');
  }
}
