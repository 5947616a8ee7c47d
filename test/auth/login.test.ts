import { describe, expect, it } from 'vitest';
import {
  CLIENT_TOKEN_TTL_MS,
  directLinkForClient,
  regenerateAccessCode,
  verifyClientToken,
} from '../../server/auth/tokens.ts';
import { NOW } from '../helpers.ts';
import { authApp, codeIssued, LENA, outboxMails, post, requestCode, secret } from './support.ts';

describe('POST /auth/code', () => {
  it('answers 202 "sent" alike for a known and an unknown e-mail', async () => {
    const { app } = authApp();
    const known = await post(app, '/auth/code', { email: LENA.email });
    const unknown = await post(app, '/auth/code', { email: 'nobody@example.org' });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.type).toBe(unknown.type);
    expect(known.text).toBe('{"status":"sent"}');
    expect(unknown.text).toBe(known.text);
  });

  it('stores only a hash of a 15-minute code and queues the mail, for the known e-mail only', async () => {
    const { app, db, lenaId } = authApp();
    await post(app, '/auth/code', { email: 'nobody@example.org' });
    await codeIssued();
    expect(db.$client.prepare('SELECT count(*) AS n FROM login_codes').get()).toEqual({ n: 0 });
    expect(outboxMails(db)).toEqual([]);

    const code = await requestCode(app, db, 'Lena.Vogel@Example.org');
    const rows = db.$client.prepare('SELECT * FROM login_codes').all() as any[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      client_id: lenaId,
      expires_at: NOW + 15 * 60_000,
      attempts: 0,
      used_at: null,
    });
    expect(rows[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].code_hash).not.toContain(code);

    const [mail] = outboxMails(db);
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
    const { app, db } = authApp();
    const res = await post(app, '/auth/code', body);
    await codeIssued();
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code).toBe('invalid_request');
    expect(outboxMails(db)).toEqual([]);
  });

  it('refuses a body that is not JSON, or not well-formed JSON, as problem+json', async () => {
    const { app, db } = authApp();
    const form = await app.request('/api/v1/p/demo/auth/code', { method: 'POST', body: 'email=x' });
    expect(form.status).toBe(415);
    expect(form.headers.get('content-type')).toBe('application/problem+json');
    const broken = await post(app, '/auth/code', '{"email": ');
    await codeIssued();
    expect(broken.status).toBe(400);
    expect(broken.type).toBe('application/problem+json');
    expect(outboxMails(db)).toEqual([]);
  });

  it('answers 404 for an unknown practice', async () => {
    const { app } = authApp();
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
    const { app, db, practiceId, lenaId } = authApp();
    const code = await requestCode(app, db);
    const res = await post(app, '/auth/verify', { email: LENA.email, code });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      token: expect.any(String),
      expiresAt: new Date(NOW + CLIENT_TOKEN_TTL_MS).toISOString(),
      client: { firstName: 'Lena' },
    });
    expect(verifyClientToken(secret, res.body.token, practiceId, NOW)).toMatchObject({ clientId: lenaId });
    const row = db.$client.prepare('SELECT used_at FROM login_codes').get() as any;
    expect(row.used_at).toBe(NOW);
  });

  it('takes a code only once', async () => {
    const { app, db } = authApp();
    const code = await requestCode(app, db);
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(200);
    const again = await post(app, '/auth/verify', { email: LENA.email, code });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('invalid_code');
  });

  it('refuses a code after its 15 minutes', async () => {
    const { app, db, clock } = authApp();
    const code = await requestCode(app, db);
    clock.now = NOW + 15 * 60_000;
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(401);
  });

  it('accepts spaces in the code and the e-mail in any case', async () => {
    const { app, db } = authApp();
    const code = await requestCode(app, db);
    const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;
    const res = await post(app, '/auth/verify', { email: 'LENA.VOGEL@example.org', code: spaced });
    expect(res.status).toBe(200);
  });

  it("accepts the file's access code in any case", async () => {
    const { app } = authApp();
    for (const code of ['LENA2345', 'lena2345', 'Lena-2345']) {
      const res = await post(app, '/auth/verify', { email: LENA.email, code });
      expect(res.status).toBe(200);
      expect(res.body.client).toEqual({ firstName: 'Lena' });
    }
  });

  it('answers a wrong code and an unknown e-mail with the same 401 invalid_code', async () => {
    const { app, db } = authApp();
    await requestCode(app, db);
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
    const { app, db } = authApp();
    const code = await requestCode(app, db);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 1; i <= 5; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: wrong })).status).toBe(401);
      expect(db.$client.prepare('SELECT attempts FROM login_codes').get()).toEqual({ attempts: i });
    }
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(401);
    // The access code still works, and a fresh one-time code too.
    expect((await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).status).toBe(200);
    const fresh = await requestCode(app, db);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: fresh })).status).toBe(200);
  });

  it('still takes the code after 4 wrong tries', async () => {
    const { app, db } = authApp();
    const code = await requestCode(app, db);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 0; i < 4; i++) await post(app, '/auth/verify', { email: LENA.email, code: wrong });
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(200);
  });

  it("does not take one file's code for another file", async () => {
    const { app, db } = authApp();
    const code = await requestCode(app, db);
    const tom = (db.$client.prepare("SELECT email FROM clients WHERE access_code = 'TOMB2345'").get() as any)
      .email;
    expect((await post(app, '/auth/verify', { email: tom, code })).status).toBe(401);
  });

  it('refuses the old access code once it was regenerated, and takes the new one', async () => {
    const { app, db, practiceId, lenaId } = authApp();
    const fresh = regenerateAccessCode(db, practiceId, lenaId)!;
    expect(fresh.accessCodeVersion).toBe(2);
    expect(fresh.accessCode).toMatch(/^[A-Z2-9]{8}$/);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).status).toBe(401);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: fresh.accessCode })).status).toBe(200);
  });

  it('refuses unknown fields and missing codes with 400', async () => {
    const { app } = authApp();
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
    const { app, db, practiceId, lenaId } = authApp();
    const token = directLinkForClient(db, secret, practiceId, lenaId)!;
    const res = await post(app, '/auth/link', { token });
    expect(res.status).toBe(200);
    expect(res.body.client).toEqual({ firstName: 'Lena' });
    expect(verifyClientToken(secret, res.body.token, practiceId, NOW)?.clientId).toBe(lenaId);
  });

  it("stops working when the file's e-mail changes", async () => {
    const { app, db, practiceId, lenaId } = authApp();
    const token = directLinkForClient(db, secret, practiceId, lenaId)!;
    db.$client.prepare('UPDATE clients SET email = ? WHERE id = ?').run('lena@example.net', lenaId);
    const res = await post(app, '/auth/link', { token });
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code).toBe('invalid_link');
    // The file's new link works.
    const fresh = directLinkForClient(db, secret, practiceId, lenaId)!;
    expect((await post(app, '/auth/link', { token: fresh })).status).toBe(200);
  });

  it('stops working when the access code is regenerated', async () => {
    const { app, db, practiceId, lenaId } = authApp();
    const token = directLinkForClient(db, secret, practiceId, lenaId)!;
    regenerateAccessCode(db, practiceId, lenaId);
    expect((await post(app, '/auth/link', { token })).body.code).toBe('invalid_link');
  });

  it('refuses garbage, other kinds of token and a deleted file', async () => {
    const { app, db, practiceId, lenaId } = authApp();
    expect((await post(app, '/auth/link', { token: 'abc.def' })).body.code).toBe('invalid_link');
    const clientToken = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body
      .token;
    expect((await post(app, '/auth/link', { token: clientToken })).body.code).toBe('invalid_link');
    const token = directLinkForClient(db, secret, practiceId, lenaId)!;
    db.$client.prepare('DELETE FROM clients WHERE id = ?').run(lenaId);
    expect((await post(app, '/auth/link', { token })).body.code).toBe('invalid_link');
  });
});

describe('the OpenAPI document', () => {
  it('describes the three auth endpoints with their answers', async () => {
    const { app } = authApp();
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
