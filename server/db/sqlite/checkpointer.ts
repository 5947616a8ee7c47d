/**
 * WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses the threshold, so one booking in a few thousand waited tens of milliseconds while
 * the WAL was copied into the database, and with it the whole event loop. Here a worker thread
 * with its own connection runs a PASSIVE checkpoint (never blocks readers or writers) every
 * `intervalMs`; the server's connection keeps a far higher automatic threshold only as a safety
 * net, should this thread ever stop.
 *
 * Under steady writes a PASSIVE checkpoint never quite catches up (new frames arrive while it
 * copies), so SQLite never starts the WAL over and it grew to the safety net's ~160 MB; the COMMIT
 * that crossed it then stalled ~100 ms (measured: the slowest answers under load, every ~10 s).
 * So once a checkpoint has copied the whole WAL and the WAL is past `restartPages`, the thread
 * asks for a RESTART without waiting (busy_timeout 0): it succeeds when no reader or writer is
 * in the WAL at that moment, and the next writer starts the WAL from the beginning.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteStore } from './store.ts';

/** The server connection's own automatic checkpoint while the thread runs (pages, ~160 MB). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 40_000;

// Plain JavaScript, so the thread needs no TypeScript loader.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
let failures = 0;
const timer = setInterval(() => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive.busy === 0 && passive.log > workerData.restartPages && passive.checkpointed === passive.log) {
      db.pragma('busy_timeout = 0');
      try {
        db.pragma('wal_checkpoint(RESTART)');
      } catch {
        // Someone is in the WAL right now (SQLITE_BUSY): next time.
      } finally {
        db.pragma('busy_timeout = 1000');
      }
    }
    failures = 0;
  } catch (error) {
    if (++failures === 1) parentPort.postMessage({ error: String(error && error.message || error) });
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Starts the checkpoint thread for the store's file (not for an in-memory database). */
export function startCheckpointer(
  store: SqliteStore,
  options: { intervalMs?: number; restartPages?: number; log?: (message: string) => void } = {},
): Checkpointer | null {
  const { path, sqlite } = store;
  if (path === ':memory:') return null;
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      intervalMs: options.intervalMs ?? 200,
      // ~16 MB of WAL.
      restartPages: options.restartPages ?? 4000,
    },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fallback = () => sqlite.pragma('wal_autocheckpoint = 4000');
  worker.on('message', (m: { error?: string }) => {
    if (m.error) options.log?.(`WAL checkpoint failed: ${m.error}`);
  });
  worker.on('error', (error) => {
    options.log?.(`WAL checkpoint thread ended: ${error.message}; checkpoints happen on commit again`);
    fallback();
  });
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  return {
    stop: async () => {
      worker.postMessage('stop');
      await exited;
      if (sqlite.open) fallback();
    },
  };
}
