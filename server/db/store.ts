/**
 * The store: every read and write of the product goes through it, inside an explicit transaction
 * object. Two implementations behind one interface — SQLite (better-sqlite3, the embedded default)
 * and PostgreSQL (node-postgres, for several app instances) — and one set of queries over both
 * (./queries/), written in the SQL the two share, with the few differences named in ./sql.ts.
 *
 * Only `server/db/` speaks SQL. The layers above hold a `Tx` and hand it to the queries.
 */

import type { StorageTrouble } from '../errors.ts';

export type Dialect = 'sqlite' | 'postgres';

export type Row = Record<string, unknown>;

/** A write whose result nobody waits for: several of them go to the database at once (`Tx.batch`). */
export interface Write {
  sql: string;
  params: readonly unknown[];
}

/**
 * A transaction (or, for `read` without a snapshot, a connection) of one store. Statements use `?`
 * for parameters; numbers, strings, booleans, null and (for `list()`) arrays may be bound. Do not
 * use it after the callback it was given to has settled.
 */
export interface Tx {
  readonly dialect: Dialect;
  all<R = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  get<R = Row>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /**
   * The rows as arrays of their columns, in the SELECT's order: for the queries that return many
   * rows, where building an object per row costs more than the query itself.
   */
  values<R extends readonly unknown[]>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs an INSERT of one row (without RETURNING); resolves with the row's `id`. */
  insert(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs INSERT, UPDATE and DELETE statements that do not depend on each other's results, in one
   * round trip where the database allows (PostgreSQL: one statement of data-modifying WITH
   * clauses, checked as one; SQLite, in process, runs them one after the other). No two of them
   * may change the same row.
   */
  batch(writes: readonly Write[]): Promise<void>;
  /**
   * Records that this write changes what a practice offers (appointments, packages, its
   * configuration): answers kept for it, here and in other app instances, are dropped once the
   * transaction has committed.
   */
  touch(practiceId: number): void;
}

export interface WriteOptions {
  /**
   * How often to run the whole callback again when a concurrent transaction made it fail
   * (PostgreSQL: a unique or exclusion constraint, a serialization failure or deadlock). The
   * callback must decide anew on what it reads — it does, since it reads inside the transaction.
   * Default 0: the `StoreConflict` reaches the caller. SQLite serializes writers, so no retry is
   * ever needed there.
   */
  retries?: number;
  /**
   * The callback's decision is guarded by the database's constraints alone: it reads, then writes
   * one batch, and would the world change in between, a unique or exclusion constraint refuses
   * that batch (and `retries` decides anew). PostgreSQL then runs it without a transaction block —
   * the batch is one statement, atomic by itself — which saves two round trips. SQLite runs every
   * write in its IMMEDIATE transaction anyway.
   */
  guardedByConstraints?: boolean;
  /**
   * A probe (the health check): its success does not end the storage trouble earlier writes met
   * (see `storageTrouble`).
   */
  probe?: boolean;
}

export interface ReadOptions {
  /** Every statement on one committed state (a read transaction). */
  snapshot?: boolean;
  /**
   * A short read: a few statements that find their rows by key and take a millisecond or so,
   * like the slot search's. PostgreSQL runs such reads on one connection shared in pipeline mode
   * (./pg/store.ts), where each waits for those sent before it — so a slow read must never be
   * marked short; PostgreSQL cancels a short read's statement that runs longer than 5 s (by
   * default), and the read fails with `StoreBusy`. Plain SELECTs only: a SET or BEGIN would
   * carry over to every read after it. Ignored with `snapshot`, and by SQLite.
   */
  short?: boolean;
}

export interface Store {
  readonly dialect: Dialect;
  /**
   * Reads. With `snapshot`, every statement sees the same committed state (a read transaction);
   * without, each statement sees the latest committed state.
   */
  read<T>(fn: (tx: Tx) => Promise<T>, options?: ReadOptions): Promise<T>;
  /**
   * A write transaction: check-then-write inside it cannot interleave with another writer's
   * (SQLite: IMMEDIATE; PostgreSQL: row locks and constraints, see ./pg/store.ts). Resolves once it
   * has committed; rejects with what `fn` threw, and then nothing of it is written.
   */
  write<T>(fn: (tx: Tx) => Promise<T>, options?: WriteOptions): Promise<T>;
  /**
   * A mark that changes whenever committed data a practice's answers depend on may have changed,
   * in this instance or another; null when it cannot be known (then nothing may be cached).
   */
  changeMark(practiceId: number): string | null;
  /** Writes and reads one row; rejects when the database cannot take writes. */
  health(): Promise<void>;
  /**
   * What kept the last writes from being stored (a full disk, a read-only database), until a write
   * commits again; null while writes work.
   */
  storageTrouble(): StorageTrouble | null;
  close(): Promise<void>;
}
