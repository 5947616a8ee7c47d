/**
 * Starts the server: configuration, the store (SQLite file by default, PostgreSQL when
 * DATABASE_URL is set; migrated either way), the demo practice in an empty database, the e-mail
 * delivery from the outbox, HTTP. To scale out, run several of these on one PostgreSQL behind a
 * load balancer (docs/SCALING.md): every instance is stateless but for caches it can drop.
 */
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { appSecret } from './auth/secret.ts';
import { startHousekeeping } from './booking/housekeeping.ts';
import { configFromEnv, StartupError } from './config.ts';
import { openStore } from './db/open.ts';
import { startCheckpointer } from './db/sqlite/checkpointer.ts';
import { SqliteStore } from './db/sqlite/store.ts';
import type { Store } from './db/store.ts';
import { loadDemoIfEmpty } from './demo/load.ts';
import { StoreUnavailable, storageTrouble } from './errors.ts';
import { createMailDelivery } from './mail/outbox.ts';
import { createTurns, inTurnsWhileWanted } from './turns.ts';

/** One sentence for a problem the server cannot start with, or null for one it does not know. */
function startupProblem(err: unknown, databaseLabel: string | null): string | null {
  if (err instanceof StartupError) return err.message;
  const trouble = err instanceof StoreUnavailable ? err.trouble : storageTrouble(err);
  const where = databaseLabel ?? 'the database';
  if (trouble === 'read_only')
    return `The database ${where} cannot be written (read-only file or folder, or no permission): Terminkette needs to write it. Check its permissions and those of its folder.`;
  if (trouble === 'full')
    return `The disk of the database ${where} is full: free some space and start again.`;
  if (trouble === 'io')
    return `The disk of the database ${where} fails (I/O error): check it and start again.`;
  return null;
}

/** Requests served in the order they arrive, a few per round of the event loop (turns.ts). */
const turns = createTurns();

let config: ReturnType<typeof configFromEnv>;
let store: Store;
let secret: string;
let clock: () => number;
try {
  config = configFromEnv();
  /**
   * The one clock of the process; everything else gets it passed in. With CLOCK_START it starts at
   * that instant and runs on in real time (tests and demonstrations on fixed dates).
   */
  clock =
    config.clockStart === null
      ? () => Date.now()
      : (
          (start, t0) => () =>
            start + Math.floor(performance.now() - t0)
        )(config.clockStart, performance.now());
  store = await openStore(config, turns.next);
  secret = await appSecret(store, config, clock(), (m) => console.warn(m));
  if (config.loadDemo) {
    const loaded = await loadDemoIfEmpty(store, clock());
    if (loaded) console.log(`loaded the demo practice "${loaded.slug}" (${JSON.stringify(loaded.counts)})`);
  }
} catch (err) {
  const problem = startupProblem(
    err,
    process.env.DATABASE_URL ? 'PostgreSQL' : (process.env.DATABASE_PATH ?? './data/terminkette.db'),
  );
  if (problem === null) throw err;
  console.error(problem);
  process.exit(1);
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

// What the server keeps about clients, it keeps only as long as it needs (booking/housekeeping.ts).
const housekeeping = startHousekeeping(store, clock, {
  mailRetentionDays: config.mailRetentionDays,
  intervalMs: 5 * 60_000,
  log: (m) => console.log(m),
});

const app = createApp({ store, clock, config: { ...config, secret } });
const server = serve(
  { fetch: inTurnsWhileWanted(turns, app.fetch), port: config.port, hostname: config.host },
  (info) => {
    console.log(`Terminkette listening on http://localhost:${info.port} (database ${config.databaseLabel})`);
  },
);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  setTimeout(() => process.exit(1), 10_000).unref();
  server.close(async () => {
    await mail.stop();
    await housekeeping.stop();
    await checkpoints?.stop();
    await store.close();
    process.exit(0);
  });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
