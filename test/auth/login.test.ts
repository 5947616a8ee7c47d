import { describe, expect, it } from 'vitest';
import {
  CLIENT_TOKEN_TTL_MS,
  directLinkForClient,
  regenerateAccessCode,
  verifyClientToken,
} from '../../server/auth/tokens.ts';
import { count, exec, NOW, row, rows } from '../helpers.ts';
import { authApp, codeIssued, LENA, outboxMails, post, requestCode, secret } from './support.ts';

describe('POST /auth/code', () => {
  it('answers 202 "sent" alike for a known and an unknown e-mail', async () => {
    const { app } = await authApp();
    const known = await post(app, '/auth/code', { email: LENA.email });
    const unknown = await post(app, '/auth/code', { email: 'nobody@example.org' });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.type).toBe(unknown.type);
    expect(known.text).toBe('{"status":"sent"}');
    expect(unknown.text).toBe(known.text);
  });

  it('stores only a hash of a 15-minute code and queues the mail, for the known e-mail only', async () => {
    const { app, store, lenaId } = await authApp();
    await post(app, '/auth/code', { email: 'nobody@example.org' });
    await codeIssued();
    expect(await count(store, 'SELECT count(*) AS n FROM login_codes')).toBe(0);
    expect(await outboxMails(store)).toEqual([]);

    const code = await requestCode(app, store, 'Lena.Vogel@Example.org');
    const codes = await rows(store, 'SELECT * FROM login_codes');
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatchObject({
      client_id: lenaId,
      expires_at: NOW + 15 * 60_000,
      attempts: 0,
      used_at: null,
    });
    expect(codes[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(codes[0].code_hash).not.toContain(code);

    const [mail] = await outboxMails(store);
    expect(mail).toMatchObject({ kind: 'login-code', to: LENA.email, status: 'pending' });
    expect(mail!.subject).toContain('Anmeldecode');
    expect(mail!.text).toContain('Ihr Anmeldecode für die Online-Terminbuchung');
    expect(mail!.text).toContain(
      `Your sign-in code for online booking at Praxis am Lindenhof (Demo) is ${code}.`,
    );
  });

  it.each([
    ['a malformed e-mail', { email: 'not-an-email' }],
    ['a missing e-mail', {}],
    ['an unknown field', { email: LENA.email, name: 'Lena' }],
    ['a number for the e-mail', { email: 5 }],
    ['an over-long e-mail', { email: `${'a'.repeat(300)}@example.org` }],
  ])('refuses %s with 400 invalid_request and writes nothing', async (_what, body) => {
    const { app, store } = await authApp();
    const res = await post(app, '/auth/code', body);
    await codeIssued();
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code).toBe('invalid_request');
    expect(await outboxMails(store)).toEqual([]);
  });

  it('refuses a body that is not JSON, or not well-formed JSON, as problem+json', async () => {
    const { app, store } = await authApp();
    const form = await app.request('/api/v1/p/demo/auth/code', { method: 'POST', body: 'email=x' });
    expect(form.status).toBe(415);
    expect(form.headers.get('content-type')).toBe('application/problem+json');
    const broken = await post(app, '/auth/code', '{"email": ');
    await codeIssued();
    expect(broken.status).toBe(400);
    expect(broken.type).toBe('application/problem+json');
    expect(await outboxMails(store)).toEqual([]);
  });

  it('answers 404 for an unknown practice', async () => {
    const { app } = await authApp();
    const res = await app.request('/api/v1/p/nobody/auth/code', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: LENA.email }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).code).toBe('practice_not_found');
  });
});

describe('POST /auth/verify', () => {
  it('exchanges the e-mailed code for a two-hour client token of the file', async () => {
    const { app, store, practiceId, lenaId } = await authApp();
    const code = await requestCode(app, store);
    const res = await post(app, '/auth/verify', { email: LENA.email, code });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      token: expect.any(String),
      expiresAt: new Date(NOW + CLIENT_TOKEN_TTL_MS).toISOString(),
      client: { firstName: 'Lena' },
    });
    expect(verifyClientToken(secret, res.body.token, practiceId, NOW)).toMatchObject({ clientId: lenaId });
    expect(await row(store, 'SELECT used_at FROM login_codes')).toEqual({ used_at: NOW });
  });

  it('takes a code only once', async () => {
    const { app, store } = await authApp();
    const code = await requestCode(app, store);
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(200);
    const again = await post(app, '/auth/verify', { email: LENA.email, code });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('invalid_code');
  });

  it('refuses a code after its 15 minutes', async () => {
    const { app, store, clock } = await authApp();
    const code = await requestCode(app, store);
    clock.now = NOW + 15 * 60_000;
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(401);
  });

  it('accepts spaces in the code and the e-mail in any case', async () => {
    const { app, store } = await authApp();
    const code = await requestCode(app, store);
    const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;
    const res = await post(app, '/auth/verify', { email: 'LENA.VOGEL@example.org', code: spaced });
    expect(res.status).toBe(200);
  });

  it("accepts the file's access code in any case", async () => {
    const { app } = await authApp();
    for (const code of ['LENA2345', 'lena2345', 'Lena-2345']) {
      const res = await post(app, '/auth/verify', { email: LENA.email, code });
      expect(res.status).toBe(200);
      expect(res.body.client).toEqual({ firstName: 'Lena' });
    }
  });

  it('answers a wrong code and an unknown e-mail with the same 401 invalid_code', async () => {
    const { app, store } = await authApp();
    await requestCode(app, store);
    const wrong = await post(app, '/auth/verify', { email: LENA.email, code: '000000' });
    const unknown = await post(app, '/auth/verify', { email: 'nobody@example.org', code: '000000' });
    const otherFilesCode = await post(app, '/auth/verify', { email: LENA.email, code: 'TOMB2345' });
    expect(wrong.status).toBe(401);
    expect(wrong.type).toBe('application/problem+json');
    expect(wrong.body.code).toBe('invalid_code');
    expect(unknown.text).toBe(wrong.text);
    expect(otherFilesCode.text).toBe(wrong.text);
  });

  it('kills a code after 5 wrong tries, and counts each of them', async () => {
    const { app, store } = await authApp();
    const code = await requestCode(app, store);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 1; i <= 5; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: wrong })).status).toBe(401);
      expect(await row(store, 'SELECT attempts FROM login_codes')).toEqual({ attempts: i });
    }
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(401);
    // The access code still works, and a fresh one-time code too.
    expect((await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).status).toBe(200);
    const fresh = await requestCode(app, store);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: fresh })).status).toBe(200);
  });

  it('still takes the code after 4 wrong tries', async () => {
    const { app, store } = await authApp();
    const code = await requestCode(app, store);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 0; i < 4; i++) await post(app, '/auth/verify', { email: LENA.email, code: wrong });
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(200);
  });

  it("does not take one file's code for another file", async () => {
    const { app, store } = await authApp();
    const code = await requestCode(app, store);
    const tom = (await row(store, "SELECT email FROM clients WHERE access_code = 'TOMB2345'"))!.email;
    expect((await post(app, '/auth/verify', { email: tom, code })).status).toBe(401);
  });

  it('refuses the old access code once it was regenerated, and takes the new one', async () => {
    const { app, store, practiceId, lenaId } = await authApp();
    const fresh = (await regenerateAccessCode(store, practiceId, lenaId))!;
    expect(fresh.accessCodeVersion).toBe(2);
    expect(fresh.accessCode).toMatch(/^[A-Z2-9]{8}$/);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).status).toBe(401);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: fresh.accessCode })).status).toBe(200);
  });

  it('refuses unknown fields and missing codes with 400', async () => {
    const { app } = await authApp();
    const extra = await post(app, '/auth/verify', {
      email: LENA.email,
      code: LENA.accessCode,
      remember: true,
    });
    expect(extra.status).toBe(400);
    expect(extra.body.code).toBe('invalid_request');
    expect((await post(app, '/auth/verify', { email: LENA.email, code: '' })).status).toBe(400);
  });
});

describe('POST /auth/link', () => {
  it('exchanges a personal direct link for a client token', async () => {
    const { app, store, practiceId, lenaId } = await authApp();
    const token = (await directLinkForClient(store, secret, practiceId, lenaId))!;
    const res = await post(app, '/auth/link', { token });
    expect(res.status).toBe(200);
    expect(res.body.client).toEqual({ firstName: 'Lena' });
    expect(verifyClientToken(secret, res.body.token, practiceId, NOW)?.clientId).toBe(lenaId);
  });

  it("stops working when the file's e-mail changes", async () => {
    const { app, store, practiceId, lenaId } = await authApp();
    const token = (await directLinkForClient(store, secret, practiceId, lenaId))!;
    await exec(store, 'UPDATE clients SET email = ? WHERE id = ?', ['lena@example.net', lenaId]);
    const res = await post(app, '/auth/link', { token });
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code).toBe('invalid_link');
    // The file's new link works.
    const fresh = (await directLinkForClient(store, secret, practiceId, lenaId))!;
    expect((await post(app, '/auth/link', { token: fresh })).status).toBe(200);
  });

  it('stops working when the access code is regenerated', async () => {
    const { app, store, practiceId, lenaId } = await authApp();
    const token = (await directLinkForClient(store, secret, practiceId, lenaId))!;
    await regenerateAccessCode(store, practiceId, lenaId);
    expect((await post(app, '/auth/link', { token })).body.code).toBe('invalid_link');
  });

  it('refuses garbage, other kinds of token and a deleted file', async () => {
    const { app, store, practiceId, lenaId } = await authApp();
    expect((await post(app, '/auth/link', { token: 'abc.def' })).body.code).toBe('invalid_link');
    const clientToken = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body
      .token;
    expect((await post(app, '/auth/link', { token: clientToken })).body.code).toBe('invalid_link');
    const token = (await directLinkForClient(store, secret, practiceId, lenaId))!;
    await exec(store, 'DELETE FROM clients WHERE id = ?', [lenaId]);
    expect((await post(app, '/auth/link', { token })).body.code).toBe('invalid_link');
  });
});

describe('the OpenAPI document', () => {
  it('describes the three auth endpoints with their answers', async () => {
    const { app } = await authApp();
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as any;
    const code = doc.paths['/api/v1/p/{practice}/auth/code'].post;
    expect(Object.keys(code.responses)).toEqual(expect.arrayContaining(['202', '400', '429']));
    expect(code.responses['429'].headers['Retry-After']).toBeDefined();
    const verify = doc.paths['/api/v1/p/{practice}/auth/verify'].post;
    expect(Object.keys(verify.responses)).toEqual(expect.arrayContaining(['200', '401', '429']));
    expect(doc.paths['/api/v1/p/{practice}/auth/link'].post.responses['200']).toBeDefined();
    expect(doc.components.schemas.ClientSession).toBeDefined();
    expect(doc.components.schemas.AuthVerifyRequest.additionalProperties).toBe(false);
  });
});
