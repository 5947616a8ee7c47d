/**
 * Returning clients identify themselves (they have no passwords): by a one-time code e-mailed to
 * the file's address, by the file's access code, or by their personal direct link. Each way ends in
 * the same answer: a client token for `Authorization: Bearer`, scoped to the practice and the file.
 *
 * Nothing here tells whether an e-mail belongs to a file: `/auth/code` answers 202 either way and
 * `/auth/verify` answers the same 401 for an unknown e-mail as for a wrong code. Attempts are
 * limited per e-mail and per IP in the database, so the limits hold across server processes.
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { checkCode, issueLoginCode } from '../auth/codes.ts';
import { type AuthLimits, DEFAULT_AUTH_LIMITS, limiterRegistry } from '../auth/rateLimit.ts';
import { clientFromDirectLink, emailHash, signClientToken } from '../auth/tokens.ts';
import { bookablePractice } from '../booking/availability.ts';
import { fileByEmail } from '../db/queries/auth.ts';
import { logError } from '../log.ts';
import { ApiError } from '../problem.ts';
import {
  AuthCodeBody,
  AuthCodeSent,
  AuthLinkBody,
  AuthVerifyBody,
  authProblemResponses,
  ClientSession,
  PracticeParam,
  problemResponses,
} from './contract.ts';
import type { AppEnv } from './env.ts';
import { clientIp, enforceLimits } from './limits.ts';
import { validationHook } from './validation.ts';

export interface AuthRouteOptions {
  /** Overrides of {@link DEFAULT_AUTH_LIMITS}. */
  limits?: Partial<AuthLimits>;
  /**
   * How many proxies in front of the server to trust for `X-Forwarded-For` (true = 1). Default:
   * `config.trustProxy` of the app, else none (the socket's address counts).
   */
  trustProxy?: boolean | number;
}

const codeRoute = createRoute({
  method: 'post',
  path: '/auth/code',
  summary: 'E-mail a one-time code',
  description:
    'Sends a 6-digit one-time code (valid 15 minutes, once, at most 5 wrong tries) to the e-mail if it belongs to a client file of the practice. Answers 202 whether or not it does.',
  request: {
    params: PracticeParam,
    body: { required: true, content: { 'application/json': { schema: AuthCodeBody } } },
  },
  responses: {
    202: {
      description: 'Accepted; a code is on its way if the e-mail is known',
      content: { 'application/json': { schema: AuthCodeSent } },
    },
    ...problemResponses,
    429: authProblemResponses[429],
  },
});

const verifyRoute = createRoute({
  method: 'post',
  path: '/auth/verify',
  summary: 'Exchange a code for a client token',
  description:
    'Accepts the one-time code from the e-mail or the client file’s own access code (case-insensitive) and returns a client token valid for 2 hours. Unknown e-mail and wrong code get the same 401 `invalid_code`.',
  request: {
    params: PracticeParam,
    body: { required: true, content: { 'application/json': { schema: AuthVerifyBody } } },
  },
  responses: {
    200: { description: 'Identified', content: { 'application/json': { schema: ClientSession } } },
    ...problemResponses,
    ...authProblemResponses,
  },
});

const linkRoute = createRoute({
  method: 'post',
  path: '/auth/link',
  summary: 'Exchange a personal direct link for a client token',
  description:
    'Accepts the token of a personal direct link. A link stops working (401 `invalid_link`) once the file’s e-mail changes or its access code is regenerated.',
  request: {
    params: PracticeParam,
    body: { required: true, content: { 'application/json': { schema: AuthLinkBody } } },
  },
  responses: {
    200: { description: 'Identified', content: { 'application/json': { schema: ClientSession } } },
    ...problemResponses,
    ...authProblemResponses,
  },
});

export function authRoutes(options: AuthRouteOptions = {}) {
  const limitersFor = limiterRegistry({ ...DEFAULT_AUTH_LIMITS, ...options.limits });

  const ipOf = (c: Context<AppEnv>) => {
    const fromConfig = c.get('deps').config.trustProxy;
    return clientIp(c, options.trustProxy ?? fromConfig ?? false);
  };

  /** The token answer, for a file that has just proven itself. */
  const session = (
    c: Context<AppEnv>,
    practiceId: number,
    file: { id: number; firstName: string; accessCodeVersion: number },
  ) => {
    const { config, clock } = c.get('deps');
    const { token, expiresAt } = signClientToken(
      config.secret,
      { practiceId, clientId: file.id, codeVersion: file.accessCodeVersion },
      clock(),
    );
    return { token, expiresAt: new Date(expiresAt).toISOString(), client: { firstName: file.firstName } };
  };

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(codeRoute, async (c) => {
      const { store, clock, config } = c.get('deps');
      const { practice } = await bookablePractice(store, c.req.valid('param').practice);
      const { email } = c.req.valid('json');
      const limits = await limitersFor(store, clock);
      await enforceLimits(c, [
        [limits.perIp, ipOf(c)],
        [limits.codePerEmail, `${practice.id}:${emailHash(email)}`],
      ]);
      // The file lookup and the code are made after the answer has gone out, so the answer takes
      // the same time for a known and an unknown e-mail (issuing writes a code and a mail; the
      // other not).
      const now = clock();
      setImmediate(async () => {
        try {
          const file = await store.read((tx) => fileByEmail(tx, practice.id, email));
          if (file?.email)
            await issueLoginCode(store, config.secret, practice, { ...file, email: file.email }, now);
        } catch (err) {
          logError(`auth/code: no login code issued for practice ${practice.id}`, err);
        }
      });
      return c.json({ status: 'sent' as const }, 202);
    })
    .openapi(verifyRoute, async (c) => {
      const { store, clock, config } = c.get('deps');
      const { practice } = await bookablePractice(store, c.req.valid('param').practice);
      const { email, code } = c.req.valid('json');
      const limits = await limitersFor(store, clock);
      await enforceLimits(c, [
        [limits.perIp, ipOf(c)],
        [limits.verifyPerEmail, `${practice.id}:${emailHash(email)}`],
      ]);
      const file = (await store.read((tx) => fileByEmail(tx, practice.id, email))) ?? null;
      const how = await checkCode(store, config.secret, practice.id, file, code, clock());
      if (!file || !how) {
        throw new ApiError(401, 'invalid_code', 'This code is not valid for this e-mail address.');
      }
      return c.json(session(c, practice.id, file), 200);
    })
    .openapi(linkRoute, async (c) => {
      const { store, config, clock } = c.get('deps');
      const { practice } = await bookablePractice(store, c.req.valid('param').practice);
      const { token } = c.req.valid('json');
      const limits = await limitersFor(store, clock);
      await enforceLimits(c, [[limits.perIp, ipOf(c)]]);
      const file = await clientFromDirectLink(store, config.secret, practice.id, token);
      if (!file) {
        throw new ApiError(
          401,
          'invalid_link',
          'This personal link is no longer valid. Please identify with your e-mail address.',
        );
      }
      return c.json(session(c, practice.id, file), 200);
    });
}
