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
  // Savepoint journals in memory, not in a temporary file. Each job of a group commit is a
  // savepoint, and its journal holds the pages it changes that earlier jobs of the batch had
  // changed already: about 100 KB for a booking, past the 64 KiB SQLite keeps in memory, so every
  // job wrote ~20 pages to a temporary file (strace: 10x fewer pwrite calls). Emptied at each
  // release. Inserts on the booking path got about 30 % cheaper.
  sqlite.pragma('temp_store = MEMORY');
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
 * Runs `fn` in an IMMEDIATE write transaction and resolves with its result once that transaction has
 * committed; rejects with what `fn` threw, and then nothing of `fn` is written.
 *
 * Group commit: the jobs that arrive in the same turn of the event loop share one transaction, each
 * in a savepoint of its own. A job that throws is rolled back to its savepoint alone; the others go
 * on and commit together. A burst of bookings so pays for one BEGIN/COMMIT and writes each page they
 * share (indexes, the outbox, the ledger) to the WAL once instead of once per booking. Each job sees
 * the writes of the jobs before it, exactly as if they had run one after another, and every job is
 * answered only after the COMMIT: nothing acknowledged can be lost.
 *
 * Waiting for the write lock does not block the process: when another process holds it, BEGIN fails
 * at once (busy_timeout 0 for that statement) and the batch is tried again after yielding to the
 * event loop, so this process keeps serving meanwhile (SQLite's own busy handler would sleep 1, 2,
 * 5, … 100 ms with the whole process blocked). A job gives up with SQLITE_BUSY after `waitMs`.
 */
export function writeTransaction<T>(db: Db, fn: () => Synchronous<T>, waitMs = 5_000): Promise<T> {
  // A transaction cannot wait: whatever an async job did after its first await would be written
  // outside it. The type refuses promises; this refuses what slips past the type.
  if (fn.constructor.name === 'AsyncFunction') {
    return Promise.reject(new TypeError('writeTransaction needs a synchronous function'));
  }
  const q = writeQueue(db.$client);
  return new Promise<T>((resolve, reject) => {
    q.add({ fn, resolve: resolve as (value: unknown) => void, reject, deadline: Date.now() + waitMs });
  });
}

/** Any result but a promise. */
export type Synchronous<T> = T extends PromiseLike<unknown> ? never : T;

/**
 * Turns at the write lock among the processes of one server (see ./writeTurns.ts). SQLite's lock
 * has no queue: a process that just committed takes it again before a waiting one notices it was
 * free, so under load one process could starve the other. With a gate, a process begins a write
 * transaction only in its turn; writers outside the server (a CLI import) are still waited for.
 */
export interface WriteGate {
  /** Resolves when this process's turn has come. */
  acquire(): Promise<void>;
  /** Ends this process's turn. */
  release(): void;
}

/** Makes every write transaction of `db` wait for its turn at `gate` (null: no gate). */
export function setWriteGate(db: Db, gate: WriteGate | null): void {
  writeQueue(db.$client).gate = gate;
}

function writeQueue(sqlite: Database.Database): WriteQueue {
  let queue = writeQueues.get(sqlite);
  if (!queue) {
    queue = new WriteQueue(sqlite);
    writeQueues.set(sqlite, queue);
  }
  return queue;
}

/** At most this many jobs share a transaction, so one batch holds the lock (and the event loop) briefly. */
export const MAX_WRITE_BATCH = 64;

interface WriteJob {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  deadline: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const writeQueues = new WeakMap<Database.Database, WriteQueue>();

export function isBusy(err: unknown): boolean {
  return String((err as { code?: string } | null)?.code).startsWith('SQLITE_BUSY');
}

/** The write jobs of one connection, run in batches. */
class WriteQueue {
  gate: WriteGate | null = null;
  private readonly jobs: WriteJob[] = [];
  private scheduled = false;
  private busyTries = 0;
  private expiry: ReturnType<typeof setTimeout> | null = null;

  /** Runs one job in a savepoint (nested in the batch's transaction), rolled back alone when it throws. */
  private readonly inSavepoint: (fn: () => unknown) => unknown;

  constructor(private readonly sqlite: Database.Database) {
    this.inSavepoint = sqlite.transaction((fn: () => unknown) => fn());
  }

  add(job: WriteJob): void {
    this.jobs.push(job);
    this.wake();
  }

  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const gate = this.gate;
    const run = () => {
      if (!gate) {
        this.scheduled = false;
        this.runBatchSafely();
        if (this.jobs.length > 0) this.wake();
        return;
      }
      this.watchDeadlines();
      // Jobs that arrive while the turn is on its way join this batch.
      gate
        .acquire()
        .then(
          () => {
            this.scheduled = false;
            try {
              this.runBatchSafely();
            } finally {
              gate.release();
            }
            if (this.jobs.length > 0) this.wake();
          },
          (error) => {
            // No turn can come (the gate broke): every waiting job fails, nothing was written.
            this.scheduled = false;
            this.failQueued(error);
          },
        )
        // Ending the turn failed (the primary is gone): what still waits can get no turn either.
        .catch((error) => this.failQueued(error));
    };
    // The first waits for the lock yield one turn; a lock held longer is polled every few ms.
    if (this.busyTries < 4) setImmediate(run);
    else setTimeout(run, Math.min(this.busyTries, 5));
  }

  /**
   * While waiting for a turn, a job whose wait is over fails with SQLITE_BUSY, as it would waiting
   * for the lock itself: a holder that hangs must not hold up every write without an answer.
   */
  private watchDeadlines(): void {
    if (this.expiry || this.jobs.length === 0) return;
    const next = Math.min(...this.jobs.map((j) => j.deadline));
    this.expiry = setTimeout(
      () => {
        this.expiry = null;
        const now = Date.now();
        for (let i = this.jobs.length - 1; i >= 0; i--) {
          if (this.jobs[i]!.deadline <= now) this.jobs.splice(i, 1)[0]!.reject(lockedError());
        }
        if (this.scheduled) this.watchDeadlines();
      },
      Math.max(0, next - Date.now()),
    );
    this.expiry.unref();
  }

  private failQueued(error: unknown): void {
    for (const job of this.jobs.splice(0)) job.reject(error);
  }

  /** Runs a batch; should anything unforeseen throw (a closed database), all waiting jobs fail with it. */
  private runBatchSafely(): void {
    try {
      this.runBatch();
    } catch (error) {
      this.failQueued(error);
    }
  }

  /** Takes up to MAX_WRITE_BATCH jobs and runs them in one IMMEDIATE transaction, or puts them back when the lock is held elsewhere. */
  private runBatch(): void {
    const { sqlite } = this;
    const batch = this.jobs.slice(0, MAX_WRITE_BATCH);
    const outcomes: Outcome[] = [];
    let locked = false;
    let lost: unknown = null;
    try {
      sqlite.pragma('busy_timeout = 0');
      this.jobs.splice(0, batch.length);
      sqlite
        .transaction(() => {
          // Holding the lock now: statements inside wait as usual again.
          locked = true;
          sqlite.pragma('busy_timeout = 5000');
          for (const job of batch) {
            try {
              outcomes.push({ ok: true, value: this.inSavepoint(job.fn) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
            // An error after which SQLite itself rolled back the whole transaction (a full disk,
            // say), even one the job caught, takes the batch with it: none of it is committed,
            // all are told so, with that error.
            if (!sqlite.inTransaction) {
              const last = outcomes[outcomes.length - 1]!;
              lost = last.ok ? new Error('the write transaction was rolled back by SQLite') : last.error;
              throw lost;
            }
          }
        })
        .immediate();
    } catch (error) {
      if (!locked && isBusy(error)) {
        this.busyTries++;
        const now = Date.now();
        const waiting = batch.filter((job) => {
          if (now < job.deadline) return true;
          job.reject(lockedError());
          return false;
        });
        this.jobs.unshift(...waiting);
        return;
      }
      // BEGIN or COMMIT failed, or the transaction was lost: nothing of this batch is written.
      for (const job of batch) job.reject(lost ?? error);
      return;
    } finally {
      if (sqlite.open) sqlite.pragma('busy_timeout = 5000');
    }
    this.busyTries = 0;
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}

function lockedError(): Error {
  return Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
}
