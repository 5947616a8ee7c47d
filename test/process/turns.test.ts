/**
 * The server's turns (server/turns.ts): requests are started in the order they were read, at most
 * a turn's worth per round of the event loop; what is read between two turns queues behind what
 * already waits; work resumed after a read goes ahead of requests not started yet; a request's
 * failure is its own.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_GONE,
  createTurns,
  inTurns,
  inTurnsWhileWanted,
  Line,
  type NodeBindings,
  type Turns,
} from '../../server/turns.ts';

/** One round of the event loop later: setImmediate callbacks run in the order they were queued. */
const round = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('turns', () => {
  it('starts jobs in the order of the calls, at most a turn’s worth per round of the event loop', async () => {
    const turns = createTurns(3);
    const started: number[] = [];
    const done = Array.from({ length: 7 }, (_, i) => turns.run(() => started.push(i)));
    expect(started).toEqual([]); // nothing runs in the caller's own turn
    expect(turns.waiting).toBe(7);
    const seen: number[][] = [];
    for (let r = 0; r < 3; r++) {
      await round();
      seen.push([...started]);
    }
    expect(seen).toEqual([
      [0, 1, 2],
      [0, 1, 2, 3, 4, 5],
      [0, 1, 2, 3, 4, 5, 6],
    ]);
    expect(await Promise.all(done)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(turns.waiting).toBe(0);
  });

  it('queues what arrives between two turns behind what already waits', async () => {
    const turns = createTurns(2);
    const started: string[] = [];
    const all = ['a', 'b', 'c', 'd', 'e'].map((x) => turns.run(() => started.push(x)));
    await round(); // a and b have started; c, d and e wait
    expect(started).toEqual(['a', 'b']);
    all.push(turns.run(() => started.push('late')));
    await Promise.all(all);
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e', 'late']);
  });

  it('does not wait for a started job to finish before starting the next', async () => {
    const turns = createTurns(1);
    let release!: () => void;
    const slow = turns.run(() => new Promise<string>((resolve) => (release = () => resolve('slow'))));
    const quick = turns.run(() => 'quick');
    expect(await quick).toBe('quick');
    release();
    expect(await slow).toBe('slow');
  });

  it('resumes work after a read ahead of the requests not started yet', async () => {
    const turns = createTurns(1);
    const order: string[] = [];
    const first = turns.run(async () => {
      order.push('first starts');
      await turns.next(); // as PgStore.read does once its answer is in
      order.push('first resumes');
    });
    const others = ['b', 'c'].map((x) => turns.run(() => order.push(x)));
    await Promise.all([first, ...others]);
    expect(order).toEqual(['first starts', 'first resumes', 'b', 'c']);
  });

  it('rejects only the job that failed, whether it threw or its promise rejected', async () => {
    const turns = createTurns(8);
    const results = await Promise.allSettled([
      turns.run(() => 'before'),
      turns.run(() => {
        throw new Error('thrown');
      }),
      turns.run(() => Promise.reject(new Error('rejected'))),
      turns.run(() => 'after'),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'before',
      'thrown',
      'rejected',
      'after',
    ]);
    // And the turns go on.
    expect(await turns.run(() => 'later')).toBe('later');
  });

  it('wraps a handler: its arguments and its answer pass through, called in its turn', async () => {
    const turns = createTurns();
    let calls = 0;
    const handler = inTurns(turns, (request: Request, n: number) => {
      calls++;
      return new Response(`${new URL(request.url).pathname} ${n}`);
    });
    const answer = handler(new Request('http://localhost/health'), 7);
    expect(calls).toBe(0);
    expect(await (await answer).text()).toBe('/health 7');
    expect(calls).toBe(1);
  });

  it('does not serve a request whose client has gone by its turn; the others are served', async () => {
    // Turns held back until the test lets them go: both requests wait in the queue meanwhile.
    let open!: () => void;
    const held = new Promise<void>((resolve) => {
      open = resolve;
    });
    const turns: Turns = { run: (job) => held.then(job), next: () => held, waiting: 0 };
    const served: string[] = [];
    let arrived = 0;
    const answered: number[] = [];
    const fetch = inTurnsWhileWanted(turns, (request: Request, _env: NodeBindings) => {
      served.push(new URL(request.url).pathname);
      return new Response('served');
    });
    const server = serve({
      fetch: async (request: Request, env: NodeBindings) => {
        arrived++;
        const response = await fetch(request, env);
        answered.push(response.status);
        return response;
      },
      port: 0,
      hostname: '127.0.0.1',
    });
    try {
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const { port } = server.address() as AddressInfo;
      const wanted = new Promise<string>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port, path: '/wanted' }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      });
      // A client that sends its request and closes the connection before its turn.
      const gone = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => gone.once('connect', () => resolve()));
      gone.write('GET /gone HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      // Both read and waiting for their turn; then the second client goes.
      await expect.poll(() => arrived).toBe(2);
      expect(served).toEqual([]);
      gone.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      open();
      expect(await wanted).toBe('served');
      await expect.poll(() => answered.length).toBe(2);
      expect(served).toEqual(['/wanted']);
      expect(answered.sort()).toEqual([200, CLIENT_GONE]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps its list near the queue’s length under a backlog that never runs dry, in order', () => {
    const line = new Line();
    const out: number[] = [];
    let next = 0;
    const add = () => {
      const i = next++;
      line.push(() => out.push(i));
    };
    for (let i = 0; i < 100; i++) add();
    let most = 0;
    for (let i = 0; i < 100_000; i++) {
      add();
      line.shift()();
      most = Math.max(most, line.capacity);
    }
    expect(line.length).toBe(100);
    expect(most).toBeLessThanOrEqual(2 * 101);
    expect(out).toEqual(Array.from({ length: 100_000 }, (_, i) => i));
  });

  it('refuses a turn of no jobs', () => {
    expect(() => createTurns(0)).toThrow(RangeError);
    expect(() => createTurns(1.5)).toThrow(RangeError);
  });
});
