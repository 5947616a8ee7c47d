import { describe, expect, it } from 'vitest';
import {
  CLIENT_TOKEN_TTL_MS,
  directLinkForClient,
  emailHash,
  regenerateAccessCode,
  signEmailToken,
  verifyClientToken,
  verifyIdentityToken,
} from '../../server/auth/tokens.ts';
import { call, exec, NOW, row, rows } from '../helpers.ts';
import {
  authApp,
  codeIssued,
  LENA,
  outboxMails,
  post,
  requestCode,
  secret,
  type TestApp,
} from './support.ts';

const NEW = 'new.person@example.org';

/** `GET /me` with a token (or none). */
function me(app: TestApp, token?: string) {
  return call(app, 'GET', '/api/v1/p/demo/me', token === undefined ? {} : { token });
}

/** A 6-digit code that is not `code`. */
function otherThan(code: string): string {
  return code === '999999' ? '999998' : '999999';
}

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

  it("mails a client file's address a sign-in code that greets the client, and stores only a hash of it", async () => {
    const { app, store, practiceId } = await authApp();
    const code = await requestCode(app, store, 'Lena.Vogel@Example.org');
    const codes = await rows(store, 'SELECT * FROM email_codes');
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatchObject({
      practice_id: practiceId,
      email_hash: emailHash(LENA.email),
      expires_at: NOW + 15 * 60_000,
      attempts: 0,
      used_at: null,
    });
    expect(Number(codes[0].created_at)).toBe(NOW);
    expect(codes[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(codes[0].code_hash).not.toContain(code);

    const [mail] = await outboxMails(store);
    expect(mail).toMatchObject({ kind: 'login-code', to: 'Lena.Vogel@Example.org', status: 'pending' });
    expect(mail!.subject).toContain('Anmeldecode');
    expect(mail!.text).toContain('Guten Tag Lena Vogel,');
    expect(mail!.text).toContain('Ihr Anmeldecode für die Online-Terminbuchung');
    expect(mail!.text).toContain(
      `Your sign-in code for online booking at Praxis am Lindenhof (Demo) is ${code}.`,
    );
  });

  it('mails an unknown address a confirmation code that names nobody, stored the same way', async () => {
    const { app, store, practiceId } = await authApp();
    const code = await requestCode(app, store, NEW);
    expect(
      await rows(store, 'SELECT practice_id, email_hash, expires_at, attempts, used_at FROM email_codes'),
    ).toEqual([
      {
        practice_id: practiceId,
        email_hash: emailHash(NEW),
        expires_at: NOW + 15 * 60_000,
        attempts: 0,
        used_at: null,
      },
    ]);
    const [mail] = await outboxMails(store);
    expect(mail).toMatchObject({ kind: 'email-code', to: NEW, status: 'pending' });
    expect(mail!.subject).toContain('Bestätigungscode');
    expect(mail!.text).toMatch(/^Guten Tag,\n/);
    expect(mail!.text).not.toContain('Lena');
    expect(mail!.text).toContain(
      `Your code to confirm your e-mail address for online booking at Praxis am Lindenhof (Demo) is ${code}.`,
    );
  });

  it('ends the older codes of an address with a new one: only the newest works', async () => {
    const { app, store } = await authApp();
    const first = await requestCode(app, store);
    let second = await requestCode(app, store);
    // Two codes in a row may be the same 6 digits (one in a million); then ask once more.
    while (second === first) second = await requestCode(app, store);
    expect(await rows(store, 'SELECT email_hash FROM email_codes')).toEqual([
      { email_hash: emailHash(LENA.email) },
    ]);
    const old = await post(app, '/auth/verify', { email: LENA.email, code: first });
    expect(old.status).toBe(401);
    expect(old.body.code).toBe('invalid_code');
    expect((await post(app, '/auth/verify', { email: LENA.email, code: second })).status).toBe(200);
  });

  it("does not end another address's code", async () => {
    const { app, store } = await authApp();
    const lenas = await requestCode(app, store);
    await requestCode(app, store, NEW);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: lenas })).status).toBe(200);
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
    expect(await rows(store, 'SELECT id FROM email_codes')).toEqual([]);
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
    });
    expect(verifyClientToken(secret, res.body.token, practiceId, NOW)).toMatchObject({ clientId: lenaId });
    expect(await row(store, 'SELECT used_at FROM email_codes')).toEqual({ used_at: NOW });
  });

  it('exchanges the code of an unknown address for a two-hour e-mail token of the address', async () => {
    const { app, store, practiceId } = await authApp();
    const code = await requestCode(app, store, 'New.Person@Example.org');
    const res = await post(app, '/auth/verify', { email: 'New.Person@Example.org', code });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      token: expect.any(String),
      expiresAt: new Date(NOW + CLIENT_TOKEN_TTL_MS).toISOString(),
    });
    expect(verifyIdentityToken(secret, res.body.token, practiceId, NOW)).toEqual({
      typ: 'email',
      practiceId,
      email: NEW,
      exp: NOW + CLIENT_TOKEN_TTL_MS,
    });
    expect(verifyClientToken(secret, res.body.token, practiceId, NOW)).toBeNull();
  });

  it('answers a known and an unknown address alike: same status, type and shape', async () => {
    const { app, store } = await authApp();
    const lenas = await requestCode(app, store);
    const news = await requestCode(app, store, NEW);
    const known = await post(app, '/auth/verify', { email: LENA.email, code: lenas });
    const unknown = await post(app, '/auth/verify', { email: NEW, code: news });
    expect([known.status, unknown.status]).toEqual([200, 200]);
    expect(unknown.type).toBe(known.type);
    expect(Object.keys(unknown.body)).toEqual(Object.keys(known.body));
    expect(unknown.body.expiresAt).toBe(known.body.expiresAt);
    expect(typeof unknown.body.token).toBe('string');
    expect(typeof known.body.token).toBe('string');
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

  it("accepts the file's access code in any case, for a client token of the file", async () => {
    const { app, practiceId, lenaId } = await authApp();
    for (const code of ['LENA2345', 'lena2345', 'Lena-2345']) {
      const res = await post(app, '/auth/verify', { email: LENA.email, code });
      expect(res.status).toBe(200);
      expect(verifyClientToken(secret, res.body.token, practiceId, NOW)?.clientId).toBe(lenaId);
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
    const wrong = otherThan(code);
    for (let i = 1; i <= 5; i++) {
      expect((await post(app, '/auth/verify', { email: LENA.email, code: wrong })).status).toBe(401);
      expect(await row(store, 'SELECT attempts FROM email_codes')).toEqual({ attempts: i });
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
    for (let i = 0; i < 4; i++) await post(app, '/auth/verify', { email: LENA.email, code: otherThan(code) });
    expect((await post(app, '/auth/verify', { email: LENA.email, code })).status).toBe(200);
  });

  it("does not take one address's code for another address, known or not", async () => {
    const { app, store } = await authApp();
    const lenas = await requestCode(app, store);
    const tom = (await row(store, "SELECT email FROM clients WHERE access_code = 'TOMB2345'"))!.email;
    expect((await post(app, '/auth/verify', { email: tom, code: lenas })).status).toBe(401);
    expect((await post(app, '/auth/verify', { email: NEW, code: lenas })).status).toBe(401);
    const news = await requestCode(app, store, NEW);
    expect((await post(app, '/auth/verify', { email: LENA.email, code: news })).status).toBe(401);
    expect((await post(app, '/auth/verify', { email: 'other@example.org', code: news })).status).toBe(401);
  });

  it("does not take a file's access code for an address no file has", async () => {
    const { app } = await authApp();
    const res = await post(app, '/auth/verify', { email: NEW, code: LENA.accessCode });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_code');
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
    expect(res.body).toEqual({
      token: expect.any(String),
      expiresAt: new Date(NOW + CLIENT_TOKEN_TTL_MS).toISOString(),
    });
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
    const emailToken = signEmailToken(secret, { practiceId, email: LENA.email }, NOW).token;
    expect((await post(app, '/auth/link', { token: emailToken })).body.code).toBe('invalid_link');
    const token = (await directLinkForClient(store, secret, practiceId, lenaId))!;
    await exec(store, 'DELETE FROM clients WHERE id = ?', [lenaId]);
    expect((await post(app, '/auth/link', { token })).body.code).toBe('invalid_link');
  });
});

describe('GET /me', () => {
  it('names the client file of a client token: the address, the names and the birth date', async () => {
    const { app } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    const res = await me(app, token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      email: LENA.email,
      client: { firstName: 'Lena', lastName: 'Vogel', birthDate: '1988-04-12' },
    });
  });

  it('answers the e-mail token of an unknown address with the address and no client', async () => {
    const { app, store } = await authApp();
    const code = await requestCode(app, store, 'New.Person@Example.org');
    const { token } = (await post(app, '/auth/verify', { email: 'New.Person@Example.org', code })).body;
    const res = await me(app, token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email: NEW, client: null });
  });

  it('names the file once one has the e-mail token’s address', async () => {
    const { app, store, practiceId } = await authApp();
    const token = signEmailToken(secret, { practiceId, email: NEW }, NOW).token;
    await exec(
      store,
      `INSERT INTO clients (practice_id, first_name, last_name, email, birth_date, access_code, created_at)
       VALUES (?, 'Nora', 'Neu', ?, '2001-02-03', 'NORA2345', ?)`,
      [practiceId, NEW, NOW],
    );
    expect((await me(app, token)).body).toEqual({
      email: NEW,
      client: { firstName: 'Nora', lastName: 'Neu', birthDate: '2001-02-03' },
    });
  });

  it("refuses a client token once the file's e-mail changed", async () => {
    const { app, store, lenaId } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    await exec(store, 'UPDATE clients SET email = ? WHERE id = ?', ['lena@example.net', lenaId]);
    const res = await me(app, token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('refuses a request without a token, with garbage, and after two hours', async () => {
    const { app, clock } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    for (const res of [await me(app), await me(app, 'abc.def')]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.code).toBe('invalid_token');
    }
    clock.now = NOW + CLIENT_TOKEN_TTL_MS;
    expect((await me(app, token)).body.code).toBe('invalid_token');
  });
});

describe('the OpenAPI document', () => {
  it('describes the auth endpoints and /me with their answers', async () => {
    const { app } = await authApp();
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as any;
    const code = doc.paths['/api/v1/p/{practice}/auth/code'].post;
    expect(Object.keys(code.responses)).toEqual(expect.arrayContaining(['202', '400', '429']));
    expect(code.responses['429'].headers['Retry-After']).toBeDefined();
    const verify = doc.paths['/api/v1/p/{practice}/auth/verify'].post;
    expect(Object.keys(verify.responses)).toEqual(expect.arrayContaining(['200', '401', '429']));
    expect(doc.paths['/api/v1/p/{practice}/auth/link'].post.responses['200']).toBeDefined();
    const meGet = doc.paths['/api/v1/p/{practice}/me'].get;
    expect(Object.keys(meGet.responses)).toEqual(expect.arrayContaining(['200', '401']));
    expect(Object.keys(doc.components.schemas.ClientSession.properties).sort()).toEqual([
      'expiresAt',
      'token',
    ]);
    expect(Object.keys(doc.components.schemas.Me.properties).sort()).toEqual(['client', 'email']);
    expect(doc.components.schemas.AuthVerifyRequest.additionalProperties).toBe(false);
  });
});
