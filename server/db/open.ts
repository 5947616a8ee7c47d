/** The store the configuration asks for: PostgreSQL when `DATABASE_URL` is set, else the SQLite file. */
import type { Config } from '../config.ts';
import { openSqliteStore } from './sqlite/store.ts';
import type { Store } from './store.ts';

export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'databasePath'> & { poolSize?: number },
  /** PostgreSQL: awaited after each read (PgStoreOptions.resume). */
  resume?: () => Promise<void>,
): Promise<Store> {
  if (config.databaseUrl) {
    const { openPgStore } = await import('./pg/store.ts');
    return openPgStore(config.databaseUrl, {
      ...(config.poolSize ? { poolSize: config.poolSize } : {}),
      ...(resume ? { resume } : {}),
    });
  }
  return openSqliteStore(config.databasePath);
}
