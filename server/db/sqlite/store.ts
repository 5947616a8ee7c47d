/**
 * The store on SQLite (better-sqlite3): the embedded default, one file, no server to install.
 *
 * One connection. better-sqlite3 runs each statement synchronously, so a transaction's callback,
 * though async, runs to its end in a burst of microtasks; the connection is handed out by a small
 * lock so that no other callback's statement lands inside an open transaction:
 * - plain reads share the connection with each other;
 * - snapshot reads and write transactions have it alone.
 *
 * Group commit: the write jobs that arrive in the same turn of the event loop share one IMMEDIATE
 * transaction, each in a savepoint of its own. A job that throws is rolled back to its savepoint
 * alone; the others go on and commit together. A burst of bookings so pays for one BEGIN/COMMIT and
 * writes each page they share (indexes, the outbox, the ledger) to the WAL once. Each job sees the
 * writes of the jobs before it, exactly as if they had run one after another, and every job is
 * answered only after the COMMIT: nothing acknowledged can be lost.
 *
 * Another process on the same file (a CLI import, a second server) is waited for without blocking
 * this one: BEGIN IMMEDIATE fails at once when the lock is held elsewhere (busy_timeout 0 for that
 * statement) and is tried again after yielding to the event loop; a job gives up with `StoreBusy`
 * after `waitMs`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import {
  type StorageTrouble,
  StorageWatch,
  StoreBusy,
  StoreConflict,
  StoreUnavailable,
  storageTrouble,
} from '../../errors.ts';
import { BUDGET_CURRENT, HOLD_CURRENT } from '../queries/calendar.ts';
import { OverLimit, touchHealth, WITHIN_LIMIT } from '../queries/rateLimits.ts';
import type { ReadOptions, Store, Tx, WriteOptions } from '../store.ts';

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** At most this many jobs share a transaction, so one batch holds the lock (and the event loop) briefly. */
export const MAX_WRITE_BATCH = 64;

export interface SqliteStoreOptions {
  /** How long a write waits for the lock held by another process before `StoreBusy`. Default 5 s. */
  waitMs?: number;
}

/** Milliseconds for lock waits: a monotonic timer, not the business clock (which tests fix). */
const elapsed = () => performance.now();

/**
 * Opens (and creates) the database at `path` (`:memory:` for tests), sets the pragmas every
 * connection needs and applies the migrations. Several processes may open the same file at once.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  // Checkpoint the WAL every ~16 MB instead of ~4 MB: fewer, larger checkpoints (each one fsyncs).
  sqlite.pragma('wal_autocheckpoint = 4000');
  sqlite.pragma('foreign_keys = ON');
  // Savepoint journals in memory, not in a temporary file. Each job of a group commit is a
  // savepoint, and its journal holds the pages it changes that earlier jobs of the batch had
  // changed already: about 100 KB for a booking, past the 64 KiB SQLite keeps in memory, so every
  // job wrote ~20 pages to a temporary file (strace: 10x fewer pwrite calls). Emptied at each
  // release. Inserts on the booking path got about 30 % cheaper.
  sqlite.pragma('temp_store = MEMORY');
  applyMigrations(sqlite);
  return new SqliteStore(sqlite, path, options);
}

/**
 * Applies drizzle-kit's migration files in the same bookkeeping table drizzle's migrator uses, but
 * inside IMMEDIATE transactions: the check for what is applied and the applying cannot interleave
 * with a second process starting at the same moment.
 *
 * A migration that rebuilds a table (new table, copy, drop the old, rename) begins with
 * `PRAGMA foreign_keys=OFF`, as drizzle-kit writes it. SQLite ignores that pragma inside a
 * transaction — and with foreign keys on, dropping the old table deletes every row that references
 * it (ON DELETE CASCADE). So such a migration runs in a transaction of its own, with foreign keys
 * off around it and every reference checked (`foreign_key_check`) before it commits: the procedure
 * SQLite's documentation gives for changing a table.
 */
export function applyMigrations(sqlite: Database.Database): void {
  const migrations = readMigrationFiles({ migrationsFolder });
  const rebuilds = (m: (typeof migrations)[number]) =>
    m.sql.some((stmt) => /^\s*PRAGMA\s+foreign_keys\s*=\s*OFF/im.test(stmt));
  const lastApplied = () =>
    (sqlite.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number | null })
      .at;
  const pending = (m: (typeof migrations)[number], last: number | null) =>
    last === null || Number(last) < m.folderMillis;
  const record = (m: (typeof migrations)[number]) =>
    sqlite
      .prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)')
      .run(m.hash, m.folderMillis);
  for (;;) {
    // Everything up to the next rebuild, in one transaction.
    let rebuild: (typeof migrations)[number] | null = null;
    sqlite
      .transaction(() => {
        sqlite.exec(
          'CREATE TABLE IF NOT EXISTS __drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)',
        );
        const last = lastApplied();
        for (const m of migrations) {
          if (!pending(m, last)) continue;
          if (rebuilds(m)) {
            rebuild = m;
            return;
          }
          for (const stmt of m.sql) if (stmt.trim()) sqlite.exec(stmt);
          record(m);
        }
      })
      .immediate();
    if (rebuild === null) return;
    const m: (typeof migrations)[number] = rebuild;
    sqlite.pragma('foreign_keys = OFF');
    try {
      sqlite
        .transaction(() => {
          // Another process may have applied it meanwhile.
          if (!pending(m, lastApplied())) return;
          for (const stmt of m.sql) {
            const bare = stmt.replace(/^\s*--.*$/gm, '').trim();
            if (bare && !/^PRAGMA\s+foreign_keys\b/i.test(bare)) sqlite.exec(stmt);
          }
          const broken = sqlite.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) {
            throw new Error(
              `migration ${m.folderMillis} leaves ${broken.length} broken references; nothing was changed`,
            );
          }
          record(m);
        })
        .immediate();
    } finally {
      sqlite.pragma('foreign_keys = ON');
    }
  }
}

interface WriteJob {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  deadline: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export function isBusy(err: unknown): boolean {
  return String((err as { code?: string } | null)?.code).startsWith('SQLITE_BUSY');
}

/** SQLite's constraint errors, as the store names them. */
function translate(err: unknown): unknown {
  const code = String((err as { code?: string } | null)?.code);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /UNIQUE constraint failed: (.*)$/.exec(String((err as Error).message));
    return new StoreConflict(m?.[1] ?? 'unique', { cause: err });
  }
  // A rate-limit point over its limit (db/queries/rateLimits.ts): the one CHECK that is expected to fail.
  if (code === 'SQLITE_CONSTRAINT_CHECK' && String((err as Error).message).endsWith(`: ${WITHIN_LIMIT}`)) {
    return new OverLimit({ cause: err });
  }
  // A budget decided on a version of the file another decision has moved on from (applyPlan).
  // … or a hold another booking took meanwhile (applyPlan with fromHold).
  for (const check of [BUDGET_CURRENT, HOLD_CURRENT]) {
    if (code === 'SQLITE_CONSTRAINT_CHECK' && String((err as Error).message).endsWith(`: ${check}`)) {
      return new StoreConflict(check, { cause: err });
    }
  }
  if (isBusy(err)) return new StoreBusy('the database is locked by another process', { cause: err });
  const trouble = storageTrouble(err);
  return trouble ? new StoreUnavailable(trouble, { cause: err }) : err;
}

function bindable(params: readonly unknown[]): unknown[] {
  // better-sqlite3 binds numbers, strings, bigints, buffers and null; a boolean is 1 or 0.
  return params.map((p) => (p === true ? 1 : p === false ? 0 : p));
}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly rawStatements = new Map<string, Database.Statement>();
  private readonly jobs: WriteJob[] = [];
  private scheduled = false;
  private busyTries = 0;
  private readonly waitMs: number;
  // The connection's lock: shared by plain reads, exclusive for snapshot reads and write batches.
  private shared = 0;
  private exclusive = false;
  private readonly waiting: { exclusive: boolean; resume: () => void }[] = [];

  constructor(
    /** The connection; for the store's own tools (checkpoints, tests of the file itself). */
    readonly sqlite: Database.Database,
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.waitMs = options.waitMs ?? 5_000;
    // SQLite's own lower() folds ASCII only ("Özdemir" stays "Özdemir"): searches fold with this.
    sqlite.function('tk_fold', { deterministic: true }, (s: unknown) =>
      typeof s === 'string' ? s.toLowerCase() : s,
    );
  }

  /** The statement for `sql`, prepared on first use: preparing costs more than running a small query. */
  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** The same for `values`: a statement of its own that returns arrays. */
  private rawStatement(sql: string): Database.Statement {
    let s = this.rawStatements.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql).raw(true);
      this.rawStatements.set(sql, s);
    }
    return s;
  }

  /** A transaction object over the connection, good until `close()`. */
  private tx(): Tx & { close(): void } {
    let open = true;
    const check = () => {
      if (!open) throw new Error('this transaction is over: its callback has settled');
    };
    const exec = <T>(f: () => T): Promise<T> => {
      try {
        check();
        return Promise.resolve(f());
      } catch (err) {
        return Promise.reject(translate(err));
      }
    };
    return {
      dialect: 'sqlite',
      all: (sql, params = []) => exec(() => this.statement(sql).all(...bindable(params)) as never),
      get: (sql, params = []) => exec(() => this.statement(sql).get(...bindable(params)) as never),
      values: (sql, params = []) => exec(() => this.rawStatement(sql).all(...bindable(params)) as never),
      run: (sql, params = []) => exec(() => this.statement(sql).run(...bindable(params)).changes),
      insert: (sql, params = []) =>
        exec(() => Number(this.statement(sql).run(...bindable(params)).lastInsertRowid)),
      batch: (writes) =>
        exec(() => {
          for (const w of writes) this.statement(w.sql).run(...bindable(w.params));
        }),
      touch: () => {},
      close: () => {
        open = false;
      },
    };
  }

  // --- the connection's lock -----------------------------------------------------------------

  private acquire(exclusive: boolean): Promise<void> | null {
    if (this.waiting.length === 0 && !this.exclusive && (!exclusive || this.shared === 0)) {
      if (exclusive) this.exclusive = true;
      else this.shared++;
      return null;
    }
    return new Promise((resume) => this.waiting.push({ exclusive, resume }));
  }

  private release(exclusive: boolean): void {
    if (exclusive) this.exclusive = false;
    else this.shared--;
    while (this.waiting.length > 0 && !this.exclusive) {
      const next = this.waiting[0]!;
      if (next.exclusive) {
        if (this.shared > 0) break;
        this.exclusive = true;
      } else {
        this.shared++;
      }
      this.waiting.shift();
      next.resume();
    }
  }

  // --- reads ---------------------------------------------------------------------------------

  async read<T>(fn: (tx: Tx) => Promise<T>, options: ReadOptions = {}): Promise<T> {
    const exclusive = options.snapshot === true;
    const wait = this.acquire(exclusive);
    if (wait) await wait;
    const tx = this.tx();
    try {
      if (!exclusive) return await fn(tx);
      this.statement('BEGIN').run();
      try {
        return await fn(tx);
      } finally {
        if (this.sqlite.inTransaction) this.statement('COMMIT').run();
      }
    } finally {
      tx.close();
      this.release(exclusive);
    }
  }

  // --- writes --------------------------------------------------------------------------------

  private readonly storage = new StorageWatch();

  storageTrouble(): StorageTrouble | null {
    return this.storage.current;
  }

  write<T>(fn: (tx: Tx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return this.storage.watch(options.probe === true, () => this.writeWithRetries(fn, options));
  }

  private async writeWithRetries<T>(fn: (tx: Tx) => Promise<T>, options: WriteOptions): Promise<T> {
    // A writer here holds the whole file, so a conflict means the callback decided on something
    // another statement of its own changed; it is run again all the same, as the interface says.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.queued(fn);
      } catch (err) {
        if (!(err instanceof StoreConflict) || attempt >= (options.retries ?? 0)) throw err;
      }
    }
  }

  private queued<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({
        fn,
        resolve: resolve as (value: unknown) => void,
        reject,
        deadline: elapsed() + this.waitMs,
      });
      this.wake();
    });
  }

  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.runBatch().finally(() => {
        if (this.jobs.length > 0) this.wake();
      });
    };
    // The first waits for the lock yield one turn; a lock held longer is polled every few ms.
    if (this.busyTries < 4) setImmediate(run);
    else setTimeout(run, Math.min(this.busyTries, 5));
  }

  /** Takes up to MAX_WRITE_BATCH jobs and runs them in one IMMEDIATE transaction, or puts them back when the lock is held elsewhere. */
  private async runBatch(): Promise<void> {
    if (this.jobs.length === 0) return;
    const wait = this.acquire(true);
    if (wait) await wait;
    const { sqlite } = this;
    const batch = this.jobs.splice(0, MAX_WRITE_BATCH);
    try {
      try {
        sqlite.pragma('busy_timeout = 0');
        this.statement('BEGIN IMMEDIATE').run();
      } catch (error) {
        if (!isBusy(error)) throw error;
        this.busyTries++;
        const now = elapsed();
        const waiting = batch.filter((job) => {
          if (now < job.deadline) return true;
          job.reject(new StoreBusy('the database is locked by another process'));
          return false;
        });
        this.jobs.unshift(...waiting);
        return;
      } finally {
        sqlite.pragma('busy_timeout = 5000');
      }
      this.busyTries = 0;
      const outcomes: Outcome[] = [];
      let lost: unknown = null;
      for (const job of batch) {
        const tx = this.tx();
        this.statement('SAVEPOINT job').run();
        try {
          outcomes.push({ ok: true, value: await job.fn(tx) });
          this.statement('RELEASE job').run();
        } catch (error) {
          outcomes.push({ ok: false, error });
          // After an error SQLite itself rolled the whole transaction back for (a full disk, say),
          // even one the job caught, the batch is lost: none of it is committed, all are told so.
          if (!sqlite.inTransaction) {
            lost = error;
            break;
          }
          this.statement('ROLLBACK TO job').run();
          this.statement('RELEASE job').run();
        } finally {
          tx.close();
        }
        if (!sqlite.inTransaction) {
          lost = new Error('the write transaction was rolled back by SQLite');
          break;
        }
      }
      if (lost !== null) {
        const reason = translate(lost);
        for (const job of batch) job.reject(reason);
        return;
      }
      try {
        this.statement('COMMIT').run();
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        for (const job of batch) job.reject(translate(error));
        return;
      }
      batch.forEach((job, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) job.resolve(outcome.value);
        else job.reject(outcome.error);
      });
    } catch (error) {
      // Something unforeseen (a closed database): nothing of this batch is written.
      if (sqlite.open && sqlite.inTransaction) sqlite.exec('ROLLBACK');
      const reason = translate(error);
      for (const job of batch) job.reject(reason);
    } finally {
      this.release(true);
    }
  }

  // --- the rest ------------------------------------------------------------------------------

  /**
   * Any write to the file — by this connection (`total_changes()`) or by any other process
   * (`PRAGMA data_version`) — changes it. Not per practice: one number for the whole file.
   */
  changeMark(): string {
    const row = this.statement(
      'SELECT total_changes() AS changes, data_version AS version FROM pragma_data_version',
    ).get() as { changes: number; version: number };
    return `${row.version}.${row.changes}`;
  }

  async health(): Promise<void> {
    await this.write((tx) => touchHealth(tx), { probe: true });
  }

  async close(): Promise<void> {
    if (this.sqlite.open) this.sqlite.close();
  }
}
