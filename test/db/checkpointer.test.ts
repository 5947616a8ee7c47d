/** WAL checkpoints on a thread of their own, so no commit waits for one. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../server/db/sqlite/checkpointer.ts';
import { openSqliteStore, SqliteStore } from '../../server/db/sqlite/store.ts';
import { STORE_KIND } from '../helpers.ts';

/** A database file with a `filler` table, opened for `fn` and removed afterwards. */
async function withFillerFile(fn: (store: SqliteStore, path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tk-ckpt-'));
  const path = join(dir, 'c.db');
  const store = openSqliteStore(path);
  try {
    store.sqlite.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    await fn(store, path);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(STORE_KIND === 'sqlite')('the checkpoint thread (SQLite)', () => {
  it('copies the WAL into the database file in the background, and hands back to SQLite when stopped', async () => {
    await withFillerFile(async (store, path) => {
      const db = store.sqlite;
      db.pragma('wal_autocheckpoint = 0');
      const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
      db.transaction(() => {
        for (let i = 0; i < 5000; i++) insert.run('x'.repeat(200));
      })();
      const before = statSync(path).size;
      expect(before).toBeLessThan(200_000);
      const checkpoints = startCheckpointer(store, { intervalMs: 10 })!;
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(40_000);
      const deadline = Date.now() + 5_000;
      while (statSync(path).size < 1_000_000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(statSync(path).size).toBeGreaterThan(1_000_000);
      await checkpoints.stop();
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
    });
  });

  it('starts the WAL over once it has copied all of it, so the WAL stays small under steady writes', async () => {
    await withFillerFile(async (store, path) => {
      const checkpoints = startCheckpointer(store, { intervalMs: 5, restartPages: 100 })!;
      let largest = 0;
      // 400 commits of ~40 KB each, 16 MB in all, a little apart as requests come (5 ms: the thread
      // gets its turn also on a loaded machine, where 1 ms apart left the WAL at 12 MB once in three).
      for (let i = 0; i < 400; i++) {
        await store.write(async (tx) => {
          for (let j = 0; j < 10; j++)
            await tx.run('INSERT INTO filler (text) VALUES (?)', ['x'.repeat(4000)]);
        });
        largest = Math.max(largest, statSync(`${path}-wal`).size);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await checkpoints.stop();
      expect((store.sqlite.prepare('SELECT count(*) AS n FROM filler').get() as { n: number }).n).toBe(4000);
      // Without starting over, the WAL would hold all 16 MB (the automatic threshold is 160 MB).
      expect(largest).toBeLessThan(8_000_000);
    });
  });

  it('stops at once when the thread has already ended (it could not open the file)', async () => {
    const store = new SqliteStore(new Database(':memory:'), '/nonexistent-dir/terminkette/x.db');
    const checkpoints = startCheckpointer(store, { log: () => {} })!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await checkpoints.stop();
    expect(store.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
    await store.close();
  });

  it('is not started for an in-memory database', () => {
    expect(startCheckpointer(openSqliteStore(':memory:'))).toBeNull();
  });
});
