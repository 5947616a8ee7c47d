/**
 * PostgreSQL only (vite.config.ts leaves it out of the SQLite run, whose reads do not wait on I/O):
 * a read's answer goes on only after `resume` (the server's next turn, server/turns.ts), and its
 * connection is back in the pool by then, so a read waiting for its turn holds up no other read.
 */
import { describe, expect, it } from 'vitest';
import { openPgStore, type PgStore } from '../../server/db/pg/store.ts';
import { freshStore } from '../helpers.ts';

describe('a PostgreSQL read with resume', () => {
  it('hands its answer on after resume settles, with its connection already back in the pool', async () => {
    const shared = (await freshStore('postgres')) as PgStore;
    let letGo!: () => void;
    let resumes = 0;
    const store = await openPgStore(process.env.TEST_DATABASE_URL!, {
      schema: shared.schema!,
      poolSize: 1,
      listen: false,
      resume: () => {
        resumes++;
        // The first read waits here until told; the ones after it go on at once.
        return resumes === 1 ? new Promise<void>((resolve) => (letGo = resolve)) : Promise.resolve();
      },
    });
    try {
      let first: number | undefined;
      const waiting = store.read((tx) => tx.get<{ n: number }>('SELECT 1 AS n')).then((r) => (first = r!.n));
      // The pool's one connection serves a second read while the first waits for its turn.
      const second = await store.read((tx) => tx.get<{ n: number }>('SELECT 2 AS n'));
      expect(second).toEqual({ n: 2 });
      expect(resumes).toBe(2);
      expect(first).toBeUndefined();
      letGo();
      await waiting;
      expect(first).toBe(1);
      // A read that fails is not resumed: its error comes back as it was.
      await expect(store.read((tx) => tx.get('SELECT no_such_column'))).rejects.toThrow(/no_such_column/);
      expect(resumes).toBe(2);
    } finally {
      await store.close();
    }
  });
});
