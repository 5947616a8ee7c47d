/**
 * Starts the server: configuration, database (migrated), the demo practice in an empty database,
 * the e-mail delivery from the outbox, HTTP.
 */
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { configFromEnv } from './config.ts';
import { openDatabase } from './db/index.ts';
import { loadDemoIfEmpty } from './demo/load.ts';
import { createMailDelivery } from './mail/outbox.ts';

const config = configFromEnv();
const db = openDatabase(config.databasePath);
if (config.loadDemo) {
  const loaded = loadDemoIfEmpty(db, Date.now());
  if (loaded) console.log(`loaded the demo practice "${loaded.slug}" (${JSON.stringify(loaded.counts)})`);
}
if (!process.env.APP_SECRET) {
  console.warn(
    'APP_SECRET is not set: cancel links and client tokens stop working when the server restarts.',
  );
}

const mail = createMailDelivery({
  db,
  smtpUrl: config.smtpUrl,
  from: config.mailFrom,
  clock: Date.now,
  workerId: `${hostname()}:${process.pid}`,
  log: (message) => console.log(`[mail] ${message}`),
});
mail.start(5_000);
console.log(
  mail.mode === 'smtp'
    ? '[mail] sending through SMTP_URL'
    : '[mail] no SMTP_URL: e-mails stay in the outbox and are logged',
);

const app = createApp({ db, clock: Date.now, config });
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  console.log(`Terminkette listening on http://localhost:${info.port} (database ${config.databasePath})`);
});

let stopping = false;
function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  setTimeout(() => process.exit(1), 10_000).unref();
  server.close(async () => {
    await mail.stop();
    db.$client.close();
    process.exit(0);
  });
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
