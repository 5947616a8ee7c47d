/**
 * Turns: the server's requests served in the order they arrive, a few at a time.
 *
 * Node runs a request's handler the moment its socket is read, in the order the kernel reports
 * ready sockets — under level-triggered epoll much the same order from one round of the event loop
 * to the next. Under load that starves connections: one whose request lands just after a round
 * has begun is read last in the next round, answers last, sends its next request just after the
 * following round has begun, and so on — served every other round, at twice the others' wait, for
 * as long as the load lasts. A bare node:http server that only burns 0.43 ms per request, under
 * the benchmark's 64 connections, showed it: p50 31 ms, p99 62 ms, one connection answered at
 * half the rate of the others.
 *
 * Here a request joins a queue when it is read, and the queue is worked off in turns of at most
 * `perTurn` jobs, one turn per round of the event loop (setImmediate). Between two turns the loop
 * reads what has arrived, and that queues behind what already waits: a request waits for those
 * read before it, never for a round it just missed. A job is only started in its turn — its
 * awaits run on as they settle — so a request waiting on the database holds up no other's start.
 * Work resumed after a read's I/O (PostgreSQL: `next`) goes first in the next turn: what is under
 * way ends before more begins. The queue holds at most what the open connections have sent.
 *
 * A turn's jobs run together, their awaits interleaved, and their answers leave one after the
 * other at the end: a reader on the same machine (a proxy, the benchmark's load generator) is
 * woken once for the lot instead of once per answer, which made each answer's write half as dear
 * on this project's virtual machine. Turns of 8 gave the lowest p99 (34 ms; 64: 39 ms, 4: 47 ms), at
 * the throughput of turns of 64 within a few per cent; with 1 the round's own cost shows.
 */
export interface Turns {
  /** `job` started in its turn, in the order of the calls; its result or error. */
  run<T>(job: () => T | Promise<T>): Promise<T>;
  /**
   * Settles in a coming turn — the next one, or this one if it has room left — ahead of the jobs
   * not started yet: for work resumed after I/O (a read's answer, PgStore), so that what is under
   * way ends before more is begun and a request of several reads does not queue once per read.
   */
  next(): Promise<void>;
  /** Jobs queued and not started yet. */
  readonly waiting: number;
}

/**
 * A first-in, first-out list of starters that walks its array without shifting it, and drops the
 * part walked once it is as long as what is left: under a backlog that never runs dry (a server
 * busy for hours) the array stays about twice the queue, not one slot per request ever served.
 */
export class Line {
  private items: (() => void)[] = [];
  private head = 0;
  get length() {
    return this.items.length - this.head;
  }
  /** Slots the array holds: what is queued, and at most as much again already walked. */
  get capacity() {
    return this.items.length;
  }
  push(start: () => void) {
    this.items.push(start);
  }
  shift(): () => void {
    const start = this.items[this.head]!;
    this.items[this.head++] = noop;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return start;
  }
}

export function createTurns(perTurn = 8): Turns {
  if (!Number.isInteger(perTurn) || perTurn < 1) throw new RangeError('perTurn: a whole number ≥ 1');
  const resumed = new Line();
  const arrived = new Line();
  let scheduled = false;

  const turn = () => {
    try {
      // A starter does not throw (run's catches its job's error; next's only resolves).
      for (let n = 0; n < perTurn && resumed.length + arrived.length > 0; n++)
        (resumed.length > 0 ? resumed : arrived).shift()();
    } finally {
      // Whatever happened, the turns go on while anything waits.
      if (resumed.length + arrived.length > 0) setImmediate(turn);
      else scheduled = false;
    }
  };

  const enqueue = (line: Line, start: () => void) => {
    line.push(start);
    if (!scheduled) {
      scheduled = true;
      setImmediate(turn);
    }
  };

  return {
    run: <T>(job: () => T | Promise<T>) =>
      new Promise<T>((resolve, reject) =>
        enqueue(arrived, () => {
          try {
            Promise.resolve(job()).then(resolve, reject);
          } catch (err) {
            reject(err);
          }
        }),
      ),
    next: () => new Promise<void>((resolve) => enqueue(resumed, resolve)),
    get waiting() {
      return arrived.length;
    },
  };
}

function noop() {}

/** `handler` with each call started in its turn (the server's fetch: main.ts). */
export function inTurns<A extends unknown[], R>(
  turns: Turns,
  handler: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return (...args) => turns.run(() => handler(...args));
}

/** What the node server (@hono/node-server) hands a handler besides the request. */
export interface NodeBindings {
  incoming?: { socket?: { destroyed?: boolean } | null } | undefined;
  outgoing?: { destroyed?: boolean } | undefined;
}

/** The status of an answer nobody receives: its client closed the connection first (as nginx's 499). */
export const CLIENT_GONE = 499;

/**
 * The server's fetch in turns (`inTurns`), except for a request whose client has gone by its turn:
 * under overload a request can wait in the queue longer than its client waits for it, and serving
 * it then is work nobody reads, taken from the requests still wanted. It is answered 499 at once,
 * to a closed connection.
 */
export function inTurnsWhileWanted<E extends NodeBindings | undefined>(
  turns: Turns,
  fetch: (request: Request, env: E) => Response | Promise<Response>,
): (request: Request, env: E) => Promise<Response> {
  return inTurns(turns, (request: Request, env: E) =>
    env?.outgoing?.destroyed === true || env?.incoming?.socket?.destroyed === true
      ? new Response(null, { status: CLIENT_GONE })
      : fetch(request, env),
  );
}
