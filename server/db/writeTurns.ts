/**
 * Turns at the write lock for the processes of one server (WORKERS > 1): the primary keeps a queue
 * and hands the turn to one worker at a time, in the order they asked; each worker begins its
 * write transaction (a whole batch of bookings) only in its turn and ends the turn after the
 * COMMIT. Without this, SQLite's lock goes to whoever asks at the right moment: a busy process
 * takes it again right after committing and the other waits far longer than its share.
 *
 * The turns only order the server's own processes. They are not what keeps the rules: every write
 * is still one IMMEDIATE transaction that re-checks everything, so a process outside the turns (a
 * second server, an import) is still safe, merely waited for.
 */
import type { Worker } from 'node:cluster';
import type { WriteGate } from './index.ts';

const ASK = 'terminkette:write-turn:ask';
const GRANTED = 'terminkette:write-turn:granted';
const DONE = 'terminkette:write-turn:done';

/** A FIFO of turns: one holder at a time, the others in the order they asked. */
export class WriteTurns<Id> {
  private holder: Id | null = null;
  private heldSince = 0;
  private readonly waiting: Id[] = [];

  constructor(
    private readonly grant: (id: Id) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  ask(id: Id): void {
    if (this.holder === id || this.waiting.includes(id)) return;
    if (this.holder === null) this.give(id);
    else this.waiting.push(id);
  }

  done(id: Id): void {
    if (this.holder !== id) return;
    this.holder = null;
    const next = this.waiting.shift();
    if (next !== undefined) this.give(next);
  }

  /** A process that ended gives up its turn and its place. */
  gone(id: Id): void {
    const at = this.waiting.indexOf(id);
    if (at >= 0) this.waiting.splice(at, 1);
    this.done(id);
  }

  /**
   * Passes the turn on when its holder has kept it longer than `limitMs` (a process that hangs).
   * Safe, because the turns only order the processes: SQLite's lock still admits one writer.
   * Returns the holder it took the turn from.
   */
  takeBackAfter(limitMs: number): Id | null {
    const holder = this.holder;
    if (holder === null || this.clock() - this.heldSince <= limitMs) return null;
    this.done(holder);
    return holder;
  }

  private give(id: Id): void {
    this.holder = id;
    this.heldSince = this.clock();
    this.grant(id);
  }
}

/** How long one worker may keep the turn before the primary passes it on. */
export const TURN_LIMIT_MS = 10_000;

/** In the cluster primary: answers the workers' requests for turns. */
export function serveWriteTurns(
  cluster: {
    on(event: 'message', listener: (worker: Worker, message: unknown) => void): unknown;
    on(event: 'exit', listener: (worker: Worker) => void): unknown;
    on(event: 'fork', listener: (worker: Worker) => void): unknown;
  },
  log: (message: string) => void = console.error,
): WriteTurns<Worker> {
  const turns = new WriteTurns<Worker>((worker) => {
    // A worker that has just died may still look connected: the send then fails (EPIPE), and
    // must not take the primary down with it.
    const gone = () => setImmediate(() => turns.gone(worker));
    if (!worker.isConnected()) return gone();
    try {
      worker.send({ type: GRANTED }, (error: Error | null) => {
        if (error) gone();
      });
    } catch {
      gone();
    }
  });
  cluster.on('fork', (worker) => worker.on('error', () => turns.gone(worker)));
  cluster.on('message', (worker, message) => {
    const type = (message as { type?: unknown } | null)?.type;
    if (type === ASK) turns.ask(worker);
    else if (type === DONE) turns.done(worker);
  });
  cluster.on('exit', (worker) => turns.gone(worker));
  setInterval(() => {
    const stuck = turns.takeBackAfter(TURN_LIMIT_MS);
    if (stuck) log(`worker ${stuck.process.pid} kept the write turn over ${TURN_LIMIT_MS} ms; passed it on`);
  }, 1_000).unref();
  return turns;
}

/**
 * In a cluster worker: a gate whose turns come from the primary over the IPC channel. One per
 * process (the primary knows processes, not connections).
 */
export function writeGateFromPrimary(channel: NodeJS.Process): WriteGate {
  let pending: { resolve: () => void; reject: (error: Error) => void } | null = null;
  channel.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== GRANTED) return;
    if (!pending) {
      // A turn nobody here waits for (the primary passed it on and back meanwhile): return it.
      if (channel.connected) channel.send?.({ type: DONE });
      return;
    }
    const { resolve } = pending;
    pending = null;
    resolve();
  });
  channel.on('disconnect', () => {
    pending?.reject(new Error('the primary process is gone: no write turns'));
    pending = null;
  });
  return {
    acquire: () =>
      new Promise<void>((resolve, reject) => {
        if (!channel.connected || !channel.send) {
          reject(new Error('the primary process is gone: no write turns'));
          return;
        }
        pending = { resolve, reject };
        channel.send({ type: ASK });
      }),
    release: () => {
      if (channel.connected) channel.send?.({ type: DONE });
    },
  };
}
