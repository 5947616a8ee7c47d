/**
 * PostgreSQL only (vite.config.ts leaves it out of the SQLite run, which ignores `short`): short
 * reads share one connection in pipeline mode, apart from the pool. Each gets its own answer or
 * its own error; when that connection breaks, what waited on it fails and the next short read
 * opens another.
 */
import { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPgStore, type PgStore } from '../../server/db/pg/store.ts';
import { StoreBusy } from '../../server/errors.ts';
import { freshStore } from '../helpers.ts';

type Pid = { pid: number };
const pidOf = 'SELECT pg_backend_pid() AS pid';

describe('short reads on PostgreSQL', () => {
  let store: PgStore;
  let logged: string[];
  let resumes: number;

  beforeEach(async () => {
    const shared = (await freshStore('postgres')) as PgStore;
    logged = [];
    resumes = 0;
    store = await openPgStore(process.env.TEST_DATABASE_URL!, {
      schema: shared.schema!,
      poolSize: 1,
      listen: false,
      log: (m) => logged.push(m),
      shortReadTimeoutMs: 1_000,
      resume: async () => {
        resumes++;
      },
    });
  });
  afterEach(() => store.close());

  it('share one connection of their own, apart from the pool, each with its own answer', async () => {
    // The pool's one connection is taken for the whole test.
    let poolDone = false;
    const busyPool = store
      .read((tx) => tx.get<Pid>(`${pidOf}, pg_sleep(1.5)`))
      .then((r) => {
        poolDone = true;
        return r!.pid;
      });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.read(
          (tx) =>
            tx.get<{ n: number; pid: number }>(`SELECT CAST(? AS int) AS n, pg_backend_pid() AS pid`, [i]),
          {
            short: true,
          },
        ),
      ),
    );
    expect(poolDone).toBe(false);
    expect(answers.map((a) => a!.n)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const pids = new Set(answers.map((a) => a!.pid));
    expect(pids.size).toBe(1);
    expect(pids.has(await busyPool)).toBe(false);
    // Each short read, too, goes on in the server's next turn.
    expect(resumes).toBe(41);
  });

  it('leave in one write when they are asked for in the same round of the event loop', async () => {
    await store.read((tx) => tx.get(pidOf), { short: true }); // the connection is open
    let writes = 0;
    const { _write, _writev } = Socket.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const proto = Socket.prototype as unknown as Record<string, unknown>;
    proto._write = function (this: Socket, ...a: unknown[]) {
      writes++;
      return _write!.apply(this, a);
    };
    proto._writev = function (this: Socket, ...a: unknown[]) {
      writes++;
      return _writev!.apply(this, a);
    };
    try {
      const ask = (i: number) =>
        store.read((tx) => tx.get<{ n: number }>('SELECT CAST(? AS int) AS n', [i]), { short: true });
      const round = Array.from({ length: 20 }, (_, i) => ask(i));
      expect((await Promise.all(round)).map((a) => a!.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(writes).toBe(1);
      // The next round's, again together.
      expect((await Promise.all([ask(20), ask(21)])).map((a) => a!.n)).toEqual([20, 21]);
      expect(writes).toBe(2);
    } finally {
      proto._write = _write;
      proto._writev = _writev;
    }
  });

  it('keep an error to the read that caused it', async () => {
    const [before, failed, after] = await Promise.allSettled([
      store.read((tx) => tx.get<{ n: number }>('SELECT 1 AS n'), { short: true }),
      store.read((tx) => tx.get('SELECT no_such_column'), { short: true }),
      store.read((tx) => tx.get<{ n: number }>('SELECT 3 AS n'), { short: true }),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: { n: 1 } });
    expect(failed.status).toBe('rejected');
    expect(String((failed as PromiseRejectedResult).reason)).toMatch(/no_such_column/);
    expect(after).toEqual({ status: 'fulfilled', value: { n: 3 } });
  });

  it('give a statement’s error a stack that leads back to the store, not only to the socket read that brought it (short reads and the pool)', async () => {
    for (const short of [true, false]) {
      const err = await store.read((tx) => tx.get('SELECT no_such_column'), { short }).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.stack).toMatch(/no_such_column/);
      expect(err.stack).toMatch(/server\/db\/pg\/store\.ts/);
    }
  });

  it('open a new connection when theirs broke, after failing the reads that waited on it', async () => {
    const first = (await store.read((tx) => tx.get<Pid>(pidOf), { short: true }))!.pid;
    // Settled as they fail, which can be before the termination's own answer arrives.
    const waiting = Promise.allSettled([
      store.read((tx) => tx.get(`SELECT pg_sleep(5)`), { short: true }),
      store.read((tx) => tx.get<{ n: number }>('SELECT 2 AS n'), { short: true }),
    ]);
    const ended = await store.read((tx) =>
      tx.get<{ ok: boolean }>('SELECT pg_terminate_backend(CAST(? AS int)) AS ok', [first]),
    );
    expect(ended).toEqual({ ok: true });
    // The database unavailable for the moment (503), not a fault of the reads.
    for (const failed of await waiting) {
      expect(failed.status).toBe('rejected');
      expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(StoreBusy);
    }
    const next = (await store.read((tx) => tx.get<Pid>(pidOf), { short: true }))!.pid;
    expect(next).not.toBe(first);
    expect(logged.some((m) => m.includes('connection for short reads lost'))).toBe(true);
  });

  it('are cancelled when they run on, and the ones behind go on, on the same connection', async () => {
    const first = (await store.read((tx) => tx.get<Pid>(pidOf), { short: true }))!.pid;
    const started = Date.now();
    const [slow, behind] = await Promise.allSettled([
      store.read((tx) => tx.get('SELECT pg_sleep(3)'), { short: true }),
      store.read((tx) => tx.get<Pid>(pidOf), { short: true }),
    ]);
    expect(slow.status).toBe('rejected');
    const reason = (slow as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(StoreBusy);
    expect(String(reason.cause)).toMatch(/statement timeout/);
    expect(behind).toEqual({ status: 'fulfilled', value: { pid: first } });
    expect(Date.now() - started).toBeLessThan(2_500);
    // Reads on the pool have no such limit.
    expect(await store.read((tx) => tx.get('SELECT 1 AS n FROM pg_sleep(1.2)'))).toEqual({ n: 1 });
  });

  it('with a snapshot, run on the pool in a read transaction', async () => {
    const poolPid = (await store.read((tx) => tx.get<Pid>(pidOf)))!.pid;
    const shortPid = (await store.read((tx) => tx.get<Pid>(pidOf), { short: true }))!.pid;
    const snapshot = await store.read(
      (tx) => tx.get(`${pidOf}, current_setting('transaction_read_only') AS read_only`),
      { short: true, snapshot: true },
    );
    expect(snapshot).toEqual({ pid: poolPid, read_only: 'on' });
    expect(shortPid).not.toBe(poolPid);
  });

  it('take a timeout of whole milliseconds only', async () => {
    for (const shortReadTimeoutMs of [0, 1.5, Number.NaN])
      await expect(
        openPgStore(process.env.TEST_DATABASE_URL!, {
          schema: store.schema!,
          listen: false,
          shortReadTimeoutMs,
        }),
      ).rejects.toThrow(/shortReadTimeoutMs/);
  });
});

describe("the short reads' connection's lifetime, on PostgreSQL", () => {
  it('replaces it once served, after the reads that hold it are done with it', async () => {
    const shared = (await freshStore('postgres')) as PgStore;
    const store = await openPgStore(process.env.TEST_DATABASE_URL!, {
      schema: shared.schema!,
      listen: false,
      shortReadTimeoutMs: 500,
      connectionLifetimeSeconds: 1,
    });
    try {
      const pid = async () => (await store.read((tx) => tx.get<Pid>(pidOf), { short: true }))!.pid;
      const first = await pid();
      // A read on it that goes on past its lifetime: its second statement still finds it.
      let pause!: () => void;
      const paused = new Promise<void>((resolve) => (pause = resolve));
      const holding = store.read(
        async (tx) => {
          const a = (await tx.get<Pid>(pidOf))!.pid;
          await paused;
          return [a, (await tx.get<Pid>(pidOf))!.pid];
        },
        { short: true },
      );
      await new Promise((r) => setTimeout(r, 1_100));
      const next = await pid();
      expect(next).not.toBe(first);
      pause();
      expect(await holding).toEqual([first, first]);
      // The old one ends once its grace is over (twice the statement timeout and a second).
      const alive = async (p: number) =>
        (await shared.read((tx) => tx.all('SELECT 1 FROM pg_stat_activity WHERE pid = ?', [p]))).length > 0;
      expect(await alive(first)).toBe(true);
      await new Promise((r) => setTimeout(r, 2_300));
      expect(await alive(first)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
