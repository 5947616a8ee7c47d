import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { demoDb, NOW } from '../helpers.ts';

function app() {
  const { db } = demoDb();
  return createApp({
    db,
    clock: () => NOW,
    config: { publicUrl: 'http://localhost:3000', secret: 'x'.repeat(32) },
  });
}

describe('the server', () => {
  it('answers GET /health with 200 JSON when the database is reachable', async () => {
    const res = await app().request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('answers GET /health with 503 when the database is gone', async () => {
    const { db } = demoDb();
    const a = createApp({ db, clock: () => NOW, config: { publicUrl: 'http://x', secret: 'x'.repeat(32) } });
    db.$client.close();
    const res = await a.request('/health');
    expect(res.status).toBe(503);
  });

  it('serves a start page that says what runs here and lists the demo practice', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('Terminkette');
    expect(html).toContain('Praxis am Lindenhof (Demo)');
    expect(html).toContain('href="/health"');
  });

  it('answers an unknown path with problem+json', async () => {
    const res = await app().request('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, code: 'not_found' });
  });
});
