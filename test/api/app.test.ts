import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { demoStore, NOW, twoStores } from '../helpers.ts';

const config = { publicUrl: 'http://localhost:3000', secret: 'x'.repeat(32) };

async function app() {
  const { store } = await demoStore();
  return createApp({ store, clock: () => NOW, config });
}

describe('the server', () => {
  it('answers GET /health with 200 JSON when the database is reachable', async () => {
    const res = await (await app()).request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('answers GET /health with 503 when the database is gone', async () => {
    // The second of two stores on one database: closing it leaves this file's shared store alone.
    const two = await twoStores();
    let closed = false;
    try {
      const a = createApp({
        store: two.other,
        clock: () => NOW,
        config: { publicUrl: 'http://x', secret: 'x'.repeat(32) },
      });
      expect((await a.request('/health')).status).toBe(200);
      await two.close();
      closed = true;
      const res = await a.request('/health');
      expect(res.status).toBe(503);
    } finally {
      if (!closed) await two.close();
    }
  });

  it('serves a start page that says what runs here and lists the demo practice', async () => {
    const res = await (await app()).request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('Terminkette');
    expect(html).toContain('Praxis am Lindenhof (Demo)');
    expect(html).toContain('href="/health"');
  });

  it('answers an unknown path with problem+json', async () => {
    const res = await (await app()).request('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('request bodies over HTTP', () => {
  /** The app behind a real node HTTP server on loopback, for one test. */
  async function withServer(run: (url: string) => Promise<void>) {
    const { serve } = await import('@hono/node-server');
    const a = await app();
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: a.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const { port } = server.address() as { port: number };
    try {
      await run(`http://127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
  const booking = (body: string | ReadableStream, extra: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'b1', ...extra },
    body,
    duplex: 'half' as const,
  });

  it('refuses a body declared larger than 64 KiB with 413 problem+json, without reading it', async () => {
    await withServer(async (url) => {
      const res = await fetch(
        `${url}/api/v1/p/demo/bookings`,
        booking(JSON.stringify({ pad: 'x'.repeat(70_000) })),
      );
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await res.json()).code).toBe('payload_too_large');
    });
  });

  it('counts a chunked body of unknown length while reading it, and refuses it past 64 KiB', async () => {
    await withServer(async (url) => {
      const chunk = new TextEncoder().encode('x'.repeat(16_384));
      let sent = 0;
      const stream = new ReadableStream({
        pull(controller) {
          if (sent++ < 5) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const res = await fetch(`${url}/api/v1/p/demo/bookings`, booking(stream));
      expect(res.status).toBe(413);
      expect((await res.json()).code).toBe('payload_too_large');
    });
  });

  it('reads a body of the declared length and validates it', async () => {
    await withServer(async (url) => {
      const res = await fetch(`${url}/api/v1/p/demo/bookings`, booking(JSON.stringify({ chain: 'x' })));
      expect(res.status).toBe(400);
      expect((await res.json()).code).toBe('invalid_request');
    });
  });
});
