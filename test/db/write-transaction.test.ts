/**
 * writeTransaction: group commit. Jobs queued in the same turn share one IMMEDIATE transaction,
 * each in its own savepoint; a job that throws takes back only its own writes; nobody is answered
 * before the COMMIT; a lock held by another process is waited for without blocking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Db,
  MAX_WRITE_BATCH,
  openDatabase,
  setWriteGate,
  writeTransaction,
} from '../../server/db/index.ts';

let dir: string;
let db: Db;
let other: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-write-'));
  const path = join(dir, 'w.db');
  db = openDatabase(path);
  db.$client.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)');
  // A second connection on the same file, as another server process would have.
  other = new Database(path);
  other.pragma('busy_timeout = 0');
});

afterEach(() => {
  other.close();
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (text: string) => () =>
  Number(db.$client.prepare('INSERT INTO notes (text) VALUES (?)').run(text).lastInsertRowid);
const notes = () =>
  (other.prepare('SELECT text FROM notes ORDER BY id').all() as { text: string }[]).map((r) => r.text);
/** Inserts `text` and tells how many notes were committed when it ran (what another process sees). */
const insertSeeing = (text: string) => () => {
  insert(text)();
  return (other.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
};

describe('writeTransaction', () => {
  it('runs the jobs of one turn in one transaction and answers each with its own result', async () => {
    const ids = await Promise.all(['a', 'b', 'c', 'd'].map((t) => writeTransaction(db, insert(t))));
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(notes()).toEqual(['a', 'b', 'c', 'd']);
    // Nothing of the batch was visible to another connection until all four had run.
    const seen = await Promise.all(['e', 'f', 'g'].map((t) => writeTransaction(db, insertSeeing(t))));
    expect(seen).toEqual([4, 4, 4]);
  });

  it('takes at most MAX_WRITE_BATCH jobs into one transaction', async () => {
    const n = MAX_WRITE_BATCH * 2 + 1;
    const seen = await Promise.all(
      Array.from({ length: n }, (_, i) => writeTransaction(db, insertSeeing(`n${i}`))),
    );
    expect(notes()).toHaveLength(n);
    // Three commits: each job saw the notes of the batches before its own.
    expect(new Set(seen)).toEqual(new Set([0, MAX_WRITE_BATCH, 2 * MAX_WRITE_BATCH]));
    expect(seen.filter((s) => s === 0)).toHaveLength(MAX_WRITE_BATCH);
  });

  it('rolls back only the job that throws; the others commit and it gets its error', async () => {
    const results = await Promise.allSettled([
      writeTransaction(db, insert('first')),
      writeTransaction(db, () => {
        insert('half-written')();
        throw new Error('refused');
      }),
      writeTransaction(db, insert('third')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('refused');
    expect(notes()).toEqual(['first', 'third']);
  });

  it('lets each job see the writes of the jobs before it in the same batch', async () => {
    const results = await Promise.allSettled([
      writeTransaction(db, insert('same')),
      writeTransaction(db, insert('same')),
    ]);
    expect(results[0]!.status).toBe('fulfilled');
    expect((results[1] as PromiseRejectedResult).reason.code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(notes()).toEqual(['same']);
  });

  it('answers nobody and writes nothing when the whole transaction is lost', async () => {
    const results = await Promise.allSettled([
      writeTransaction(db, insert('before')),
      // Ends the outer transaction from inside a job, as SQLite does by itself on some errors.
      writeTransaction(db, () => db.$client.exec('ROLLBACK')),
      writeTransaction(db, insert('after')),
    ]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(notes()).toEqual([]);
    // And the queue goes on working afterwards.
    await writeTransaction(db, insert('later'));
    expect(notes()).toEqual(['later']);
  });

  it('waits for a lock held by another process without blocking this one, then commits', async () => {
    other.exec('BEGIN IMMEDIATE');
    const pending = writeTransaction(db, insert('waited'));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // This process kept running timers while the write waited.
    expect(ticks).toBeGreaterThan(5);
    other.exec('COMMIT');
    await expect(pending).resolves.toBe(1);
    clearInterval(ticker);
    expect(notes()).toEqual(['waited']);
  });

  it('gives up with SQLITE_BUSY after its wait, having written nothing', async () => {
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    await expect(writeTransaction(db, insert('never'), 50)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    other.exec('COMMIT');
    expect(notes()).toEqual([]);
  });

  it('refuses an async job before running any of it', async () => {
    const job = (async () => {
      insert('never')();
    }) as unknown as () => never;
    await expect(writeTransaction(db, job)).rejects.toThrow(TypeError);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(notes()).toEqual([]);
  });

  it('fails the whole batch with SQLite’s error when a job swallowed a rollback of the transaction', async () => {
    const results = await Promise.allSettled([
      writeTransaction(db, insert('before')),
      writeTransaction(db, () => {
        try {
          db.$client.exec('ROLLBACK');
        } catch {}
        return 0;
      }),
      writeTransaction(db, insert('after')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(notes()).toEqual([]);
  });

  it('fails the waiting jobs, without taking the process down, when the connection is closed', async () => {
    const pending = writeTransaction(db, insert('late'));
    db.$client.close();
    await expect(pending).rejects.toThrow(/not open/);
    db = openDatabase(':memory:');
  });
});

describe('writeTransaction behind a gate', () => {
  it('gives up with SQLITE_BUSY after its wait when no turn comes, having written nothing', async () => {
    setWriteGate(db, { acquire: () => new Promise<void>(() => {}), release: () => {} });
    const started = Date.now();
    await expect(writeTransaction(db, insert('never'), 50)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    setWriteGate(db, null);
    expect(notes()).toEqual([]);
  });
});
