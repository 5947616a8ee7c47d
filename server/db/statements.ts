/** Prepared statements cached per connection: preparing costs more than running a small query. */
import type Database from 'better-sqlite3';
import type { Db } from './index.ts';

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** The statement for `sql` on this connection, prepared on first use. */
export function prepared(db: Db, sql: string): Database.Statement {
  return preparedOn(db.$client, sql);
}

/** The same, for a connection without drizzle around it. */
export function preparedOn(sqlite: Database.Database, sql: string): Database.Statement {
  let perDb = cache.get(sqlite);
  if (!perDb) {
    perDb = new Map();
    cache.set(sqlite, perDb);
  }
  let s = perDb.get(sql);
  if (!s) {
    s = sqlite.prepare(sql);
    perDb.set(sql, s);
  }
  return s;
}
