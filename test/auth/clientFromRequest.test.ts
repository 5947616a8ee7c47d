import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../server/app.ts';
import {
  directLinkForClient,
  regenerateAccessCode,
  signCancelToken,
  signClientToken,
  signEmailToken,
} from '../../server/auth/tokens.ts';
import type { Store } from '../../server/db/store.ts';
import { handleError } from '../../server/problem.ts';
import { clientFromRequest, fileOfRequest, identityOfRequest } from '../../server/routes/clientToken.ts';
import { exec, NOW, row } from '../helpers.ts';
import { authApp, config, LENA, post, requestCode, secret } from './support.ts';

/**
 * A typed route as another sub-app would write it, reporting whom the request speaks for: the
 * client (clientFromRequest), the file (fileOfRequest) and the token's kind (identityOfRequest).
 */
function probeApp(store: Store, clock: { now: number }) {
  const route = createRoute({
    method: 'get',
    path: '/p/{practiceId}/whoami',
    request: { params: z.object({ practiceId: z.coerce.number().int() }) },
    responses: {
      200: {
        description: 'who',
        content: {
          'application/json': {
            schema: z.object({
              who: z.object({
                kind: z.enum(['file', 'new', 'anonymous']),
                clientId: z.number().optional(),
                email: z.string().optional(),
              }),
              file: z.number().nullable(),
              identity: z.enum(['client', 'email']).nullable(),
            }),
          },
        },
      },
    },
  });
  const app = new OpenAPIHono<AppEnv>();
  app.onError(handleError);
  app.use('*', async (c, next) => {
    c.set('deps', { store, clock: () => clock.now, config });
    await next();
  });
  app.openapi(route, async (c) => {
    const { practiceId } = c.req.valid('param');
    const who = await clientFromRequest(c, practiceId);
    const file = await fileOfRequest(c, practiceId);
    const identity = identityOfRequest(c, practiceId)?.typ ?? null;
    return c.json({ who, file, identity }, 200);
  });
  return app;
}

async function whoami(app: ReturnType<typeof probeApp>, practiceId: number, authorization?: string) {
  const res = await app.request(`/p/${practiceId}/whoami`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return { status: res.status, body: (await res.json()) as any };
}

function expectInvalidToken(res: Awaited<ReturnType<typeof whoami>>) {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('invalid_token');
}

describe('clientFromRequest', () => {
  it('accepts the client token from /auth/verify and names its file', async () => {
    const { app, store, clock, practiceId, lenaId } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    const probe = probeApp(store, clock);
    expect(await whoami(probe, practiceId, `Bearer ${token}`)).toEqual({
      status: 200,
      body: { who: { kind: 'file', clientId: lenaId }, file: lenaId, identity: 'client' },
    });
    expect((await whoami(probe, practiceId, `bearer  ${token}`)).body.file).toBe(lenaId);
  });

  it('is anonymous without an Authorization header', async () => {
    const { store, clock, practiceId } = await authApp();
    expect(await whoami(probeApp(store, clock), practiceId)).toEqual({
      status: 200,
      body: { who: { kind: 'anonymous' }, file: null, identity: null },
    });
  });

  it('takes the e-mail token from /auth/verify for an unknown address as a new client with that address', async () => {
    const { app, store, clock, practiceId } = await authApp();
    const code = await requestCode(app, store, 'New.Person@Example.org');
    const { token } = (await post(app, '/auth/verify', { email: 'New.Person@Example.org', code })).body;
    expect(await whoami(probeApp(store, clock), practiceId, `Bearer ${token}`)).toEqual({
      status: 200,
      body: { who: { kind: 'new', email: 'new.person@example.org' }, file: null, identity: 'email' },
    });
  });

  it('names the file that has the e-mail token’s address by now', async () => {
    const { store, clock, practiceId } = await authApp();
    const token = signEmailToken(secret, { practiceId, email: 'new.person@example.org' }, NOW).token;
    // Meanwhile a file with the address was made (as the first booking with the token makes it).
    await exec(
      store,
      `INSERT INTO clients (practice_id, first_name, last_name, email, access_code, created_at)
       VALUES (?, 'Nora', 'Neu', 'New.Person@example.org', 'NORA2345', ?)`,
      [practiceId, NOW],
    );
    const nora = (await row<{ id: number }>(store, "SELECT id FROM clients WHERE first_name = 'Nora'"))!.id;
    expect((await whoami(probeApp(store, clock), practiceId, `Bearer ${token}`)).body).toEqual({
      who: { kind: 'file', clientId: nora },
      file: nora,
      identity: 'email',
    });
  });

  it('refuses the client token once the access code was regenerated', async () => {
    const { app, store, clock, practiceId, lenaId } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    await regenerateAccessCode(store, practiceId, lenaId);
    expectInvalidToken(await whoami(probeApp(store, clock), practiceId, `Bearer ${token}`));
  });

  it("refuses the client token once the file's e-mail changed, but not for a change of case", async () => {
    const { app, store, clock, practiceId, lenaId } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    const probe = probeApp(store, clock);
    await exec(store, 'UPDATE clients SET email = ? WHERE id = ?', ['Lena.Vogel@EXAMPLE.org', lenaId]);
    expect((await whoami(probe, practiceId, `Bearer ${token}`)).body.file).toBe(lenaId);
    await exec(store, 'UPDATE clients SET email = ? WHERE id = ?', ['lena@example.net', lenaId]);
    expectInvalidToken(await whoami(probe, practiceId, `Bearer ${token}`));
    await exec(store, 'UPDATE clients SET email = NULL WHERE id = ?', [lenaId]);
    expectInvalidToken(await whoami(probe, practiceId, `Bearer ${token}`));
  });

  it('refuses expired tokens of both kinds', async () => {
    const { app, store, clock, practiceId } = await authApp();
    const client = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body.token;
    const email = signEmailToken(secret, { practiceId, email: 'new.person@example.org' }, NOW).token;
    clock.now = NOW + 2 * 3600_000;
    const probe = probeApp(store, clock);
    expectInvalidToken(await whoami(probe, practiceId, `Bearer ${client}`));
    expectInvalidToken(await whoami(probe, practiceId, `Bearer ${email}`));
  });

  it("refuses another practice's tokens, a deleted file, other kinds of token, a bad scheme and garbage", async () => {
    const { store, clock, practiceId, lenaId } = await authApp();
    const probe = probeApp(store, clock);
    const good = signClientToken(
      secret,
      { practiceId, clientId: lenaId, codeVersion: 1, email: LENA.email },
      NOW,
    ).token;
    const email = signEmailToken(secret, { practiceId, email: 'new.person@example.org' }, NOW).token;
    expectInvalidToken(await whoami(probe, practiceId + 1, `Bearer ${good}`));
    expectInvalidToken(await whoami(probe, practiceId + 1, `Bearer ${email}`));
    // A file id no file has (ids are never reused).
    const none = (await row<{ id: number }>(store, 'SELECT max(id) + 1 AS id FROM clients'))!.id;
    const ghost = signClientToken(
      secret,
      { practiceId, clientId: none, codeVersion: 1, email: LENA.email },
      NOW,
    ).token;
    expectInvalidToken(await whoami(probe, practiceId, `Bearer ${ghost}`));
    const link = (await directLinkForClient(store, secret, practiceId, lenaId))!;
    const cancel = signCancelToken(secret, { practiceId, appointmentId: 1 });
    for (const header of [
      `Bearer ${link}`,
      `Bearer ${cancel}`,
      `Basic ${good}`,
      'Bearer',
      'Bearer abc.def',
      '',
    ]) {
      expectInvalidToken(await whoami(probe, practiceId, header));
    }
  });
});
