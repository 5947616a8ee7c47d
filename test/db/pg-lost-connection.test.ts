/**
 * PostgreSQL only (vite.config.ts leaves it out of the SQLite run): a pool connection lost under a
 * statement — the network between app and database cut, no answer from the server at all — is the
 * database unavailable for the moment (`StoreBusy`, answered 503), not a fault of the request
 * (500), where nothing can have been written: a read, or a write before its COMMIT. The pool drops
 * the broken connection, and the next request gets a new one.
 *
 * The connection is cut by a TCP relay on loopback between the store and PostgreSQL.
 *
 * And a pool connection that has served its lifetime is replaced: under steady load none idles
 * out, and each would keep the generic plans its statements were first given. Each draws a
 * lifetime of its own, so that those opened together are not replaced in the same moment.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openPgStore, type PgStore } from '../../server/db/pg/store.ts';
import { StoreBusy } from '../../server/errors.ts';
import { freshStore } from '../helpers.ts';

/** A relay to the database's port; `cut` ends every connection through it without a word. */
async function relayTo(url: string) {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(Number(target.port || 5432), target.hostname);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', drop);
      s.on('close', drop);
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String((server.address() as AddressInfo).port);
  return {
    url: relayed.toString(),
    connections: () => sockets.size / 2,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `check` holds, polling every 10 ms for at most `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 2_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition not met in ${ms} ms`);
}

describe('a pool connection lost under a statement, on PostgreSQL', () => {
  let direct: PgStore;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let store: PgStore;
  let logged: string[];

  beforeEach(async () => {
    direct = (await freshStore('postgres')) as PgStore;
    relay = await relayTo(process.env.TEST_DATABASE_URL!);
    logged = [];
    store = await openPgStore(relay.url, {
      schema: direct.schema!,
      poolSize: 2,
      listen: false,
      log: (m) => logged.push(m),
    });
  });
  afterEach(async () => {
    await relay.close();
    await store.close();
  });

  /** A statement that runs for 3 s, and whether it runs in PostgreSQL now (seen from the direct store). */
  const sleep = (tag: string) => `SELECT pg_sleep(3) AS "${tag}"`;
  const sleeping = (tag: string) => async () =>
    (
      await direct.read((tx) =>
        tx.all("SELECT pid FROM pg_stat_activity WHERE query = ? AND state = 'active'", [sleep(tag)]),
      )
    ).length > 0;

  /** What `work` ends with when the connection is cut under its statement tagged `tag`: its error, or 'done'. */
  const cutUnder = async (tag: string, work: Promise<unknown>) => {
    const settled = work.then(
      () => 'done',
      (err: unknown) => err,
    );
    await until(sleeping(tag));
    relay.cut();
    return settled;
  };

  it('fails a read with StoreBusy, and the next read gets a new connection', async () => {
    const failure = await cutUnder(
      'read',
      store.read((tx) => tx.get(sleep('read'))),
    );
    expect(failure).toBeInstanceOf(StoreBusy);
    expect(String((failure as StoreBusy).cause)).toMatch(/Connection terminated/);
    expect(logged).toEqual([
      'PostgreSQL connection lost under a statement (Connection terminated unexpectedly)',
    ]);
    expect(await store.read((tx) => tx.get<{ n: number }>('SELECT 2 AS n'))).toEqual({ n: 2 });
  });

  it('fails a read in a snapshot with StoreBusy', async () => {
    expect(
      await cutUnder(
        'snapshot',
        store.read((tx) => tx.get(sleep('snapshot')), { snapshot: true }),
      ),
    ).toBeInstanceOf(StoreBusy);
  });

  const insert = "INSERT INTO app_secrets (name, value, created_at) VALUES ('cut-test', ?, ?)";

  it('fails a write before its COMMIT with StoreBusy, and nothing of it is written', async () => {
    const write = store.write(async (tx) => {
      await tx.run(insert, ['x', 1]);
      await tx.get(sleep('write'));
    });
    expect(await cutUnder('write', write)).toBeInstanceOf(StoreBusy);
    // PostgreSQL notices the connection gone once its statement ends, and rolls the transaction back.
    await until(async () => !(await sleeping('write')()), 5_000);
    expect(await direct.read((tx) => tx.all("SELECT name FROM app_secrets WHERE name = 'cut-test'"))).toEqual(
      [],
    );
    // And the store writes again, on a new connection.
    await store.write((tx) => tx.run(insert, ['y', 2]));
    expect(
      await direct.read((tx) => tx.all("SELECT value FROM app_secrets WHERE name = 'cut-test'")),
    ).toEqual([{ value: 'y' }]);
  });

  it('leaves a statement error a statement error', async () => {
    await expect(store.read((tx) => tx.get('SELECT no_such_column'))).rejects.not.toBeInstanceOf(StoreBusy);
    await expect(store.write((tx) => tx.get('SELECT no_such_column'))).rejects.not.toBeInstanceOf(StoreBusy);
    expect(relay.connections()).toBeGreaterThan(0);
  });
});

describe("a pool connection's lifetime, on PostgreSQL", () => {
  /**
   * A fresh schema, and a store of its own on it with this pool size and connection lifetime (the
   * schema is had before a test replaces Math.random: the shared store's connections draw too).
   */
  const freshSchema = async () => ((await freshStore('postgres')) as PgStore).schema!;
  const storeWith = (schema: string, poolSize: number, connectionLifetimeSeconds: number) =>
    openPgStore(process.env.TEST_DATABASE_URL!, {
      schema,
      poolSize,
      listen: false,
      connectionLifetimeSeconds,
    });

  it('ends it once it is free, and the next read gets a new one', async () => {
    const schema = await freshSchema();
    // Each connection's draw: the whole lifetime (the next test draws shorter ones).
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    const store = await storeWith(schema, 1, 1);
    try {
      const pid = () => store.read((tx) => tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'));
      const first = (await pid())!.pid;
      expect((await pid())!.pid).toBe(first);
      // Busy across its end of life: it serves its read to the end, and is replaced after.
      expect(
        await store.read((tx) =>
          tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid FROM pg_sleep(1.3)'),
        ),
      ).toEqual({
        pid: first,
      });
      expect((await pid())!.pid).not.toBe(first);
    } finally {
      random.mockRestore();
      await store.close();
    }
  });

  it('draws each a lifetime of its own, up to a tenth shorter, so that connections opened together are not replaced together', async () => {
    const schema = await freshSchema();
    // The draws of the first two connections (the migration's, then the second read's): the whole
    // lifetime (an hour), and nine tenths of it.
    const draws = [0, 0.999];
    const random = vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.5);
    // The store's clock, moved on by hand: no waiting, and the pool's own hour never comes.
    const real = performance.now.bind(performance);
    let later = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => real() + later);
    const store = await storeWith(schema, 2, 3_600);
    try {
      // Two reads at once: two connections.
      const both = async () =>
        new Set(
          (
            await Promise.all(
              [0, 1].map(() =>
                store.read((tx) =>
                  tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid FROM pg_sleep(0.05)'),
                ),
              ),
            )
          ).map((r) => r!.pid),
        );
      const first = await both();
      expect(first.size).toBe(2);
      expect(draws).toEqual([]);
      // 57 minutes on, between the two ends: the shorter-lived one is ended as it comes back, the
      // other serves on.
      later = 57 * 60_000;
      await both();
      const after = await both();
      expect([...after].filter((pid) => first.has(pid))).toHaveLength(1);
    } finally {
      clock.mockRestore();
      random.mockRestore();
      await store.close();
    }
  });

  it('takes whole seconds only', async () => {
    const shared = (await freshStore('postgres')) as PgStore;
    for (const connectionLifetimeSeconds of [0, 0.5, Number.NaN])
      await expect(
        openPgStore(process.env.TEST_DATABASE_URL!, {
          schema: shared.schema!,
          listen: false,
          connectionLifetimeSeconds,
        }),
      ).rejects.toThrow(/connectionLifetimeSeconds/);
  });
});
