import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createApp } from '../../server/app.ts';
import { counterKey } from '../../server/auth/rateLimit.ts';
import { emailHash } from '../../server/auth/tokens.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { DEFAULT_ONLINE_LIMITS, type OnlineLimits } from '../../server/engine/config.ts';
import { importPractice } from '../../server/practice/import.ts';
import { demoDoc, demoStore, freshStore, NOW, row, rows } from '../helpers.ts';
import { ownDatabase } from '../mail/helpers.ts';
import {
  authApp,
  codeIssued,
  config,
  fromIp,
  LENA,
  outboxMails,
  post,
  requestCode,
  type TestApp,
  watched,
} from './support.ts';

const NEW = 'new.person@example.org';
const TOM = { email: 'tom.becker@example.org', accessCode: 'TOMB2345' };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function expectTooMany(res: Awaited<ReturnType<typeof post>>, maxSeconds = 15 * 60) {
  expect(res.status).toBe(429);
  expect(res.type).toBe('application/problem+json');
  expect(res.body.code).toBe('too_many_requests');
  const seconds = Number(res.retryAfter);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  expect(res.body.retryAfter).toBe(seconds);
}

/** The answer once an e-mail address has had too many wrong codes today. */
function expectCappedForToday(res: Awaited<ReturnType<typeof post>>) {
  // With how long, in seconds: at most the rest of the 24 hours.
  expectTooMany(res, 24 * 60 * 60);
}

/** `post`, at the practice with this slug. */
async function postAt(app: TestApp, slug: string, path: string, body: unknown, init: { env?: unknown } = {}) {
  const res = await app.request(
    `/api/v1/p/${slug}${path}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    init.env,
  );
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
}

/**
 * The demo practice with its own `booking.limits` (the defaults where left out), and with
 * `alsoNord` a second practice, a copy of it under the slug `nord`, in the same store.
 */
async function practiceApp(limits: Partial<OnlineLimits> = {}, { alsoNord = false } = {}) {
  const store = await freshStore();
  const doc = demoDoc();
  doc.practice.booking.limits = limits;
  const { practiceId } = await importPractice(store, doc, { now: NOW });
  let nordId = 0;
  if (alsoNord) {
    const nord = demoDoc();
    nord.practice.slug = 'nord';
    nord.practice.name = 'Praxis Nord';
    nordId = (await importPractice(store, nord, { now: NOW })).practiceId;
  }
  const clock = { now: NOW };
  const app = createApp({ store: watched(store), clock: () => clock.now, config });
  return { app, store, clock, practiceId, nordId };
}

describe('rate limits on the login (the default limits)', () => {
  it('match the documented defaults', () => {
    expect(DEFAULT_ONLINE_LIMITS).toMatchObject({
      codeRequestsPerAddress: { count: 10, minutes: 15 },
      codeRequestsPerEmail: { count: 5, minutes: 15 },
      verifyPerAddress: { count: 30, minutes: 15 },
      verifyFailuresPerEmailPerDay: 10,
      bookingsPerAddress: { count: 10, minutes: 60 },
    });
  });

  it('allow 5 code requests per e-mail in 15 minutes, then 429 with Retry-After, and more after the window', async () => {
    const { app, store, clock } = await authApp();
    for (let i = 0; i < 5; i++)
      expect((await post(app, '/auth/code', { email: LENA.email })).status).toBe(202);
    const sixth = await post(app, '/auth/code', { email: 'LENA.Vogel@example.org' });
    expectTooMany(sixth);
    await codeIssued();
    expect(await outboxMails(store)).toHaveLength(5);
    // Another address is not affected.
    expect((await post(app, '/auth/code', { email: NEW })).status).toBe(202);
    clock.now = NOW + 15 * MINUTE;
    expect((await post(app, '/auth/code', { email: LENA.email })).status).toBe(202);
  });

  it('limit an unknown e-mail exactly like a known one, so the limit reveals nothing', async () => {
    const { app } = await authApp();
    for (let i = 0; i < 5; i++) await post(app, '/auth/code', { email: 'nobody@example.org' });
    expectTooMany(await post(app, '/auth/code', { email: 'nobody@example.org' }));
  });

  it('allow 10 code requests per client address, whatever the e-mail, and count each address apart', async () => {
    const { app } = await authApp();
    const a = fromIp('203.0.113.7');
    for (let i = 0; i < 10; i++) {
      const res = await post(app, '/auth/code', { email: `person${i}@example.org` }, { env: a });
      expect(res.status).toBe(202);
    }
    expectTooMany(await post(app, '/auth/code', { email: 'person10@example.org' }, { env: a }));
    const b = fromIp('198.51.100.4');
    expect((await post(app, '/auth/code', { email: 'person10@example.org' }, { env: b })).status).toBe(202);
    // Trying codes is counted apart from asking for them.
    expect(
      (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }, { env: a })).status,
    ).toBe(200);
  });

  it('allow 30 codes tried per client address, right or wrong, /auth/verify and /auth/link together', async () => {
    const { app } = await authApp();
    const a = fromIp('203.0.113.7');
    for (let i = 0; i < 20; i++) {
      const res = await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }, { env: a });
      expect(res.status).toBe(200);
    }
    for (let i = 0; i < 10; i++) {
      expect((await post(app, '/auth/link', { token: 'x.y' }, { env: a })).status).toBe(401);
    }
    expectTooMany(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }, { env: a }));
    expectTooMany(await post(app, '/auth/link', { token: 'x.y' }, { env: a }));
    const b = fromIp('198.51.100.4');
    expect(
      (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }, { env: b })).status,
    ).toBe(200);
    // Asking for a code is counted apart from trying codes.
    expect((await post(app, '/auth/code', { email: LENA.email }, { env: a })).status).toBe(202);
  });

  it('read the client address from X-Forwarded-For only behind a trusted proxy, from the right', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    const { store } = await authApp();
    const behindProxy = { ...config, trustProxy: 1 };
    const app = createApp({ store: watched(store), clock: () => NOW, config: behindProxy });
    const viaProxy = (client: string) => ({
      env: fromIp('10.0.0.1'),
      headers: { 'x-forwarded-for': `${client}, 203.0.113.50` },
    });
    // The client makes up the left entry; the proxy appended the address it saw.
    for (let i = 0; i < 10; i++) {
      const res = await post(app, '/auth/code', { email: `p${i}@example.org` }, viaProxy(`192.0.2.${i}`));
      expect(res.status).toBe(202);
    }
    expectTooMany(await post(app, '/auth/code', { email: 'q@example.org' }, viaProxy('192.0.2.99')));

    // Without trustProxy the header is ignored: every request counts for the socket's address.
    // (The codes asked for above are issued after the answers: they land before the store is
    // emptied for the next app, or their writes meet the emptying — on PostgreSQL, a deadlock.)
    await codeIssued();
    const { app: direct } = await authApp();
    for (let i = 0; i < 10; i++) {
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

describe('the daily cap on wrong codes per e-mail address', () => {
  it('refuses even the right code after 10 wrong ones in a day, until the day is over', async () => {
    const { app, store, clock, practiceId } = await authApp();
    for (let i = 0; i < 10; i++) {
      const res = await post(app, '/auth/verify', { email: LENA.email, code: `WRONG${i}X` });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_code');
    }
    expectCappedForToday(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }));
    // The counter of the address (the refused try counted on it too).
    const counted = await row<{ points: number }>(store, 'SELECT points FROM rate_limits WHERE key = ?', [
      counterKey(practiceId, 'verify-failures', emailHash(LENA.email)),
    ]);
    expect(counted!.points).toBeGreaterThanOrEqual(10);
    // Long after the per-address window of 15 minutes, the cap still holds, for the rest of the day.
    clock.now = NOW + DAY - MINUTE;
    expectCappedForToday(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }));
    clock.now = NOW + DAY;
    expect((await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).status).toBe(200);
  });

  it('counts only wrong codes, and each e-mail address apart', async () => {
    const { app } = await authApp();
    for (let i = 0; i < 9; i++) await post(app, '/auth/verify', { email: LENA.email, code: `WRONG${i}X` });
    for (let i = 0; i < 3; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).status).toBe(
        200,
      );
    }
    expect((await post(app, '/auth/verify', { email: LENA.email, code: 'WRONG9X' })).status).toBe(401);
    expectCappedForToday(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }));
    // Other addresses, known or not, are not affected.
    expect((await post(app, '/auth/verify', { email: TOM.email, code: TOM.accessCode })).status).toBe(200);
    expect((await post(app, '/auth/verify', { email: NEW, code: '000000' })).status).toBe(401);
  });

  it('caps an address no file has the same way, also for the right one-time code', async () => {
    const { app, store } = await authApp();
    for (let i = 0; i < 10; i++) {
      expect((await post(app, '/auth/verify', { email: NEW, code: `WRONG${i}X` })).status).toBe(401);
    }
    const code = await requestCode(app, store, NEW);
    expectCappedForToday(await post(app, '/auth/verify', { email: NEW, code }));
  });
});

describe('limits a practice sets itself (booking.limits)', () => {
  it('take its own code-request limits per e-mail and per client address, with their windows', async () => {
    const { app, clock } = await practiceApp({
      codeRequestsPerEmail: { count: 2, minutes: 5 },
      codeRequestsPerAddress: { count: 4, minutes: 10 },
    });
    for (let i = 0; i < 2; i++)
      expect((await post(app, '/auth/code', { email: LENA.email })).status).toBe(202);
    expectTooMany(await post(app, '/auth/code', { email: LENA.email }), 5 * 60);
    expect((await post(app, '/auth/code', { email: NEW })).status).toBe(202);
    expectTooMany(await post(app, '/auth/code', { email: TOM.email }), 10 * 60);
    clock.now = NOW + 10 * MINUTE;
    expect((await post(app, '/auth/code', { email: TOM.email })).status).toBe(202);
  });

  it('take its own daily cap on wrong codes', async () => {
    const { app } = await practiceApp({ verifyFailuresPerEmailPerDay: 3 });
    for (let i = 0; i < 3; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: `WRONG${i}X` })).status).toBe(401);
    }
    expectCappedForToday(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }));
  });

  it('take its own limit on codes tried per client address', async () => {
    const { app } = await practiceApp({ verifyPerAddress: { count: 2, minutes: 1 } });
    for (let i = 0; i < 2; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).status).toBe(
        200,
      );
    }
    expectTooMany(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }), 60);
  });
});

describe("one practice's limits never touch another practice's visitors", () => {
  it('exhausting code requests at one practice does not block the same visitor and address at another', async () => {
    const { app, store, practiceId, nordId } = await practiceApp({}, { alsoNord: true });
    const a = fromIp('203.0.113.7');
    for (let i = 0; i < 5; i++)
      expect((await post(app, '/auth/code', { email: LENA.email }, { env: a })).status).toBe(202);
    for (let i = 0; i < 5; i++) {
      expect((await post(app, '/auth/code', { email: `p${i}@example.org` }, { env: a })).status).toBe(202);
    }
    expectTooMany(await post(app, '/auth/code', { email: LENA.email }, { env: a }));
    expectTooMany(await post(app, '/auth/code', { email: NEW }, { env: a }));

    expect((await postAt(app, 'nord', '/auth/code', { email: LENA.email }, { env: a })).status).toBe(202);
    await codeIssued();
    const nordMails = await rows(store, 'SELECT kind, to_address AS "to" FROM outbox WHERE practice_id = ?', [
      nordId,
    ]);
    expect(nordMails).toEqual([{ kind: 'login-code', to: LENA.email }]);
    // Each practice counts under its own name.
    expect(
      await row(store, 'SELECT points FROM rate_limits WHERE key = ?', [
        counterKey(practiceId, 'code-address', '203.0.113.7'),
      ]),
    ).toEqual({ points: 12 });
    expect(
      await row(store, 'SELECT points FROM rate_limits WHERE key = ?', [
        counterKey(nordId, 'code-address', '203.0.113.7'),
      ]),
    ).toEqual({ points: 1 });
  });

  it('an address capped for wrong codes at one practice still signs in at another', async () => {
    const { app } = await practiceApp({}, { alsoNord: true });
    for (let i = 0; i < 10; i++) await post(app, '/auth/verify', { email: LENA.email, code: `WRONG${i}X` });
    expectCappedForToday(await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode }));
    const nord = await postAt(app, 'nord', '/auth/verify', { email: LENA.email, code: LENA.accessCode });
    expect(nord.status).toBe(200);
  });

  it("each practice's own limits apply to its visitors only", async () => {
    const { app } = await practiceApp(
      { codeRequestsPerEmail: { count: 1, minutes: 15 } },
      { alsoNord: true },
    );
    expect((await post(app, '/auth/code', { email: LENA.email })).status).toBe(202);
    expectTooMany(await post(app, '/auth/code', { email: LENA.email }));
    // Nord keeps the defaults: 5 per e-mail.
    for (let i = 0; i < 5; i++) {
      expect((await postAt(app, 'nord', '/auth/code', { email: LENA.email })).status).toBe(202);
    }
    expect((await postAt(app, 'nord', '/auth/code', { email: LENA.email })).status).toBe(429);
  });
});

describe('rate limits across server processes', () => {
  it('count in the database, so two stores (processes, app instances) on it share them', async () => {
    const database = ownDatabase('terminkette-auth-');
    onTestFinished(() => database.remove());
    const first = await database.open();
    const { practiceId } = await importPractice(first, demoDocument(), { now: NOW });
    const second = await database.open();
    const appA = createApp({ store: watched(first), clock: () => NOW, config });
    const appB = createApp({ store: watched(second), clock: () => NOW, config });
    for (let i = 0; i < 3; i++)
      expect((await post(appA, '/auth/code', { email: LENA.email })).status).toBe(202);
    for (let i = 0; i < 2; i++)
      expect((await post(appB, '/auth/code', { email: LENA.email })).status).toBe(202);
    expectTooMany(await post(appA, '/auth/code', { email: LENA.email }));
    expectTooMany(await post(appB, '/auth/code', { email: LENA.email }));
    const counter = await row<{ points: number }>(second, 'SELECT points FROM rate_limits WHERE key = ?', [
      counterKey(practiceId, 'code-email', emailHash(LENA.email)),
    ]);
    expect(counter?.points).toBe(7);
    await codeIssued();
    expect(await outboxMails(first)).toHaveLength(5);
  });
});

describe('X-Forwarded-For while no proxy is trusted', () => {
  /** The app as a fresh server process has it: its modules loaded anew, so nothing warned yet. */
  async function freshProcessApp(trustProxy: number) {
    vi.resetModules();
    const { createApp: freshCreateApp } = await import('../../server/app.ts');
    const { store } = await demoStore();
    return freshCreateApp({ store: watched(store), clock: () => NOW, config: { ...config, trustProxy } });
  }

  function spyOnWarn() {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    return warn;
  }

  it('is warned of once per process, and not before such a request comes', async () => {
    const app = await freshProcessApp(0);
    const warn = spyOnWarn();
    await post(app, '/auth/code', { email: LENA.email }, { env: fromIp('10.0.0.2') });
    expect(warn).not.toHaveBeenCalled();
    for (let i = 0; i < 3; i++) {
      await post(
        app,
        '/auth/code',
        { email: `p${i}@example.org` },
        { env: fromIp('10.0.0.2'), headers: { 'x-forwarded-for': `192.0.2.${i}` } },
      );
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/X-Forwarded-For.*TRUST_PROXY/s);
  });

  it('is not warned of behind a trusted proxy', async () => {
    const app = await freshProcessApp(1);
    const warn = spyOnWarn();
    await post(
      app,
      '/auth/code',
      { email: LENA.email },
      { env: fromIp('10.0.0.1'), headers: { 'x-forwarded-for': '192.0.2.1, 203.0.113.50' } },
    );
    expect(warn).not.toHaveBeenCalled();
  });
});
