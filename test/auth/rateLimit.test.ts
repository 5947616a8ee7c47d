import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../../server/app.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice } from '../../server/practice/import.ts';
import { NOW, row } from '../helpers.ts';
import { ownDatabase } from '../mail/helpers.ts';
import { authApp, codeIssued, config, fromIp, LENA, outboxMails, post, watched } from './support.ts';

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
    const { app, store } = await authApp();
    for (let i = 0; i < 5; i++)
      expect((await post(app, '/auth/code', { email: LENA.email })).status).toBe(202);
    const sixth = await post(app, '/auth/code', { email: 'LENA.Vogel@example.org' });
    expectTooMany(sixth);
    await codeIssued();
    expect(await outboxMails(store)).toHaveLength(5);
    // Another address is not affected.
    expect((await post(app, '/auth/code', { email: 'nobody@example.org' })).status).toBe(202);
  });

  it('limits an unknown e-mail exactly like a known one, so the limit reveals nothing', async () => {
    const { app } = await authApp();
    for (let i = 0; i < 5; i++) await post(app, '/auth/code', { email: 'nobody@example.org' });
    expectTooMany(await post(app, '/auth/code', { email: 'nobody@example.org' }));
  });

  it('allows 10 verify attempts per e-mail, then 429 even for the right code', async () => {
    const { app } = await authApp();
    for (let i = 0; i < 10; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: `WRONG${i}X` })).status).toBe(401);
    }
    expectTooMany(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }));
  });

  it('allows 30 login requests per IP address, whatever the e-mail, and counts each address apart', async () => {
    const { app } = await authApp();
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
    const { store } = await authApp();
    const behindProxy = { ...config, trustProxy: 1 };
    const app = createApp({ store: watched(store), clock: () => NOW, config: behindProxy });
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
    const { app: direct } = await authApp();
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
  it('count in the database, so two stores (processes, app instances) on it share them', async () => {
    const database = ownDatabase('terminkette-auth-');
    onTestFinished(() => database.remove());
    const first = await database.open();
    await importPractice(first, demoDocument(), { now: NOW });
    const second = await database.open();
    const appA = createApp({ store: watched(first), clock: () => NOW, config });
    const appB = createApp({ store: watched(second), clock: () => NOW, config });
    for (let i = 0; i < 3; i++)
      expect((await post(appA, '/auth/code', { email: LENA.email })).status).toBe(202);
    for (let i = 0; i < 2; i++)
      expect((await post(appB, '/auth/code', { email: LENA.email })).status).toBe(202);
    expectTooMany(await post(appA, '/auth/code', { email: LENA.email }));
    expectTooMany(await post(appB, '/auth/code', { email: LENA.email }));
    const counter = await row<{ points: number }>(
      second,
      "SELECT points FROM rate_limits WHERE key LIKE 'auth-code-email:%'",
    );
    expect(counter?.points).toBe(7);
    await codeIssued();
    expect(await outboxMails(first)).toHaveLength(5);
  });
});
