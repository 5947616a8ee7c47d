/** Starts the server: configuration, database (migrated), the demo practice in an empty database, HTTP. */
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { configFromEnv } from './config.ts';
import { openDatabase } from './db/index.ts';
import { loadDemoIfEmpty } from './demo/load.ts';

const config = configFromEnv();
const db = openDatabase(config.databasePath);
if (config.loadDemo) {
  const loaded = loadDemoIfEmpty(db, Date.now());
  if (loaded) console.log(`loaded the demo practice "${loaded.slug}" (${JSON.stringify(loaded.counts)})`);
}
const app = createApp({ db, clock: Date.now, config });
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  console.log(`Terminkette listening on http://localhost:${info.port} (database ${config.databasePath})`);
});

function shutdown(signal: string) {
  console.log(`${signal}: shutting down`);
  server.close(() => {
    db.$client.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
