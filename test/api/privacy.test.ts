/**
 * Nobody learns from the public API whether an e-mail address has a client file at a practice
 * (a fact about someone's health): asking for a code and trying one answer byte for byte the same
 * for an address the practice knows and for one it does not; a right code answers in the same
 * shape either way. Only the owner of the address, once confirmed, is told (GET /me).
 */
import { describe, expect, it } from 'vitest';
import { call, type DemoApp, demoApp, rows } from '../helpers.ts';

const KNOWN = 'lena.vogel@example.org';
const UNKNOWN = 'nobody.here@example.org';

/** Status, the headers a client could tell apart by, and the exact body. */
async function answer(d: DemoApp, path: string, body: unknown) {
  const res = await d.app.request(`/api/v1/p/demo${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    length: res.headers.get('content-length'),
    retryAfter: res.headers.get('retry-after'),
    body: await res.text(),
  };
}

/** The 6-digit code in the newest mail to `to`. */
async function codeSentTo(d: DemoApp, to: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const mails = await rows<{ text_body: string }>(
      d.store,
      'SELECT text_body FROM outbox WHERE to_address = ? ORDER BY id DESC',
      [to],
    );
    const code = mails[0] && /\b(\d{6})\b/.exec(mails[0].text_body)?.[1];
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no code mailed to ${to}`);
}

describe('whether an address has a file', () => {
  it('shows in no answer before the code: asking for one, and a wrong one, answer byte for byte the same', async () => {
    const d = await demoApp();
    const asked = [
      await answer(d, '/auth/code', { email: KNOWN }),
      await answer(d, '/auth/code', { email: UNKNOWN }),
    ];
    expect(asked[0]!.status).toBe(202);
    expect(asked[1]).toEqual(asked[0]);
    await codeSentTo(d, KNOWN);
    await codeSentTo(d, UNKNOWN);
    const wrong = [
      await answer(d, '/auth/verify', { email: KNOWN, code: '000000' }),
      await answer(d, '/auth/verify', { email: UNKNOWN, code: '000000' }),
    ];
    expect(wrong[0]!.status).toBe(401);
    expect(wrong[1]).toEqual(wrong[0]);
  });

  it('shows in no answer to a right code either: the same status, the same fields, the same expiry', async () => {
    const d = await demoApp();
    await call(d.app, 'POST', '/api/v1/p/demo/auth/code', { body: { email: KNOWN } });
    await call(d.app, 'POST', '/api/v1/p/demo/auth/code', { body: { email: UNKNOWN } });
    const known = await answer(d, '/auth/verify', { email: KNOWN, code: await codeSentTo(d, KNOWN) });
    const unknown = await answer(d, '/auth/verify', { email: UNKNOWN, code: await codeSentTo(d, UNKNOWN) });
    expect([known.status, unknown.status]).toEqual([200, 200]);
    expect(known.type).toBe(unknown.type);
    const [a, b] = [JSON.parse(known.body), JSON.parse(unknown.body)];
    expect(Object.keys(a).sort()).toEqual(['expiresAt', 'token']);
    expect(Object.keys(b).sort()).toEqual(['expiresAt', 'token']);
    expect(a.expiresAt).toBe(b.expiresAt);
    // The owner learns it, with the token only they have.
    const me = await call(d.app, 'GET', '/api/v1/p/demo/me', { token: a.token });
    expect(me.body.client).toMatchObject({ firstName: 'Lena' });
    const stranger = await call(d.app, 'GET', '/api/v1/p/demo/me', { token: b.token });
    expect(stranger.body).toEqual({ email: UNKNOWN, client: null });
  });
});
