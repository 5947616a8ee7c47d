/**
 * Starts the server: configuration, the store (SQLite file by default, PostgreSQL when
 * DATABASE_URL is set; migrated either way), the demo practice in an empty database, the e-mail
 * delivery from the outbox, HTTP. To scale out, run several of these on one PostgreSQL behind a
 * load balancer (docs/SCALING.md): every instance is stateless but for caches it can drop.
 */
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { configFromEnv } from './config.ts';
import { openStore } from './db/open.ts';
import { startCheckpointer } from './db/sqlite/checkpointer.ts';
import { SqliteStore } from './db/sqlite/store.ts';
import { loadDemoIfEmpty } from './demo/load.ts';
import { createMailDelivery } from './mail/outbox.ts';

const config = configFromEnv();

/**
 * The one clock of the process; everything else gets it passed in. With CLOCK_START it starts at
 * that instant and runs on in real time (tests and demonstrations on fixed dates).
 */
const clock =
  config.clockStart === null
    ? () => Date.now()
    : (
        (start, t0) => () =>
          start + Math.floor(performance.now() - t0)
      )(config.clockStart, performance.now());
const store = await openStore(config);
if (config.loadDemo) {
  const loaded = await loadDemoIfEmpty(store, clock());
  if (loaded) console.log(`loaded the demo practice "${loaded.slug}" (${JSON.stringify(loaded.counts)})`);
}
if (!process.env.APP_SECRET) {
  console.warn(
    'APP_SECRET is not set: cancel links and client tokens stop working when the server restarts.',
  );
}

// Every instance delivers mail: claiming is atomic across instances (SKIP LOCKED on PostgreSQL),
// so each mail is sent once, by whichever instance claims it first.
const mail = createMailDelivery({
  store,
  smtpUrl: config.smtpUrl,
  from: config.mailFrom,
  clock,
  workerId: `${hostname()}:${process.pid}`,
  log: (message) => console.log(`[mail] ${message}`),
});
console.log(
  config.smtpUrl
    ? '[mail] sending through SMTP_URL'
    : '[mail] no SMTP_URL: e-mails stay in the outbox and are logged',
);
// Every second: a confirmation goes out (or is logged) soon, and a backlog stays small.
mail.start(1_000);
const checkpoints =
  store instanceof SqliteStore && config.checkpointThread
    ? startCheckpointer(store, { log: (m) => console.error(m) })
    : null;

const app = createApp({ store, clock, config });
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  console.log(`Terminkette listening on http://localhost:${info.port} (database ${config.databaseLabel})`);
});

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  setTimeout(() => process.exit(1), 10_000).unref();
  server.close(async () => {
    await mail.stop();
    await checkpoints?.stop();
    await store.close();
    process.exit(0);
  });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
