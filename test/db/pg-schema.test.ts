/**
 * The PostgreSQL schema (server/db/pg): the same tables and columns as the SQLite one, and a database
 * that keeps the data valid by itself — no double booking, config_version moved by triggers, every
 * CHECK of the SQLite schema. Runs against `TEST_DATABASE_URL` in a schema of its own, dropped
 * afterwards; without that URL it is skipped, loudly — and in CI it fails instead.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { getTableName, is } from 'drizzle-orm';
import { PgTable, getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { SQLiteTable, getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as pgSchema from '../../server/db/pg/schema.ts';
import * as sqliteSchema from '../../server/db/sqlite/schema.ts';

const url = process.env.TEST_DATABASE_URL;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pgMigrations = join(root, 'server/db/pg/migrations');
const sqliteMigrations = join(root, 'server/db/sqlite/migrations');

if (!url) {
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '!!! PostgreSQL schema tests SKIPPED (test/db/pg-schema.test.ts): TEST_DATABASE_URL is not set.',
      '!!! Run them with TEST_DATABASE_URL=postgres://user@host:5432/db npx vitest run test/db/pg-schema',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
}

/** The same key as the PostgreSQL store's migration lock (server/db/pg/store.ts): one at a time. */
const MIGRATION_LOCK = 727_301_955;

const MIN = 60_000;
/** Monday 2026-11-30 09:00 in Berlin. */
const T0 = Date.UTC(2026, 10, 30, 8, 0);

/** Epoch-millisecond columns: bigint on PostgreSQL (everything else that is an integer stays one). */
const INSTANTS = new Set([
  'created_at',
  'starts_at',
  'ends_at',
  'blocked_until',
  'cancelled_at',
  'valid_from',
  'valid_until',
  'consent_at',
  'at',
  'expires_at',
  'used_at',
  'next_attempt_at',
  'claimed_until',
  'sent_at',
  'logged_at',
  'hold_expires_at',
  'last_seen_at',
  'expire',
]);

/** The tables whose changes raise practices.config_version (SQLite: 0002_config_version_triggers). */
const CONFIG_TABLES = [
  'therapists',
  'rooms',
  'working_hours',
  'availability_exceptions',
  'services',
  'package_templates',
  'chains',
  'chain_lines',
  'chain_therapists',
  'chain_package_rules',
] as const;

/** Each migration of a folder, in journal order, as its statements. */
function migrationStatements(folder: string): { tag: string; statements: string[] }[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as {
    entries: { idx: number; tag: string }[];
  };
  return [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map(({ tag }) => ({
      tag,
      statements: readFileSync(join(folder, `${tag}.sql`), 'utf8')
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    }));
}

/**
 * A column only SQLite has: the busy text of an appointment, virtual there and kept in the slot
 * search's indexes; PostgreSQL builds it as it reads (queries/calendar.ts `busyText`).
 */
const SQLITE_ONLY_COLUMNS = new Set(['appointments.busy_text']);
const sqliteTables = Object.values(sqliteSchema)
  .filter((v) => is(v, SQLiteTable))
  .map((t) => sqliteTableConfig(t))
  .map((t) => ({ ...t, columns: t.columns.filter((c) => !SQLITE_ONLY_COLUMNS.has(`${t.name}.${c.name}`)) }));
/**
 * Tables only PostgreSQL has: the secret the instances share (the SQLite build keeps its secret in
 * a file beside the database, auth/secret.ts).
 */
const PG_ONLY = new Set(['app_secrets']);
const pgTables = Object.values(pgSchema)
  .filter((v) => is(v, PgTable))
  .map((t) => pgTableConfig(t))
  .filter((t) => !PG_ONLY.has(t.name));

describe('the PostgreSQL schema in drizzle (no database needed)', () => {
  it('has exactly the tables of the SQLite schema, with the same columns, in the same order', () => {
    const shape = (tables: { name: string; columns: { name: string; notNull: boolean }[] }[]) =>
      Object.fromEntries(
        tables.map((t) => [t.name, t.columns.map((c) => `${c.name}${c.notNull ? ' not null' : ''}`)]),
      );
    expect(shape(pgTables)).toEqual(shape(sqliteTables));
  });

  it('has the column types the rules ask for: instants bigint, booleans boolean, JSON jsonb', () => {
    const sqliteColumns = new Map(
      sqliteTables.flatMap((t) => t.columns.map((c) => [`${t.name}.${c.name}`, c.columnType] as const)),
    );
    for (const t of pgTables) {
      for (const c of t.columns) {
        const before = sqliteColumns.get(`${t.name}.${c.name}`);
        const expected =
          before === 'SQLiteBoolean'
            ? 'boolean'
            : before === 'SQLiteTextJson'
              ? 'jsonb'
              : before === 'SQLiteText'
                ? 'text'
                : INSTANTS.has(c.name)
                  ? 'bigint'
                  : 'integer';
        expect(`${t.name}.${c.name} ${c.getSQLType()}`).toBe(`${t.name}.${c.name} ${expected}`);
      }
    }
  });

  it('names the same checks, unique constraints, indexes and foreign keys', () => {
    type Config = ReturnType<typeof pgTableConfig> | ReturnType<typeof sqliteTableConfig>;
    const names = (tables: Config[]) =>
      tables.map((t) => ({
        table: t.name,
        checks: t.checks.map((c) => c.name).sort(),
        uniques: t.uniqueConstraints.map((u) => u.name).sort(),
        indexes: t.indexes.map((i) => `${i.config.name}${i.config.unique ? ' unique' : ''}`).sort(),
        foreignKeys: t.foreignKeys
          .map((fk) => {
            const ref = fk.reference();
            return `(${ref.columns.map((c) => c.name)}) -> ${getTableName(ref.foreignTable)}(${ref.foreignColumns.map((c) => c.name)}) on delete ${fk.onDelete ?? 'no action'}`;
          })
          .sort(),
      }));
    const byName = (a: { table: string }, b: { table: string }) => a.table.localeCompare(b.table);
    expect(names(pgTables).sort(byName)).toEqual(names(sqliteTables).sort(byName));
  });
});

describe('the PostgreSQL migrations (no database needed)', () => {
  // drizzle-kit writes REFERENCES "public"."table"; the committed files must not (see 0000_init.sql).
  it('name their tables without a schema, so they apply in whichever schema leads the search path', () => {
    for (const { tag, statements } of migrationStatements(pgMigrations)) {
      expect({ tag, qualified: statements.filter((s) => /"public"\./.test(s)) }).toEqual({
        tag,
        qualified: [],
      });
    }
  });
});

// In CI a missing PostgreSQL is an error, not a skip.
if (!url && process.env.CI)
  throw new Error('CI needs TEST_DATABASE_URL: the PostgreSQL schema tests must run there');

describe.skipIf(!url)('the PostgreSQL schema on a database', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let admin: pg.Client | undefined;
  let db: pg.Client;

  const q = async <R extends Record<string, any> = Record<string, any>>(
    text: string,
    params: unknown[] = [],
  ) => (await db.query<R>(text, params)).rows;
  const one = async <R extends Record<string, any> = Record<string, any>>(
    text: string,
    params: unknown[] = [],
  ) => {
    const rows = await q<R>(text, params);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };
  /** The error a statement fails with (the transaction goes on), or null when it succeeds. */
  const failure = async (text: string, params: readonly unknown[] = []) => {
    await db.query('SAVEPOINT attempt');
    try {
      await db.query(text, [...params]);
      await db.query('RELEASE SAVEPOINT attempt');
      return null;
    } catch (err) {
      await db.query('ROLLBACK TO SAVEPOINT attempt');
      return err as pg.DatabaseError;
    }
  };

  /** Committed rows that every test starts from (each test runs in a transaction rolled back). */
  const f = {
    a: 0,
    b: 0,
    t1: 0,
    t2: 0,
    tb: 0,
    r1: 0,
    r2: 0,
    c1: 0,
    c2: 0,
    c3: 0,
    c4: 0,
    s1: 0,
    tpl: 0,
    chain: 0,
  };

  async function practice(slug: string) {
    return (
      await one<{ id: number }>(
        "INSERT INTO practices (slug, name, plan, created_at) VALUES ($1, $1, 'M', $2) RETURNING id",
        [slug, T0],
      )
    ).id;
  }
  async function therapist(practiceId: number, key: string) {
    return (
      await one<{ id: number }>(
        'INSERT INTO therapists (practice_id, key, name) VALUES ($1, $2, $2) RETURNING id',
        [practiceId, key],
      )
    ).id;
  }
  async function room(practiceId: number, key: string) {
    return (
      await one<{ id: number }>(
        'INSERT INTO rooms (practice_id, key, name) VALUES ($1, $2, $2) RETURNING id',
        [practiceId, key],
      )
    ).id;
  }
  async function client(practiceId: number, email: string | null) {
    return (
      await one<{ id: number }>(
        "INSERT INTO clients (practice_id, first_name, last_name, email, access_code, created_at) VALUES ($1, 'Nora', 'Neu', $2, 'abcdef', $3) RETURNING id",
        [practiceId, email, T0],
      )
    ).id;
  }

  interface Booking {
    therapist: number;
    client: number;
    room?: number | null;
    /** Minutes after T0. */
    at: number;
    minutes?: number;
    buffer?: number;
    status?: 'booked' | 'done' | 'no_show' | 'cancelled';
    practice?: number;
  }
  /** The INSERT of an appointment, as plain SQL with its parameters. */
  function booking(b: Booking): [string, unknown[]] {
    const startsAt = T0 + b.at * MIN;
    const endsAt = startsAt + (b.minutes ?? 30) * MIN;
    const buffer = b.buffer ?? 0;
    const status = b.status ?? 'booked';
    return [
      `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, starts_at, ends_at,
         buffer_after_minutes, blocked_until, status, source, cancelled_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'staff', $10, $11) RETURNING id`,
      [
        b.practice ?? f.a,
        b.client,
        b.therapist,
        b.room ?? null,
        startsAt,
        endsAt,
        buffer,
        endsAt + buffer * MIN,
        status,
        status === 'cancelled' ? T0 : null,
        T0,
      ],
    ];
  }
  const book = async (b: Booking) => (await one<{ id: number }>(...booking(b))).id;
  const tryBook = (b: Booking) => failure(...booking(b));
  const cancel = (id: number) =>
    q("UPDATE appointments SET status = 'cancelled', cancelled_at = $2 WHERE id = $1", [id, T0]);

  const version = async (practiceId = f.a) =>
    (await one<{ v: number }>('SELECT config_version AS v FROM practices WHERE id = $1', [practiceId])).v;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // Once per database, in public: never inside a test schema, whose DROP … CASCADE would take the
    // extension (and every exclusion constraint built on it) along. Under the lock: another test file
    // may be creating it at this very moment.
    await admin.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await admin.query('CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public');
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
    await admin.query(`CREATE SCHEMA ${schema}`);

    db = new pg.Client({ connectionString: url, options: `-c search_path=${schema},public` });
    await db.connect();
    await db.query('BEGIN');
    for (const migration of migrationStatements(pgMigrations)) {
      for (const statement of migration.statements) await db.query(statement);
    }
    await db.query('COMMIT');

    f.a = await practice('praxis-a');
    f.b = await practice('praxis-b');
    f.t1 = await therapist(f.a, 't1');
    f.t2 = await therapist(f.a, 't2');
    f.tb = await therapist(f.b, 'tb');
    f.r1 = await room(f.a, 'r1');
    f.r2 = await room(f.a, 'r2');
    f.c1 = await client(f.a, 'eins@example.org');
    f.c2 = await client(f.a, 'zwei@example.org');
    f.c3 = await client(f.b, 'drei@example.org');
    f.c4 = await client(f.a, 'vier@example.org');
    f.s1 = (
      await one<{ id: number }>(
        "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES ($1, 'KG', 'Krankengymnastik', 2500, 30) RETURNING id",
        [f.a],
      )
    ).id;
    f.tpl = (
      await one<{ id: number }>(
        "INSERT INTO package_templates (practice_id, key, name, max_appointments, validity_kind) VALUES ($1, 'rx', 'Rezept', 6, 'none') RETURNING id",
        [f.a],
      )
    ).id;
    f.chain = (
      await one<{ id: number }>(
        "INSERT INTO chains (practice_id, key, name) VALUES ($1, 'kg', 'KG') RETURNING id",
        [f.a],
      )
    ).id;
  });

  afterAll(async () => {
    await db?.end().catch(() => {});
    if (admin) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  beforeEach(async () => {
    await db.query('BEGIN');
  });
  afterEach(async () => {
    await db.query('ROLLBACK');
  });

  describe('the migrations', () => {
    it('build the same tables, columns, checks, indexes and foreign keys as the SQLite migrations', async () => {
      const lite = new Database(':memory:');
      for (const migration of migrationStatements(sqliteMigrations)) {
        for (const statement of migration.statements) lite.exec(statement);
      }
      // table_xinfo: table_info leaves out generated columns.
      const liteColumns = (
        lite
          .prepare(
            "SELECT m.name AS tbl, p.name AS col, p.type, p.\"notnull\" AS nn, p.dflt_value IS NOT NULL AS dflt FROM sqlite_master m, pragma_table_xinfo(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
          )
          .all() as { tbl: string; col: string; type: string; nn: number; dflt: number }[]
      ).filter((c) => !SQLITE_ONLY_COLUMNS.has(`${c.tbl}.${c.col}`));
      const pgColumns = await q<{ tbl: string; col: string; type: string; nn: boolean; dflt: boolean }>(
        `SELECT table_name AS tbl, column_name AS col, data_type AS type, is_nullable = 'NO' AS nn,
                column_default IS NOT NULL AS dflt
           FROM information_schema.columns WHERE table_schema = $1 AND NOT (table_name = ANY($2))`,
        [schema, [...PG_ONLY]],
      );
      const families: Record<string, string[]> = {
        integer: ['integer', 'bigint', 'boolean'],
        text: ['text', 'jsonb'],
      };
      const shape = (rows: { tbl: string; col: string; nn: unknown; dflt: unknown }[]) =>
        rows.map((r) => `${r.tbl}.${r.col}${r.nn ? ' not null' : ''}${r.dflt ? ' default' : ''}`).sort();
      expect(shape(pgColumns)).toEqual(shape(liteColumns));
      const liteTypes = new Map(liteColumns.map((c) => [`${c.tbl}.${c.col}`, c.type.toLowerCase()]));
      for (const c of pgColumns) expect(families[liteTypes.get(`${c.tbl}.${c.col}`)!]).toContain(c.type);

      const liteChecks = (
        lite.prepare("SELECT sql FROM sqlite_master WHERE type = 'table'").all() as { sql: string }[]
      ).flatMap((t) => [...t.sql.matchAll(/CONSTRAINT "(\w+)" CHECK/g)].map((m) => m[1]!));
      const pgChecks = await q<{ name: string }>(
        "SELECT conname AS name FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'c'",
        [schema],
      );
      expect(pgChecks.map((c) => c.name).sort()).toEqual(liteChecks.sort());

      // SQLite makes unique constraints unique indexes; PostgreSQL keeps an index of the same name.
      const liteIndexes = lite
        .prepare(
          "SELECT tbl_name || '.' || name AS name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'",
        )
        .all() as { name: string }[];
      const pgIndexes = await q<{ name: string }>(
        `SELECT tablename || '.' || indexname AS name FROM pg_indexes
          WHERE schemaname = $1 AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_pk'
            AND indexname NOT LIKE '%\\_no\\_overlap'`,
        [schema],
      );
      expect(pgIndexes.map((i) => i.name).sort()).toEqual(liteIndexes.map((i) => i.name).sort());

      const liteKeys = (
        lite
          .prepare(
            'SELECT m.name AS tbl, k.id, k."table" AS ref, k."from" AS col, k."to" AS refcol, k.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) k WHERE m.type = \'table\' ORDER BY m.name, k.id, k.seq',
          )
          .all() as { tbl: string; id: number; ref: string; col: string; refcol: string; on_delete: string }[]
      ).reduce<Map<string, { tbl: string; ref: string; cols: string[]; refcols: string[]; del: string }>>(
        (keys, k) => {
          const key = `${k.tbl}#${k.id}`;
          const fk = keys.get(key) ?? { tbl: k.tbl, ref: k.ref, cols: [], refcols: [], del: k.on_delete };
          fk.cols.push(k.col);
          fk.refcols.push(k.refcol);
          return keys.set(key, fk);
        },
        new Map(),
      );
      const pgKeys = await q<{ tbl: string; ref: string; cols: string[]; refcols: string[]; del: string }>(
        `SELECT c.conrelid::regclass::text AS tbl, c.confrelid::regclass::text AS ref,
                CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' ELSE c.confdeltype::text END AS del,
                (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS cols,
                (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS refcols
           FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE n.nspname = $1 AND c.contype = 'f'`,
        [schema],
      );
      const fks = (
        keys: Iterable<{ tbl: string; ref: string; cols: string[]; refcols: string[]; del: string }>,
      ) => [...keys].map((k) => `${k.tbl}(${k.cols}) -> ${k.ref}(${k.refcols}) on delete ${k.del}`).sort();
      expect(fks(pgKeys)).toEqual(fks(liteKeys.values()));
      lite.close();
    });

    it('keep instants exact beyond 32 bits and JSON as JSON', async () => {
      const far = Date.UTC(2200, 0, 1);
      const row = await one(
        `INSERT INTO outbox (practice_id, kind, to_address, subject, text_body, next_attempt_at, created_at)
         VALUES ($1, 'mail', 'a@example.org', '', '', $2, $2) RETURNING next_attempt_at::text AS at, attachments, content, status`,
        [f.a, far],
      );
      expect(row).toEqual({ at: String(far), attachments: [], content: null, status: 'pending' });
      const p = await one(
        'SELECT allowed_origins, online_booking_enabled, config_version FROM practices WHERE id = $1',
        [await practice('neu')],
      );
      expect(p).toEqual({ allowed_origins: [], online_booking_enabled: true, config_version: 0 });
    });
  });

  describe('no double booking, whatever the code forgot to check', () => {
    it('refuses a second appointment of the same therapist in the same time, buffer included', async () => {
      const first = await book({ therapist: f.t1, client: f.c1, at: 0, buffer: 10 });
      for (const at of [0, 15, -20, 35]) {
        expect(await tryBook({ therapist: f.t1, client: f.c2, at })).toMatchObject({
          code: '23P01',
          constraint: 'appointments_therapist_no_overlap',
        });
      }
      // Back to back: [start, blocked_until) is half-open.
      await book({ therapist: f.t1, client: f.c2, at: 40 });
      await book({ therapist: f.t1, client: f.c2, at: -30 });
      // Another therapist at the same time.
      await book({ therapist: f.t2, client: f.c2, at: 0, status: 'done' });
      // Once the first is cancelled, its time is free again; un-cancelling it is refused then.
      await cancel(first);
      await book({ therapist: f.t1, client: f.c4, at: 5 });
      expect(
        await failure("UPDATE appointments SET status = 'booked', cancelled_at = NULL WHERE id = $1", [
          first,
        ]),
      ).toMatchObject({ code: '23P01', constraint: 'appointments_therapist_no_overlap' });
    });

    it('counts cancelled appointments as nothing, however many overlap', async () => {
      await book({ therapist: f.t1, client: f.c1, at: 0, status: 'cancelled' });
      await book({ therapist: f.t1, client: f.c1, at: 5, status: 'cancelled' });
      await book({ therapist: f.t1, client: f.c1, at: 10 });
    });

    it('refuses a second appointment in the same room in the same time', async () => {
      const first = await book({ therapist: f.t1, client: f.c1, room: f.r1, at: 0, buffer: 5 });
      expect(await tryBook({ therapist: f.t2, client: f.c2, room: f.r1, at: 20 })).toMatchObject({
        code: '23P01',
        constraint: 'appointments_room_no_overlap',
      });
      await book({ therapist: f.t2, client: f.c2, room: f.r1, at: 35 }); // back to back after the buffer
      await book({ therapist: f.t2, client: f.c2, room: f.r2, at: -30 }); // another room
      await cancel(first);
      await book({ therapist: f.t2, client: f.c1, room: f.r1, at: 0 });
    });

    it('lets appointments without a room overlap when therapist and client differ', async () => {
      await book({ therapist: f.t1, client: f.c1, at: 0 });
      await book({ therapist: f.t2, client: f.c2, at: 0 });
    });

    it('refuses two overlapping appointments on one client file, and blocks the client only until the end', async () => {
      const first = await book({ therapist: f.t1, client: f.c1, at: 0, buffer: 10 });
      expect(await tryBook({ therapist: f.t2, client: f.c1, at: 15 })).toMatchObject({
        code: '23P01',
        constraint: 'appointments_client_no_overlap',
      });
      // The therapist's buffer is not the client's: the client may start elsewhere when it ends.
      await book({ therapist: f.t2, client: f.c1, at: 30 });
      await cancel(first);
      await book({ therapist: f.t2, client: f.c1, at: -15 });
    });

    it('refuses an appointment that names a room of another practice', async () => {
      const roomB = await room(f.b, 'rb');
      expect(await tryBook({ therapist: f.t1, client: f.c1, room: roomB, at: 0 })).toMatchObject({
        code: '23503',
        constraint: 'appointments_practice_id_room_id_rooms_practice_id_id_fk',
      });
    });
  });

  describe('practices.config_version', () => {
    /** A new row of each configuration table, for practice $1, as INSERT … RETURNING ctid. */
    const inserts: Record<(typeof CONFIG_TABLES)[number], () => [string, unknown[]]> = {
      therapists: () => ['INSERT INTO therapists (practice_id, key, name) VALUES ($1, $2, $2)', [f.a, 'neu']],
      rooms: () => ['INSERT INTO rooms (practice_id, key, name) VALUES ($1, $2, $2)', [f.a, 'neu']],
      working_hours: () => [
        'INSERT INTO working_hours (practice_id, therapist_id, weekday, start_minute, end_minute) VALUES ($1, $2, 1, 480, 1020)',
        [f.a, f.t1],
      ],
      availability_exceptions: () => [
        "INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind) VALUES ($1, $2, '2026-12-24', 'closed')",
        [f.a, f.t1],
      ],
      services: () => [
        "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES ($1, 'MT', 'MT', 3000, 30)",
        [f.a],
      ],
      package_templates: () => [
        "INSERT INTO package_templates (practice_id, key, name, code_limits, validity_kind, validity_days) VALUES ($1, 'neu', 'Neu', '[{\"code\":\"KG\",\"max\":6}]', 'days', 90)",
        [f.a],
      ],
      chains: () => ["INSERT INTO chains (practice_id, key, name) VALUES ($1, 'neu', 'Neu')", [f.a]],
      chain_lines: () => [
        'INSERT INTO chain_lines (practice_id, chain_id, service_id, quantity) VALUES ($1, $2, $3, 1)',
        [f.a, f.chain, f.s1],
      ],
      chain_therapists: () => [
        'INSERT INTO chain_therapists (practice_id, chain_id, therapist_id) VALUES ($1, $2, $3)',
        [f.a, f.chain, f.t1],
      ],
      chain_package_rules: () => [
        'INSERT INTO chain_package_rules (practice_id, chain_id, template_id, when_absent, create_on_booking) VALUES ($1, $2, $3, true, true)',
        [f.a, f.chain, f.tpl],
      ],
    };

    it.each(CONFIG_TABLES)('moves once on every insert, update and delete in %s', async (table) => {
      const [insert, params] = inserts[table]();
      const other = await version(f.b);
      let v = await version();
      const inserted = await one<{ ctid: string }>(`${insert} RETURNING ctid::text`, params);
      expect(await version()).toBe(++v);
      const updated = await one<{ ctid: string }>(
        `UPDATE ${table} SET practice_id = practice_id WHERE ctid = $1::tid RETURNING ctid::text`,
        [inserted.ctid],
      );
      expect(await version()).toBe(++v);
      await one(`DELETE FROM ${table} WHERE ctid = $1::tid RETURNING 1`, [updated.ctid]);
      expect(await version()).toBe(++v);
      expect(await version(f.b)).toBe(other);
    });

    it('moves for both practices when a row moves from one to the other', async () => {
      const r = await room(f.a, 'wandert');
      const [a, b] = [await version(f.a), await version(f.b)];
      await q('UPDATE rooms SET practice_id = $2 WHERE id = $1', [r, f.b]);
      expect([await version(f.a), await version(f.b)]).toEqual([a + 1, b + 1]);
    });

    it('moves once when the practice itself changes, and not twice when a trigger already moved it', async () => {
      const v = await version();
      await q("UPDATE practices SET name = 'Praxis am Markt' WHERE id = $1", [f.a]);
      expect(await version()).toBe(v + 1);
      await q('UPDATE practices SET min_notice_minutes = 60, slot_step_minutes = 10 WHERE id = $1', [f.a]);
      expect(await version()).toBe(v + 2);
      await q('UPDATE practices SET config_version = config_version + 5 WHERE id = $1', [f.a]);
      expect(await version()).toBe(v + 7);
      await therapist(f.a, 'noch-eine');
      expect(await version()).toBe(v + 8);
    });

    it('stays where it is for clients, appointments and packages', async () => {
      const v = await version();
      const c = await client(f.a, 'neu@example.org');
      await book({ therapist: f.t1, client: c, at: 0 });
      await q(
        "INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, origin, created_at) VALUES ($1, $2, $3, 'Rezept', 6, 'manual', $4)",
        [f.a, c, f.tpl, T0],
      );
      expect(await version()).toBe(v);
    });

    it('lets a whole practice be deleted, its configuration, files and bookings cascading away', async () => {
      const p = await practice('weg');
      const t = await therapist(p, 't');
      await q(
        'INSERT INTO working_hours (practice_id, therapist_id, weekday, start_minute, end_minute) VALUES ($1, $2, 2, 480, 960)',
        [p, t],
      );
      // Everything a booking writes: the deletion must reach it before the configuration it names
      // (services, therapists, chains are kept while an appointment names them).
      const c = await client(p, 'weg@example.org');
      const a = await book({ practice: p, therapist: t, client: c, at: 0 });
      const s = await one<{ id: number }>(
        "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES ($1, 'KG', 'KG', 2500, 30) RETURNING id",
        [p],
      );
      await q(
        'INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, 1, 2500)',
        [p, a, s.id, 'KG'],
      );
      const tpl = await one<{ id: number }>(
        "INSERT INTO package_templates (practice_id, key, name, max_appointments, validity_kind) VALUES ($1, 'r', 'Rezept', 6, 'none') RETURNING id",
        [p],
      );
      const pkg = await one<{ id: number }>(
        "INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, origin, created_at) VALUES ($1, $2, $3, 'Rezept', 6, 'manual', $4) RETURNING id",
        [p, c, tpl.id, T0],
      );
      await q(
        'INSERT INTO appointment_packages (practice_id, appointment_id, package_id) VALUES ($1, $2, $3)',
        [p, a, pkg.id],
      );
      await q(
        "INSERT INTO package_ledger (practice_id, package_id, at, actor, action, appointment_id) VALUES ($1, $2, $3, 'staff', 'assigned', $4)",
        [p, pkg.id, T0, a],
      );
      await q(
        "INSERT INTO booking_requests (practice_id, idempotency_key, request_hash, appointment_id, response, created_at) VALUES ($1, 'k', 'h', $2, '{}', $3)",
        [p, a, T0],
      );
      await q('DELETE FROM practices WHERE id = $1', [p]);
      const left = await one<{ n: number }>(
        `SELECT (SELECT count(*) FROM therapists WHERE practice_id = $1) + (SELECT count(*) FROM clients WHERE practice_id = $1)
              + (SELECT count(*) FROM appointments WHERE practice_id = $1) + (SELECT count(*) FROM appointment_lines WHERE practice_id = $1)
              + (SELECT count(*) FROM packages WHERE practice_id = $1) + (SELECT count(*) FROM appointment_packages WHERE practice_id = $1)
              + (SELECT count(*) FROM package_ledger WHERE practice_id = $1) + (SELECT count(*) FROM booking_requests WHERE practice_id = $1) AS n`,
        [p],
      );
      expect(Number(left.n)).toBe(0);
    });

    it('refuses a booking row whose practice is not the one of its parent', async () => {
      const a = await book({ therapist: f.t1, client: f.c1, at: 0 });
      const other = await failure(
        "INSERT INTO booking_requests (practice_id, idempotency_key, request_hash, appointment_id, response, created_at) VALUES ($1, 'x', 'h', $2, '{}', $3)",
        [f.b, a, T0],
      );
      const none = await failure(
        'INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, 1, 0)',
        [999_999, a, f.s1, 'KG'],
      );
      expect([other?.code, none?.code]).toEqual(['23503', '23503']);
    });
  });

  describe('CHECK constraints, translated from SQLite', () => {
    const appointment = (values: {
      buffer: number;
      blockedUntil: number;
      status?: string;
      cancelledAt?: number | null;
    }) =>
      [
        `INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, buffer_after_minutes,
           blocked_until, status, source, cancelled_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'staff', $9, $4)`,
        [
          f.a,
          f.c1,
          f.t1,
          T0,
          T0 + 30 * MIN,
          values.buffer,
          values.blockedUntil,
          values.status ?? 'booked',
          values.cancelledAt ?? null,
        ],
      ] as const;
    const exception = (date: string) =>
      [
        "INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind) VALUES ($1, $2, $3, 'closed')",
        [f.a, f.t1, date],
      ] as const;
    const slug = (s: string) =>
      ["INSERT INTO practices (slug, name, plan, created_at) VALUES ($1, 'X', 'S', 0)", [s]] as const;
    /** A rule with the given flags set, the others at their default (false). */
    const rule = (...flags: string[]) =>
      [
        `INSERT INTO chain_package_rules (practice_id, chain_id, template_id${flags.map((c) => `, ${c}`).join('')})
         VALUES ($1, $2, $3${flags.map(() => ', true').join('')})`,
        [f.a, f.chain, f.tpl],
      ] as const;

    const refused: [string, () => readonly [string, readonly unknown[]]][] = [
      ['practices_slug', () => slug('Praxis')],
      ['practices_slug', () => slug('praxis am markt')],
      ['practices_slug', () => slug('')],
      ['practices_slug', () => slug('x'.repeat(65))],
      [
        'practices_plan',
        () => ["INSERT INTO practices (slug, name, plan, created_at) VALUES ('p', 'P', 'XS', 0)", []],
      ],
      ['practices_window', () => [`UPDATE practices SET booking_window_days = 731 WHERE id = $1`, [f.a]]],
      ['practices_step', () => [`UPDATE practices SET slot_step_minutes = 4 WHERE id = $1`, [f.a]]],
      ['availability_exceptions_date', () => exception('2026-12-4')],
      ['availability_exceptions_date', () => exception('24.12.2026')],
      ['availability_exceptions_date', () => exception('x2026-12-24')],
      ['availability_exceptions_date', () => exception('2026-12-24\n')],
      [
        'availability_exceptions_span',
        () => [
          "INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind, start_minute, end_minute) VALUES ($1, $2, '2026-12-24', 'open', 600, 540)",
          [f.a, f.t1],
        ],
      ],
      [
        'clients_birth_date',
        () => [
          "INSERT INTO clients (practice_id, first_name, last_name, birth_date, access_code, created_at) VALUES ($1, 'A', 'B', '1990-1-01', 'abcdef', 0)",
          [f.a],
        ],
      ],
      [
        'clients_access_code',
        () => [
          "INSERT INTO clients (practice_id, first_name, last_name, access_code, created_at) VALUES ($1, 'A', 'B', 'abc', 0)",
          [f.a],
        ],
      ],
      [
        'working_hours_span',
        () => [
          'INSERT INTO working_hours (practice_id, therapist_id, weekday, start_minute, end_minute) VALUES ($1, $2, 1, 600, 600)',
          [f.a, f.t1],
        ],
      ],
      [
        'package_templates_has_limit',
        () => [
          "INSERT INTO package_templates (practice_id, key, name, validity_kind) VALUES ($1, 'leer', 'Leer', 'none')",
          [f.a],
        ],
      ],
      [
        'package_templates_validity',
        () => [
          "INSERT INTO package_templates (practice_id, key, name, max_appointments, validity_kind, validity_days) VALUES ($1, 'd', 'D', 1, 'days', 0)",
          [f.a],
        ],
      ],
      [
        'package_templates_validity',
        () => [
          "INSERT INTO package_templates (practice_id, key, name, max_appointments, validity_kind, validity_days) VALUES ($1, 'n', 'N', 1, 'none', 30)",
          [f.a],
        ],
      ],
      [
        'packages_has_limit',
        () => [
          "INSERT INTO packages (practice_id, client_id, template_id, name, code_limits, origin, created_at) VALUES ($1, $2, $3, 'P', '[]', 'manual', 0)",
          [f.a, f.c1, f.tpl],
        ],
      ],
      [
        'packages_validity',
        () => [
          "INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, valid_from, valid_until, origin, created_at) VALUES ($1, $2, $3, 'P', 1, $4, $4, 'manual', 0)",
          [f.a, f.c1, f.tpl, T0],
        ],
      ],
      ['chain_package_rules_some_state', () => rule()],
      ['chain_package_rules_create_needs_absent', () => rule('when_present', 'create_on_booking')],
      [
        'chain_package_rules_create_exhausted_needs_exhausted',
        () => rule('when_absent', 'create_when_exhausted'),
      ],
      [
        'chains_age',
        () => [
          "INSERT INTO chains (practice_id, key, name, min_age, max_age) VALUES ($1, 'k', 'K', 18, 6)",
          [f.a],
        ],
      ],
      ['appointments_blocked_until', () => appointment({ buffer: 10, blockedUntil: T0 + 30 * MIN })],
      // An absurd buffer fails the check instead of overflowing a 32-bit product.
      ['appointments_blocked_until', () => appointment({ buffer: 100_000, blockedUntil: T0 + 30 * MIN })],
      [
        'appointments_cancelled_at',
        () => appointment({ buffer: 0, blockedUntil: T0 + 30 * MIN, cancelledAt: T0 }),
      ],
      ['appointments_status', () => appointment({ buffer: 0, blockedUntil: T0 + 30 * MIN, status: 'maybe' })],
      [
        'booking_requests_key_length',
        () => [
          "INSERT INTO booking_requests (practice_id, idempotency_key, request_hash, appointment_id, response, created_at) VALUES ($1, '', 'h', 1, '{}', 0)",
          [f.a],
        ],
      ],
      [
        'outbox_status',
        () => [
          "INSERT INTO outbox (practice_id, kind, to_address, subject, text_body, status, next_attempt_at, created_at) VALUES ($1, 'k', 'a@b', '', '', 'queued', 0, 0)",
          [f.a],
        ],
      ],
    ];

    it.each(refused.map(([name, statement], i) => ({ name, statement, i })))(
      'refuses a row against $name (#$i)',
      async ({ name, statement }) => {
        const [text, params] = statement();
        expect(await failure(text, params)).toMatchObject({ code: '23514', constraint: name });
      },
    );

    it('accepts the good rows next to the bad ones', async () => {
      for (const [text, params] of [
        slug('praxis-am-markt-2'),
        exception('2026-12-24'),
        appointment({ buffer: 10, blockedUntil: T0 + 40 * MIN }),
        rule('when_exhausted', 'create_when_exhausted'),
        [
          'INSERT INTO packages (practice_id, client_id, template_id, name, code_limits, origin, created_at) VALUES ($1, $2, $3, \'P\', \'[{"code":"KG","max":6}]\', \'booking\', 0)',
          [f.a, f.c2, f.tpl],
        ] as const,
      ]) {
        expect(await failure(text, params)).toBeNull();
      }
    });

    it('keeps e-mail addresses unique per practice whatever their case', async () => {
      expect(
        await failure(
          "INSERT INTO clients (practice_id, first_name, last_name, email, access_code, created_at) VALUES ($1, 'A', 'B', 'EINS@example.org', 'abcdef', 0)",
          [f.a],
        ),
      ).toMatchObject({
        code: '23505',
        constraint: 'clients_practice_email',
      });
      await client(f.b, 'EINS@example.org');
      await client(f.a, null);
      await client(f.a, null);
    });
  });
});
