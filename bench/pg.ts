/**
 * The benchmark's PostgreSQL server: `BENCH_DATABASE_URL` (default
 * postgres://postgres@127.0.0.1:5432/test) names one where it may create databases. Each row gets a
 * database of its own (`bench_…`), dropped afterwards — and on the way out, whatever is left.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** PostgreSQL databases made by this run and not dropped yet. */
export const pgDatabases = new Set<string>();

/** Runs one statement on the PostgreSQL server's maintenance database (`PG_URL`). */
export async function pgAdmin(sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new empty database; its name and URL. */
export async function createPgDatabase(): Promise<{ name: string; url: string }> {
  const name = `bench_${randomBytes(5).toString('hex')}`;
  await pgAdmin(`CREATE DATABASE ${name}`);
  pgDatabases.add(name);
  return { name, url: Object.assign(new URL(PG_URL), { pathname: `/${name}` }).toString() };
}

export async function dropPgDatabase(name: string): Promise<void> {
  // A pool's end() resolves before its connections have gone (pg-pool): wait for them a moment,
  // so that FORCE has nobody to throw out.
  for (let i = 0; i < 40; i++) {
    const left = await pgAdmin(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${name}'`);
    if (left.rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  pgDatabases.delete(name);
}
