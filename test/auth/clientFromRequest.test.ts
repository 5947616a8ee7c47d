import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../server/app.ts';
import { regenerateAccessCode, signClientToken } from '../../server/auth/tokens.ts';
import type { Store } from '../../server/db/store.ts';
import { handleError } from '../../server/problem.ts';
import { clientFromRequest } from '../../server/routes/clientToken.ts';
import { NOW, row } from '../helpers.ts';
import { authApp, config, LENA, post, secret } from './support.ts';

/** A typed route as another sub-app would write it, reporting the file the request speaks for. */
function probeApp(store: Store, clock: { now: number }) {
  const route = createRoute({
    method: 'get',
    path: '/p/{practiceId}/whoami',
    request: { params: z.object({ practiceId: z.coerce.number().int() }) },
    responses: {
      200: {
        description: 'who',
        content: { 'application/json': { schema: z.object({ clientId: z.number().nullable() }) } },
      },
    },
  });
  const app = new OpenAPIHono<AppEnv>();
  app.onError(handleError);
  app.use('*', async (c, next) => {
    c.set('deps', { store, clock: () => clock.now, config });
    await next();
  });
  app.openapi(route, async (c) =>
    c.json({ clientId: await clientFromRequest(c, c.req.valid('param').practiceId) }, 200),
  );
  return app;
}

async function whoami(app: ReturnType<typeof probeApp>, practiceId: number, authorization?: string) {
  const res = await app.request(`/p/${practiceId}/whoami`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('clientFromRequest', () => {
  it('accepts the token from /auth/verify and names its file', async () => {
    const { app, store, clock, practiceId, lenaId } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    const probe = probeApp(store, clock);
    expect(await whoami(probe, practiceId, `Bearer ${token}`)).toEqual({
      status: 200,
      body: { clientId: lenaId },
    });
    expect((await whoami(probe, practiceId, `bearer  ${token}`)).body.clientId).toBe(lenaId);
  });

  it('is null without an Authorization header: an anonymous visitor', async () => {
    const { store, clock, practiceId } = await authApp();
    expect(await whoami(probeApp(store, clock), practiceId)).toEqual({
      status: 200,
      body: { clientId: null },
    });
  });

  it('refuses the token once the access code was regenerated', async () => {
    const { app, store, clock, practiceId, lenaId } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    await regenerateAccessCode(store, practiceId, lenaId);
    const res = await whoami(probeApp(store, clock), practiceId, `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('refuses an expired token', async () => {
    const { app, store, clock, practiceId } = await authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    clock.now = NOW + 2 * 3600_000;
    expect((await whoami(probeApp(store, clock), practiceId, `Bearer ${token}`)).body.code).toBe(
      'invalid_token',
    );
  });

  it("refuses another practice's token, a deleted file, a bad scheme and garbage", async () => {
    const { store, clock, practiceId, lenaId } = await authApp();
    const probe = probeApp(store, clock);
    const good = signClientToken(secret, { practiceId, clientId: lenaId, codeVersion: 1 }, NOW).token;
    expect((await whoami(probe, practiceId + 1, `Bearer ${good}`)).status).toBe(401);
    // A file id no file has (ids are never reused).
    const none = (await row<{ id: number }>(store, 'SELECT max(id) + 1 AS id FROM clients'))!.id;
    const ghost = signClientToken(secret, { practiceId, clientId: none, codeVersion: 1 }, NOW).token;
    expect((await whoami(probe, practiceId, `Bearer ${ghost}`)).status).toBe(401);
    for (const header of [`Basic ${good}`, 'Bearer', 'Bearer abc.def', '']) {
      const res = await whoami(probe, practiceId, header);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    }
  });
});
