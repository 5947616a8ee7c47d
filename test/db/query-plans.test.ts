import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { signClientToken } from '../../server/auth/tokens.ts';
import { loadClientBudget } from '../../server/db/queries/calendar.ts';
import { openSqliteStore, type SqliteStore } from '../../server/db/sqlite/store.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { enqueueMail, logPending } from '../../server/mail/outbox.ts';
import { importPractice } from '../../server/practice/import.ts';
import { NOW, row, STORE_KIND, testConfig, verifiedToken } from '../helpers.ts';

/**
 * A client's budget is read on every booking of a returning client, inside the write transaction,
 * and for every /chains and /slots asked with a client token. It must cost the same in a practice
 * with ten packages as in one with a hundred thousand: SQLite has to find the client's rows by
 * the client, never by reading all rows of the practice. (SQLite plans without statistics here,
 * as nobody runs ANALYZE; an index on (practice_id, id) once looked as good to it as the
 * client's, and every package of the practice was read for each client.)
 */
describe.runIf(STORE_KIND === 'sqlite')('query plans (SQLite)', () => {
  const file = join(tmpdir(), `terminkette-plans-${process.pid}.db`);
  afterAll(() => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  });

  /** The plan of every statement `fn` runs, on a fresh connection (so every statement is prepared anew). */
  async function plansOf(fn: (store: SqliteStore) => unknown): Promise<{ sql: string; plan: string[] }[]> {
    const store = openSqliteStore(file);
    const sqlite = store.sqlite;
    const seen: { sql: string; args: unknown[] }[] = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((sql: string) => {
      const statement = prepare(sql);
      return new Proxy(statement, {
        get(target, key) {
          const value = Reflect.get(target, key, target);
          if (key !== 'all' && key !== 'get' && key !== 'run' && key !== 'iterate') {
            return typeof value === 'function' ? value.bind(target) : value;
          }
          return (...args: unknown[]) => {
            seen.push({ sql, args });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    }) as Database.Database['prepare'];
    try {
      await fn(store);
    } finally {
      sqlite.prepare = prepare;
    }
    // Transaction control has no plan.
    const plans = seen
      .filter(({ sql }) => !/^(BEGIN|COMMIT|SAVEPOINT|RELEASE|ROLLBACK)\b/.test(sql))
      .map(({ sql, args }) => ({
        sql,
        plan: (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map(
          (r) => r.detail,
        ),
      }));
    sqlite.close();
    return plans;
  }

  /**
   * Every step of every plan searches an index; only the rows of a JSON value may be walked, and
   * `sqlite_sequence` (a row per table: where the ids of a booking's new rows are reserved), the
   * rows of a multi-row VALUES, and the rows a subquery of the same plan yields as it runs (its
   * CO-ROUTINE, whose own steps are checked alike).
   */
  function expectNoTableReadWhole(statements: { sql: string; plan: string[] }[]) {
    for (const { sql, plan } of statements) {
      const coroutines = plan.flatMap((step) => /^CO-ROUTINE (\w+)$/.exec(step)?.[1] ?? []);
      for (const step of plan) {
        if (coroutines.some((name) => step === `SCAN ${name}`)) continue;
        expect(step, `${sql}\n  ${plan.join('\n  ')}`).not.toMatch(
          /^SCAN (?!json_each\b|CONSTANT ROW$|sqlite_sequence$|\d+-ROW VALUES CLAUSE$)/,
        );
      }
    }
  }

  /** The demo practice in the file, once; returns its id. */
  let practiceId = 0;
  async function demoInFile(): Promise<number> {
    if (practiceId) return practiceId;
    const setup = openSqliteStore(file);
    practiceId = (await importPractice(setup, demoDocument(), { now: NOW })).practiceId;
    await setup.close();
    return practiceId;
  }

  it("reads one client's packages, appointments and exclusions through the client, not through the practice", async () => {
    const practiceId = await demoInFile();
    const setup = openSqliteStore(file);
    const { clientId } = (await row<{ clientId: number }>(
      setup,
      'SELECT client_id AS "clientId" FROM packages WHERE practice_id = ? LIMIT 1',
      [practiceId],
    ))!;
    await setup.close();

    let budget: Awaited<ReturnType<typeof loadClientBudget>>;
    const statements = await plansOf(async (store) => {
      budget = await store.read((tx) => loadClientBudget(tx, practiceId, clientId));
    });
    expect(budget!.packages.length).toBeGreaterThan(0);
    expect(statements.length).toBeGreaterThanOrEqual(4);
    for (const { sql, plan } of statements) {
      const where = `${sql}\n  ${plan.join('\n  ')}`;
      // No table is read whole, and no table holding per-client rows is searched by practice alone.
      for (const step of plan) {
        expect(step, where).not.toMatch(
          /^SCAN (clients|packages|appointments|appointment_packages|appointment_lines|exclusions)\b/,
        );
        if (/^SEARCH (packages|exclusions|clients)\b/.test(step)) {
          expect(step, where).toMatch(/client_id=\?|rowid=\?|\bid=\?/);
        }
      }
    }
  });

  it('books for a new and for a returning client, and searches slots with a client token, without reading any table whole', async () => {
    const practiceId = await demoInFile();
    const setup = openSqliteStore(file);
    const lena = (await row<{ id: number; v: number }>(
      setup,
      "SELECT id, access_code_version AS v FROM clients WHERE email = 'lena.vogel@example.org'",
    ))!;
    const chain = async (key: string) =>
      (await row<{ id: number }>(setup, 'SELECT id FROM chains WHERE key = ?', [key]))!.id;
    const [first, followUp] = [await chain('physio-erstbefund'), await chain('physio-folgetermin')];
    await setup.close();
    const token = signClientToken(
      testConfig.secret,
      { practiceId, clientId: lena.id, codeVersion: lena.v, email: 'lena.vogel@example.org' },
      NOW,
    ).token;

    const statuses: number[] = [];
    const statements = await plansOf(async (store) => {
      const app = createApp({ store, clock: () => NOW, config: testConfig });
      const post = async (body: unknown, key: string, auth?: string) => {
        const res = await app.request('/api/v1/p/demo/bookings', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': key,
            ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          },
          body: JSON.stringify(body),
        });
        statuses.push(res.status);
      };
      const nora = { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true };
      await post(
        { chain: first, start: '2026-11-30T08:00:00+01:00', client: nora },
        'plan-1',
        verifiedToken(practiceId, nora.email),
      );
      await post({ chain: followUp, start: '2026-11-30T09:00:00+01:00' }, 'plan-2', token);
      const slots = await app.request(
        `/api/v1/p/demo/slots?chain=${followUp}&from=2026-11-30&to=2026-12-04`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      statuses.push(slots.status);
    });
    expect(statuses).toEqual([201, 201, 200]);
    expect(statements.some(({ sql }) => sql.startsWith('INSERT INTO appointments'))).toBe(true);
    expectNoTableReadWhole(statements);
  });

  it('logs pending mails (no SMTP) through the index of the unlogged ones, not by reading every pending mail', async () => {
    const practiceId = await demoInFile();
    const setup = openSqliteStore(file);
    for (let n = 0; n < 3; n++) {
      await setup.write((tx) =>
        enqueueMail(
          tx,
          { practiceId, kind: 'test', to: `p${n}@example.org`, subject: `S${n}`, text: 'T' },
          NOW,
        ),
      );
    }
    await setup.close();
    let logged = 0;
    const statements = await plansOf(async (store) => {
      logged = await logPending(store, () => {}, NOW, 2);
    });
    expect(logged).toBe(2);
    // The partial index holds exactly the pending mails not yet logged, in id order: reading it
    // from the start stops after `limit` entries, however many mails wait or were logged before.
    const outboxSteps = statements.flatMap(({ plan }) => plan).filter((step) => /\boutbox\b/.test(step));
    expect(outboxSteps.sort()).toEqual([
      'SCAN outbox USING INDEX outbox_unlogged',
      'SEARCH outbox USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
    expect(statements.flatMap(({ plan }) => plan).some((step) => step.includes('TEMP B-TREE'))).toBe(false);
  });
});
