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
  private readonly waiting: Id[] = [];

  constructor(private readonly grant: (id: Id) => void) {}

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

  private give(id: Id): void {
    this.holder = id;
    this.grant(id);
  }
}

/** In the cluster primary: answers the workers' requests for turns. */
export function serveWriteTurns(cluster: {
  on(event: 'message', listener: (worker: Worker, message: unknown) => void): unknown;
  on(event: 'exit', listener: (worker: Worker) => void): unknown;
}): WriteTurns<Worker> {
  const turns = new WriteTurns<Worker>((worker) => {
    if (worker.isConnected()) worker.send({ type: GRANTED });
    else turns.gone(worker);
  });
  cluster.on('message', (worker, message) => {
    const type = (message as { type?: unknown } | null)?.type;
    if (type === ASK) turns.ask(worker);
    else if (type === DONE) turns.done(worker);
  });
  cluster.on('exit', (worker) => turns.gone(worker));
  return turns;
}

/** In a cluster worker: a gate whose turns come from the primary over the IPC channel. */
export function writeGateFromPrimary(channel: NodeJS.Process): WriteGate {
  let pending: { resolve: () => void; reject: (error: Error) => void } | null = null;
  channel.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== GRANTED || !pending) return;
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
