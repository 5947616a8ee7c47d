/**
 * The store on PostgreSQL, through node-postgres (`pg`): for a hosted Terminkette with several
 * stateless app instances on one database. node-postgres rather than postgres.js: it is the driver
 * most of the ecosystem is built and tested on, its pool hands out a connection for exactly one
 * transaction at a time (the explicit `Tx` of the store interface maps onto it one to one), and
 * LISTEN/NOTIFY works on a plain client. Statements are prepared once per connection (named).
 *
 * Concurrency is the database's job here, across any number of instances:
 * - double booking is impossible by construction: exclusion constraints on therapist, room and
 *   client file (migrations) refuse an overlapping appointment whatever the code above did;
 * - a package budget cannot be overrun: a decision about a client file's packages locks the file's
 *   row first (`lockClient`, db/queries/calendar.ts: an UPDATE that moves the file's budget version
 *   on), so decisions about one file run one after another, in any instance, while other files go
 *   on in parallel. Row locks rather than SERIALIZABLE: the budget check reads many rows (packages,
 *   their appointments and lines) that SERIALIZABLE would track and abort on under load, while one
 *   lock in a fixed place makes the wait short, deterministic and deadlock-free. The one decision
 *   made without the lock is an online booking's first run (booking/book.ts): its batch moves the
 *   version on only from the one its decision read — the CHECK `clients_budget_current` refuses it
 *   if anyone got there first, and it is run again under the lock. Five round trips become two;
 * - a write that loses a race (a therapist taken by another instance, the same idempotency key
 *   twice) fails with a constraint error; `write(fn, { retries })` runs `fn` again, on what is
 *   committed now, and it decides anew.
 *
 * Answer caches in other instances learn of writes by NOTIFY (see `changeMark`).
 *
 * Short reads (`read(fn, { short: true })`: a few rows by key, as the booking page's slot search)
 * share one connection in pipeline mode (node-postgres' `pipeline`) rather than each taking one
 * from the pool: they go out back to back, without waiting for each other's answers, and one
 * backend answers them in order. On the benchmark's two cores, where the app, the load generator
 * and the database share the CPU, that took the widget's week of 20 therapists from
 * 1 228–1 849 to 1 742–2 325 requests/s (6 alternated pairs, one process, answer cache off): one
 * busy backend instead of up to ten that each wake for a read and compete with the app. The
 * statements of one round of the event loop leave in one write (`Pipeline.hold`).
 */

import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
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

const CHANNEL = 'terminkette_changes';

/**
 * How long commits are gathered into one NOTIFY: the longest another instance's answer cache may
 * serve what was true before a write, beyond the NOTIFY's own delivery. The booking itself always
 * decides on the database.
 */
const NOTIFY_EVERY_MS = 20;

/** One key for every migration run on the database, whichever schema it is for. */
const MIGRATION_LOCK = 727_301_955;

export interface PgStoreOptions {
  /** A schema of its own (tests): created if missing, put first on the search path. */
  schema?: string;
  /** Connections in this instance's pool. Default 10. */
  poolSize?: number;
  /**
   * How long a short read's statement may run before PostgreSQL cancels it (`statement_timeout` of
   * the connection they share). Default 5 000 ms: a short read takes a millisecond or so, and one
   * that ran on would hold up every short read behind it.
   */
  shortReadTimeoutMs?: number;
  /**
   * How long a connection serves before it is closed (a pool connection once free; the short reads'
   * shared one once their reads are done) and replaced — each a little less, by up to a tenth drawn
   * for it, so that connections opened together are not replaced together. Default 3 600: under
   * steady load a connection never idles out, and its prepared statements keep the generic plans
   * they were given when first run — made while a table was small, such a plan stays for the
   * connection's life (docs/SCALING.md); a server restarted or moved behind its address is found
   * again too.
   */
  connectionLifetimeSeconds?: number;
  /** Follow other instances' writes for `changeMark` (LISTEN). Default true. */
  listen?: boolean;
  log?: (message: string) => void;
  /**
   * Awaited after a read's result is in, before the caller goes on with it: the server's
   * `turns.next` (server/turns.ts), so the work a read's answer starts (the slot search on its
   * rows) runs in the server's turns, in order, as it does on SQLite, where reads do not wait —
   * rather than in the callback of whichever pool connection answered, one by one.
   */
  resume?: () => Promise<void>;
}

// 20 = int8: epoch milliseconds and counts, as numbers (exact up to 2^53, far beyond any instant).
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** `?` placeholders as PostgreSQL's `$1, $2, …`; statements are written without `?` in literals. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function translate(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string } | null;
  switch (e?.code) {
    case '23505': // unique_violation
    case '23P01': // exclusion_violation
    // A reference to a row another transaction removed meanwhile (a booking of a chain the back
    // office removed while the booking waited for the practice's lock): decided anew, it is gone.
    case '23503': // foreign_key_violation
      return new StoreConflict(e.constraint ?? e.code, { cause: err });
    case '23514': // check_violation: three are expected — a rate-limit point over its limit, a
      // budget decided on a version of the client file another decision has moved on from, and a
      // hold another booking took meanwhile.
      if (e.constraint === WITHIN_LIMIT) return new OverLimit({ cause: err });
      return e.constraint === BUDGET_CURRENT || e.constraint === HOLD_CURRENT
        ? new StoreConflict(e.constraint, { cause: err })
        : err;
    case '40001': // serialization_failure
    case '40P01': // deadlock_detected
      return new StoreConflict(e.code, { cause: err });
    case '57P01': // admin_shutdown
    case '53300': // too_many_connections
      return new StoreBusy('the database is not taking connections', { cause: err });
    default: {
      const trouble = storageTrouble(err);
      return trouble ? new StoreUnavailable(trouble, { cause: err }) : err;
    }
  }
}

/**
 * Whether `err` says the connection under a statement was lost: node-postgres says so without a
 * SQLSTATE when the socket ends, or the server ended it (57P02 crash shutdown, 57P03 cannot connect
 * now; 57P01, admin shutdown, is StoreBusy already: translate).
 */
function lostConnection(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return (
    (e?.code === undefined &&
      /Connection terminated|not queryable|Query read timeout/.test(e?.message ?? '')) ||
    e?.code === 'ECONNRESET' ||
    e?.code === 'EPIPE' ||
    e?.code === '57P02' ||
    e?.code === '57P03'
  );
}

/**
 * A read's failure as the caller should see it: its connection lost under the statement, and a
 * short read's statement timeout, are the database being unavailable for the moment — `StoreBusy`,
 * answered 503 — not a fault of the read (a read changes nothing, so asking again is safe).
 */
function readFailure(err: unknown): unknown {
  if (err instanceof StoreBusy) return err;
  if ((err as { code?: string } | null)?.code === '57014')
    return new StoreBusy('the database took too long to answer', { cause: err });
  return lostConnection(err) ? new StoreBusy('the database connection was lost', { cause: err }) : err;
}

export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
  const timeout = options.shortReadTimeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1))
    throw new RangeError('shortReadTimeoutMs: a whole number of milliseconds, at least 1');
  const lifetime = options.connectionLifetimeSeconds;
  if (lifetime !== undefined && !(Number.isInteger(lifetime) && lifetime >= 1))
    throw new RangeError('connectionLifetimeSeconds: a whole number of seconds, at least 1');
  // Generic plans for the prepared statements: every statement here finds its rows by key, and
  // planning anew for each execution (PostgreSQL's default for a statement's first runs, and for
  // as long as it guesses a custom plan could be cheaper) cost a tenth of the database's CPU.
  const settings = ['-c plan_cache_mode=force_generic_plan'];
  if (options.schema) settings.push(`-c search_path=${options.schema},public`);
  const connection = { connectionString: url, types, options: settings.join(' ') };
  if (options.schema) {
    // Before the pool exists: its connections start on that search path.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    ...connection,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    maxLifetimeSeconds: lifetime ?? 3_600,
  });
  const store = new PgStore(pool, connection, options);
  try {
    await store.migrate();
    if (options.listen !== false) await store.listen();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `"${name}"`;
}

/**
 * The shared connection of short reads, and `hold`: keeps what is written to it until this round
 * of the event loop ends (its socket corked, uncorked by setImmediate), so that the statements of
 * a round's requests leave in one write and wake PostgreSQL once, not once each. A write per
 * statement took a tenth of the app's time under the /starts load; held, the app served 8–15 %
 * more requests per second there (4 alternated pairs).
 */
interface Pipeline {
  client: pg.Client;
  hold(): void;
}

export class PgStore implements Store {
  readonly dialect = 'postgres' as const;
  /** Statement names by text: each is prepared once per connection. */
  private readonly names = new Map<string, string>();
  private readonly texts = new Map<string, string>();
  /** Per practice, how often this instance has heard of a change; and which listener that was. */
  private readonly versions = new Map<number, number>();
  private epoch = 0;
  private listener: pg.Client | null = null;
  private listening = false;
  private closed = false;
  private readonly pending = new Set<number>();
  private readonly notifying = new Set<Promise<void>>();
  /** Names this instance in its NOTIFY payloads, so it does not count its own commits twice. */
  private readonly instance = randomBytes(6).toString('hex');
  private flushing = false;
  private readonly log: (message: string) => void;

  /** The store's own schema, when it has one (tests). */
  readonly schema: string | undefined;

  constructor(
    readonly pool: pg.Pool,
    private readonly connection: pg.ClientConfig,
    private readonly options: PgStoreOptions,
  ) {
    this.schema = options.schema;
    this.log = options.log ?? ((m) => console.error(m));
    // An idle connection that breaks (the server restarted) is dropped by the pool; say so.
    pool.on('error', (err) => this.log(`PostgreSQL pool: ${err.message}`));
  }

  private query(client: pg.ClientBase, sql: string, params: readonly unknown[], rowMode?: 'array') {
    let name = this.names.get(sql);
    if (name === undefined) {
      name = `t${this.names.size + 1}`;
      this.names.set(sql, name);
      this.texts.set(sql, numbered(sql));
    }
    const config = {
      name,
      text: this.texts.get(sql)!,
      values: params as unknown[],
      ...(rowMode ? { rowMode } : {}),
    };
    // With a callback, not through node-postgres's own promise: under the /starts load a result
    // handed over by that promise stayed reachable for the young collector after the read was done
    // (through objects of earlier statements already moved to the old generation, found dead only by
    // a full collection), so in some runs every result was moved to the old generation: 2.9 MB per
    // young collection, a full collection every 3 s, the young pauses 9–10 ms instead of 3–4. Outside
    // the app, 64 loops of the busy read on a bare client: 5.9 MB promoted per young collection
    // through the promise, 0.1 MB through a callback.
    return new Promise<pg.QueryResult>((resolve, reject) => {
      client.query(config, (err: Error | null, result: pg.QueryResult) =>
        err ? reject(err) : resolve(result),
      );
    });
  }

  private tx(client: pg.ClientBase, touched: Set<number>): Tx & { close(): void } {
    let open = true;
    const run = async <T>(
      sql: string,
      params: readonly unknown[],
      pick: (r: pg.QueryResult) => T,
      rowMode?: 'array',
    ): Promise<T> => {
      if (!open) throw new Error('this transaction is over: its callback has settled');
      try {
        return pick(await this.query(client, sql, params, rowMode));
      } catch (err) {
        // The error's stack as node-postgres's promise gave it: from here, the statement's caller,
        // rather than from the socket read that brought the answer.
        if (err instanceof Error) Error.captureStackTrace(err);
        throw translate(err);
      }
    };
    return {
      dialect: 'postgres',
      all: (sql, params = []) => run(sql, params, (r) => r.rows),
      get: (sql, params = []) => run(sql, params, (r) => r.rows[0]),
      values: (sql, params = []) => run(sql, params, (r) => r.rows, 'array'),
      run: (sql, params = []) => run(sql, params, (r) => r.rowCount ?? 0),
      insert: (sql, params = []) => run(`${sql} RETURNING id`, params, (r) => Number(r.rows[0].id)),
      batch: async (writes) => {
        if (writes.length === 0) return;
        if (writes.length === 1) return void (await run(writes[0]!.sql, writes[0]!.params, () => 0));
        // One statement: each write a data-modifying WITH clause. They run on one snapshot (so none
        // may depend on another), and the constraints — foreign keys at the statement's end — see
        // all of them.
        const sql = `WITH ${writes.map((w, i) => `w${i} AS (${w.sql})`).join(', ')} SELECT 1`;
        await run(
          sql,
          writes.flatMap((w) => w.params),
          () => 0,
        );
      },
      touch: (practiceId) => {
        touched.add(practiceId);
      },
      close: () => {
        open = false;
      },
    };
  }

  private async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new StoreBusy('no database connection could be had', { cause: err });
    }
    // node-postgres emits an 'error' when a connection ends under it, besides failing its
    // statements; the pool listens only while the connection is idle, and an 'error' nobody hears
    // ends the process. Heard here for as long as the connection lives (logged while it is out of
    // the pool, which logs its idle ones): what was running fails with it (a read or an unwritten
    // write: StoreBusy), and the pool drops the connection on release.
    if (!this.ends.has(client)) {
      this.ends.set(client, performance.now() + this.lifetimeMs());
      client.on('error', (err) => {
        if (this.out.has(client)) this.log(`PostgreSQL connection lost under a statement (${err.message})`);
      });
    }
    this.out.add(client);
    return client;
  }

  /**
   * A connection's lifetime in milliseconds: `connectionLifetimeSeconds` less up to a tenth, drawn
   * for each, so that connections opened together (at start-up, or in a burst of load) are not all
   * replaced in the same moment. A pool connection that has served it is ended when it comes back
   * (`release`); one idle by then is ended by the pool at the whole lifetime (`maxLifetimeSeconds`).
   */
  private lifetimeMs(): number {
    return (this.options.connectionLifetimeSeconds ?? 3_600) * 1_000 * (1 - 0.1 * Math.random());
  }

  /** Back to the pool (`connect`'s counterpart); `broken`: a connection not to be used again. */
  private release(client: pg.PoolClient, broken?: unknown): void {
    this.out.delete(client);
    const served = performance.now() >= (this.ends.get(client) ?? 0);
    client.release(broken instanceof Error ? broken : served);
  }

  /**
   * When each of the pool's connections has served its lifetime (performance.now()): set where
   * `connect` first sees it, and starts hearing its errors.
   */
  private readonly ends = new WeakMap<pg.PoolClient, number>();
  /** The pool's connections out of the pool now. */
  private readonly out = new Set<pg.PoolClient>();

  async read<T>(fn: (tx: Tx) => Promise<T>, options: ReadOptions = {}): Promise<T> {
    const result =
      options.short && !options.snapshot ? await this.readShort(fn) : await this.readOn(fn, options);
    // The read's connection is free by now (back in the pool, or the shared one's statements
    // answered): waiting for a turn holds up no other read.
    if (this.options.resume) await this.options.resume();
    return result;
  }

  private async readOn<T>(fn: (tx: Tx) => Promise<T>, options: { snapshot?: boolean }): Promise<T> {
    const client = await this.connect();
    const tx = this.tx(client, new Set());
    let broken: unknown;
    try {
      if (!options.snapshot) return await fn(tx);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((e) => (broken = e));
        throw err;
      }
    } catch (err) {
      throw readFailure(err);
    } finally {
      tx.close();
      this.release(client, broken);
    }
  }

  /** The connection in pipeline mode that short reads share; null until needed, and after it broke. */
  private pipeline: Promise<Pipeline> | null = null;

  /** When the shared connection has served its lifetime (performance.now()). */
  private pipelineEnds = 0;

  private async readShort<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreBusy('the store is closed');
    if (this.pipeline && performance.now() >= this.pipelineEnds) this.retirePipeline();
    this.pipeline ??= this.openPipeline();
    const pipeline = await this.pipeline;
    pipeline.hold();
    const tx = this.tx(pipeline.client, new Set());
    try {
      return await fn(tx);
    } catch (err) {
      throw readFailure(err);
    } finally {
      tx.close();
    }
  }

  /**
   * Replaces the shared connection once it has served its lifetime, as the pool does its own
   * (`connectionLifetimeSeconds`: its statements' generic plans): the next short read opens a new
   * one, and the old one ends gracefully (its statements answered first) once the reads that hold
   * it are surely done — each of their statements ends within the statement timeout.
   */
  private retirePipeline(): void {
    const old = this.pipeline;
    this.pipeline = null;
    const grace = 2 * (this.options.shortReadTimeoutMs ?? 5_000) + 1_000;
    old?.then(
      (p) => {
        this.retired.add(p.client);
        setTimeout(() => {
          this.retired.delete(p.client);
          p.client.end().catch(() => {});
        }, grace).unref();
      },
      () => {},
    );
  }

  /** Shared connections replaced and not ended yet (`retirePipeline`); `close` ends them. */
  private readonly retired = new Set<pg.Client>();

  /**
   * Opens the shared connection for short reads. Each statement on it is answered on its own (an
   * error fails that statement alone); when the connection itself breaks, the statements waiting
   * on it fail, and the next short read opens a new one. Unlike the pool's, it never idles and is
   * never replaced while it works, so it watches itself: TCP keep-alive, and a statement still
   * unanswered after six times the statement timeout (a connection gone silent) ends it.
   */
  private openPipeline(): Promise<Pipeline> {
    this.pipelineEnds = performance.now() + this.lifetimeMs();
    const timeout = this.options.shortReadTimeoutMs ?? 5_000;
    const client = new pg.Client({
      ...this.connection,
      pipeline: true,
      statement_timeout: timeout,
      query_timeout: timeout * 6,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    let held = false;
    const pipeline: Pipeline = {
      client,
      hold: () => {
        if (held) return;
        // The connection's stream as it is now: with TLS, the encrypted socket that replaced the
        // plain one (node-postgres corks the same stream around each statement).
        const stream = client.connection.stream;
        held = true;
        stream.cork();
        setImmediate(() => {
          held = false;
          stream.uncork();
        });
      },
    };
    let connected = false;
    const opened = client.connect().then(
      () => {
        connected = true;
        return pipeline;
      },
      (err) => {
        if (this.pipeline === opened) this.pipeline = null;
        throw new StoreBusy('no database connection could be had', { cause: err });
      },
    );
    const lost = (why: string) => {
      if (this.pipeline !== opened) return;
      this.pipeline = null;
      client.end().catch(() => {});
      if (connected && !this.closed)
        this.log(`PostgreSQL connection for short reads lost (${why}); opening another`);
    };
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection ended'));
    return opened;
  }

  private readonly storage = new StorageWatch();

  storageTrouble(): StorageTrouble | null {
    return this.storage.current;
  }

  write<T>(fn: (tx: Tx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return this.storage.watch(options.probe === true, () => this.writeWithRetries(fn, options));
  }

  private async writeWithRetries<T>(fn: (tx: Tx) => Promise<T>, options: WriteOptions): Promise<T> {
    const retries = options.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      const touched = new Set<number>();
      const tx = this.tx(client, touched);
      let broken: unknown;
      let committing = false;
      const block = !options.guardedByConstraints;
      try {
        if (block) await client.query('BEGIN');
        const result = await fn(tx);
        if (block) {
          committing = true;
          await client.query('COMMIT').catch((err) => {
            throw translate(err);
          });
        }
        this.changed(touched);
        return result;
      } catch (err) {
        if (block) await client.query('ROLLBACK').catch((e) => (broken = e));
        if (err instanceof StoreConflict && attempt < retries) continue;
        // The connection lost before COMMIT was sent: PostgreSQL rolls back a transaction whose
        // connection is gone, so nothing was written — the database unavailable for the moment
        // (503), and asking again is safe. Lost during COMMIT, or under a statement that commits
        // by itself (`guardedByConstraints`), whether it was written is not known: that error is
        // left as it is (500) — except an admin shutdown (57P01), which `translate` makes
        // StoreBusy wherever it comes, also there. A booking asked again with its Idempotency-Key
        // then finds the one written, if it was.
        if (block && !committing && lostConnection(err))
          throw new StoreBusy('the database connection was lost', { cause: err });
        throw err;
      } finally {
        tx.close();
        this.release(client, broken);
      }
    }
  }

  // --- migrations ----------------------------------------------------------------------------

  /**
   * Applies the committed migrations not applied yet, in one transaction holding an advisory lock:
   * several instances starting at once apply each migration exactly once.
   */
  async migrate(): Promise<void> {
    const migrations = readMigrationFiles({ migrationsFolder });
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS __drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)',
      );
      const last = await client.query<{ at: number | null }>(
        'SELECT max(created_at) AS at FROM __drizzle_migrations',
      );
      const at = last.rows[0]?.at ?? null;
      for (const m of migrations) {
        if (at !== null && at >= m.folderMillis) continue;
        for (const statement of m.sql) if (statement.trim()) await client.query(statement);
        await client.query('INSERT INTO __drizzle_migrations (hash, created_at) VALUES ($1, $2)', [
          m.hash,
          m.folderMillis,
        ]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      this.release(client);
    }
  }

  // --- what other instances changed ----------------------------------------------------------

  /**
   * The practice's change count as this instance knows it: its own commits count at once, other
   * instances' as their NOTIFY arrives (within about `NOTIFY_EVERY_MS`; until then an answer cache
   * may serve what was true just before — the booking itself always decides on the database). Null
   * while the listening connection is down: then nothing may be cached.
   */
  changeMark(practiceId: number): string | null {
    if (!this.listening) return null;
    return `${this.epoch}.${this.versions.get(practiceId) ?? 0}`;
  }

  private bump(practiceId: number): void {
    this.versions.set(practiceId, (this.versions.get(practiceId) ?? 0) + 1);
  }

  /**
   * After a commit: count it here at once, and tell the other instances — one NOTIFY for all the
   * commits of `NOTIFY_EVERY_MS`. A NOTIFY per commit (or per turn of the event loop) woke this
   * instance's listener and PostgreSQL's backends for every other booking: under load that
   * context switching cost more CPU than the booking's own statements (docs/SCALING.md).
   */
  private changed(practiceIds: ReadonlySet<number>): void {
    if (practiceIds.size === 0) return;
    for (const id of practiceIds) {
      this.bump(id);
      this.pending.add(id);
    }
    if (this.flushing) return;
    this.flushing = true;
    setTimeout(() => this.flush(), NOTIFY_EVERY_MS).unref();
  }

  /** Sends the changes counted since the last NOTIFY (close() sends the last ones before it ends the pool). */
  private flush(): void {
    this.flushing = false;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    const sent = this.pool
      .query('SELECT pg_notify($1, $2)', [CHANNEL, `${this.instance}:${ids.join(',')}`])
      .then(
        () => {},
        (err) =>
          this.log(
            `NOTIFY of changes failed (${(err as Error).message}); other instances' caches age out within a minute`,
          ),
      );
    this.notifying.add(sent);
    void sent.finally(() => this.notifying.delete(sent));
  }

  /** Listens on a connection of its own; reconnects with a pause when it breaks. */
  async listen(): Promise<void> {
    const client = new pg.Client(this.connection);
    client.on('notification', (msg) => {
      const [from, ids = ''] = (msg.payload ?? '').split(':');
      if (from === this.instance) return;
      for (const id of ids.split(',')) if (id) this.bump(Number(id));
    });
    const lost = (why: string) => {
      if (this.listener !== client) return;
      this.listener = null;
      this.listening = false;
      client.end().catch(() => {});
      this.log(`PostgreSQL listener lost (${why}); answer caches are off until it is back`);
      this.listenLater();
    };
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection ended'));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
    // Whatever happened while nobody listened is unknown: every earlier mark is dropped.
    this.epoch++;
    this.listening = true;
  }

  private listenLater(): void {
    if (this.closed) return;
    setTimeout(() => {
      this.listen().catch((err) => {
        this.log(`PostgreSQL listener: ${(err as Error).message}`);
        this.listenLater();
      });
    }, 1_000).unref();
  }

  async health(): Promise<void> {
    await this.write((tx) => touchHealth(tx), { probe: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listening = false;
    this.flush();
    await Promise.all(this.notifying);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    const pipeline = this.pipeline;
    this.pipeline = null;
    await pipeline?.then((p) => p.client.end()).catch(() => {});
    await Promise.all([...this.retired].map((c) => c.end().catch(() => {})));
    await this.pool.end();
  }

  /** Empties every table of the store's own schema (tests); ids go on counting. */
  async truncateAll(): Promise<void> {
    if (!this.options.schema) throw new Error('truncateAll is for a store with a schema of its own');
    const tables = await this.pool.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename <> '__drizzle_migrations'",
      [this.options.schema],
    );
    if (tables.rows.length === 0) return;
    await this.pool.query(`TRUNCATE ${tables.rows.map((t) => quoteIdent(t.name)).join(', ')} CASCADE`);
    this.versions.clear();
    this.epoch++;
  }

  /** Drops the store's own schema (tests). */
  async dropSchema(): Promise<void> {
    if (!this.options.schema) return;
    const admin = new pg.Client({ connectionString: this.connection.connectionString });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.options.schema)} CASCADE`);
    } finally {
      await admin.end();
    }
  }
}
