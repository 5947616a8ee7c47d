/**
 * Starts the server: configuration, database (migrated), the demo practice in an empty database,
 * the e-mail delivery from the outbox, HTTP. With WORKERS > 1 the primary prepares the database
 * and forks that many HTTP processes sharing the port; SQLite (WAL) serves them all, and every
 * write still happens in one IMMEDIATE transaction, so the rules hold across the processes.
 */
import cluster from 'node:cluster';
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { type Config, configFromEnv } from './config.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from './db/checkpointer.ts';
import { type Db, openDatabase, setWriteGate } from './db/index.ts';
import { serveWriteTurns, writeGateFromPrimary } from './db/writeTurns.ts';
import { loadDemoIfEmpty } from './demo/load.ts';
import { createMailDelivery } from './mail/outbox.ts';

const config = configFromEnv();

function prepare(): Db {
  const db = openDatabase(config.databasePath);
  if (config.loadDemo) {
    const loaded = loadDemoIfEmpty(db, Date.now());
    if (loaded) console.log(`loaded the demo practice "${loaded.slug}" (${JSON.stringify(loaded.counts)})`);
  }
  return db;
}

/**
 * The background work one process does for the whole file: e-mail delivery from the outbox and
 * WAL checkpoints. With several workers exactly one of them does it (so each mail is handled, or
 * without SMTP logged, once); not the primary, whose event loop hands out the write turns and
 * must answer at once.
 */
function background(db: Db, config: Config) {
  const mail = createMailDelivery({
    db,
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    clock: Date.now,
    workerId: `${hostname()}:${process.pid}`,
    log: (message) => console.log(`[mail] ${message}`),
  });
  // Every second: a confirmation goes out (or is logged) soon, and a backlog stays small.
  mail.start(1_000);
  const checkpoints = startCheckpointer(db, config.databasePath, { log: (m) => console.error(m) });
  return {
    stop: async () => {
      await mail.stop();
      await checkpoints?.stop();
    },
  };
}

/** Serves HTTP on `db`; with `withBackground`, this process also does the background work. */
function run(db: Db, config: Config, withBackground: boolean): void {
  const work = withBackground ? background(db, config) : null;
  const app = createApp({ db, clock: Date.now, config });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    console.log(`Terminkette listening on http://localhost:${info.port} (database ${config.databasePath})`);
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close(async () => {
      await work?.stop();
      db.$client.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (cluster.isPrimary) {
  const db = prepare();
  if (!process.env.APP_SECRET) {
    console.warn(
      'APP_SECRET is not set: cancel links and client tokens stop working when the server restarts.',
    );
  }
  console.log(
    config.smtpUrl
      ? '[mail] sending through SMTP_URL'
      : '[mail] no SMTP_URL: e-mails stay in the outbox and are logged',
  );
  if (config.workers <= 1) {
    run(db, config, true);
  } else {
    db.$client.close();
    // Every worker signs with the same secret, so a token made by one is good in all.
    const env = { APP_SECRET: config.secret, LOAD_DEMO: '0' };
    // One worker at a time at the write lock, in the order they asked (see db/writeTurns.ts).
    serveWriteTurns(cluster);
    const background = new Set<number>();
    const forkedAt = new Map<number, number>();
    const fork = (withBackground: boolean) => {
      const worker = cluster.fork({ ...env, TERMINKETTE_BACKGROUND: withBackground ? '1' : '0' });
      forkedAt.set(worker.id, Date.now());
      if (withBackground) background.add(worker.id);
    };
    for (let i = 0; i < config.workers; i++) fork(i === 0);
    let stopping = false;
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      // One that dies right after starting is started again after a pause, not in a tight loop.
      const quick = Date.now() - (forkedAt.get(worker.id) ?? 0) < 5_000;
      forkedAt.delete(worker.id);
      console.error(
        `worker ${worker.process.pid} ended (${signal ?? code}); starting another${quick ? ' in 1 s' : ''}`,
      );
      const role = background.delete(worker.id);
      setTimeout(() => !stopping && fork(role), quick ? 1_000 : 0);
    });
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
      setTimeout(() => process.exit(0), 10_000).unref();
      cluster.on('exit', () => {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  }
} else {
  const db = openDatabase(config.databasePath);
  setWriteGate(db, writeGateFromPrimary(process));
  const withBackground = process.env.TERMINKETTE_BACKGROUND === '1';
  // The background worker's thread checkpoints for all; the others keep SQLite's only as a fallback.
  if (!withBackground) db.$client.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  run(db, config, withBackground);
}
