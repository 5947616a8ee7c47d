import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { openDatabase } from '../../server/db/index.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice } from '../../server/practice/import.ts';
import { NOW } from '../helpers.ts';
import { authApp, codeIssued, config, fromIp, LENA, outboxMails, post } from './support.ts';

function expectTooMany(res: Awaited<ReturnType<typeof post>>) {
  expect(res.status).toBe(429);
  expect(res.type).toBe('application/problem+json');
  expect(res.body.code).toBe('too_many_requests');
  const seconds = Number(res.retryAfter);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(15 * 60);
  expect(res.body.retryAfter).toBe(seconds);
}

describe('rate limits on the login', () => {
  it('allows 5 code requests per e-mail in 15 minutes, then 429 with Retry-After', async () => {
    const { app, db } = authApp();
    for (let i = 0; i < 5; i++)
      expect((await post(app, '/auth/code', { email: LENA.email })).status).toBe(202);
    const sixth = await post(app, '/auth/code', { email: 'LENA.Vogel@example.org' });
    expectTooMany(sixth);
    await codeIssued();
    expect(outboxMails(db)).toHaveLength(5);
    // Another address is not affected.
    expect((await post(app, '/auth/code', { email: 'nobody@example.org' })).status).toBe(202);
  });

  it('limits an unknown e-mail exactly like a known one, so the limit reveals nothing', async () => {
    const { app } = authApp();
    for (let i = 0; i < 5; i++) await post(app, '/auth/code', { email: 'nobody@example.org' });
    expectTooMany(await post(app, '/auth/code', { email: 'nobody@example.org' }));
  });

  it('allows 10 verify attempts per e-mail, then 429 even for the right code', async () => {
    const { app } = authApp();
    for (let i = 0; i < 10; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: `WRONG${i}X` })).status).toBe(401);
    }
    expectTooMany(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }));
  });

  it('allows 30 login requests per IP address, whatever the e-mail, and counts each address apart', async () => {
    const { app } = authApp();
    const a = fromIp('203.0.113.7');
    for (let i = 0; i < 30; i++) {
      const res = await post(app, '/auth/code', { email: `person${i}@example.org` }, { env: a });
      expect(res.status).toBe(202);
    }
    expectTooMany(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }, { env: a }));
    expectTooMany(await post(app, '/auth/link', { token: 'x.y' }, { env: a }));
    const b = fromIp('198.51.100.4');
    expect(
      (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }, { env: b })).status,
    ).toBe(200);
  });

  it('reads the IP from X-Forwarded-For only behind a trusted proxy, from the right', async () => {
    const { db } = authApp();
    const behindProxy = { ...config, trustProxy: 1 };
    const app = createApp({ db, clock: () => NOW, config: behindProxy });
    const viaProxy = (client: string) => ({
      env: fromIp('10.0.0.1'),
      headers: { 'x-forwarded-for': `${client}, 203.0.113.50` },
    });
    // The client makes up the left entry; the proxy appended the address it saw.
    for (let i = 0; i < 30; i++) {
      const res = await post(app, '/auth/code', { email: `p${i}@example.org` }, viaProxy(`192.0.2.${i}`));
      expect(res.status).toBe(202);
    }
    expectTooMany(await post(app, '/auth/code', { email: 'q@example.org' }, viaProxy('192.0.2.99')));

    // Without trustProxy the header is ignored: every request counts for the socket's address.
    const { app: direct } = authApp();
    for (let i = 0; i < 30; i++) {
      await post(
        direct,
        '/auth/code',
        { email: `p${i}@example.org` },
        { env: fromIp('10.0.0.2'), headers: { 'x-forwarded-for': `192.0.2.${i}` } },
      );
    }
    expectTooMany(await post(direct, '/auth/code', { email: 'q@example.org' }, { env: fromIp('10.0.0.2') }));
  });
});

describe('rate limits across server processes', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('count in the database file, so two connections (processes) share them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'terminkette-auth-'));
    const file = join(dir, 'db.sqlite');
    const first = openDatabase(file);
    importPractice(first, demoDocument(), { now: NOW });
    const second = openDatabase(file);
    try {
      const appA = createApp({ db: first, clock: () => NOW, config });
      const appB = createApp({ db: second, clock: () => NOW, config });
      for (let i = 0; i < 3; i++)
        expect((await post(appA, '/auth/code', { email: LENA.email })).status).toBe(202);
      for (let i = 0; i < 2; i++)
        expect((await post(appB, '/auth/code', { email: LENA.email })).status).toBe(202);
      expectTooMany(await post(appA, '/auth/code', { email: LENA.email }));
      expectTooMany(await post(appB, '/auth/code', { email: LENA.email }));
      const row = second.$client
        .prepare("SELECT points FROM rate_limits WHERE key LIKE 'auth-code-email:%'")
        .get() as { points: number };
      expect(row.points).toBe(7);
      await codeIssued();
      expect(outboxMails(first)).toHaveLength(5);
    } finally {
      first.$client.close();
      second.$client.close();
    }
  });
});
