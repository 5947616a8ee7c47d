import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL schema beside the SQLite one (drizzle.config.ts): same tables, same columns. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/pg/schema.ts',
  out: './server/db/pg/migrations',
});
