import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../server/app.ts';
import { clientFromRequest, regenerateAccessCode, signClientToken } from '../../server/auth/tokens.ts';
import type { Db } from '../../server/db/index.ts';
import { handleError } from '../../server/problem.ts';
import { NOW } from '../helpers.ts';
import { authApp, config, LENA, post, secret } from './support.ts';

/** A typed route as another sub-app would write it, reporting the file the request speaks for. */
function probeApp(db: Db, clock: { now: number }) {
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
    c.set('deps', { db, clock: () => clock.now, config });
    await next();
  });
  app.openapi(route, (c) => c.json({ clientId: clientFromRequest(c, c.req.valid('param').practiceId) }, 200));
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
    const { app, db, clock, practiceId, lenaId } = authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    const probe = probeApp(db, clock);
    expect(await whoami(probe, practiceId, `Bearer ${token}`)).toEqual({
      status: 200,
      body: { clientId: lenaId },
    });
    expect((await whoami(probe, practiceId, `bearer  ${token}`)).body.clientId).toBe(lenaId);
  });

  it('is null without an Authorization header: an anonymous visitor', async () => {
    const { db, clock, practiceId } = authApp();
    expect(await whoami(probeApp(db, clock), practiceId)).toEqual({ status: 200, body: { clientId: null } });
  });

  it('refuses the token once the access code was regenerated', async () => {
    const { app, db, clock, practiceId, lenaId } = authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    regenerateAccessCode(db, practiceId, lenaId);
    const res = await whoami(probeApp(db, clock), practiceId, `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('refuses an expired token', async () => {
    const { app, db, clock, practiceId } = authApp();
    const { token } = (await post(app, '/auth/verify', { email: LENA.email, code: LENA.accessCode })).body;
    clock.now = NOW + 2 * 3600_000;
    expect((await whoami(probeApp(db, clock), practiceId, `Bearer ${token}`)).body.code).toBe(
      'invalid_token',
    );
  });

  it("refuses another practice's token, a deleted file, a bad scheme and garbage", async () => {
    const { db, clock, practiceId, lenaId } = authApp();
    const probe = probeApp(db, clock);
    const good = signClientToken(secret, { practiceId, clientId: lenaId, codeVersion: 1 }, NOW).token;
    expect((await whoami(probe, practiceId + 1, `Bearer ${good}`)).status).toBe(401);
    const ghost = signClientToken(secret, { practiceId, clientId: 99_999, codeVersion: 1 }, NOW).token;
    expect((await whoami(probe, practiceId, `Bearer ${ghost}`)).status).toBe(401);
    for (const header of [`Basic ${good}`, 'Bearer', 'Bearer abc.def', '']) {
      const res = await whoami(probe, practiceId, header);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    }
  });
});
