/**
 * Clients prove who they are (they have no passwords) before a booking counts: by a one-time code
 * e-mailed to the address they give, by their file's access code, or by their personal direct
 * link. Each way ends in a token for `Authorization: Bearer`, scoped to the practice: for a client
 * file, or — for an address no file has yet — for the verified address, with which the first
 * booking creates the file.
 *
 * Nothing here tells whether an e-mail belongs to a file: `/auth/code` sends a code and answers
 * 202 either way, `/auth/verify` answers a right code with a token of the same shape and a wrong
 * one with the same 401, and only `/me` — with the token, so only the address's owner — says
 * whether a file exists. Attempts are limited per practice and per client address and e-mail
 * address, in the database, so the limits hold across processes and instances.
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { checkCode, issueLoginCode } from '../auth/codes.ts';
import { type LimitKind, limiterRegistry } from '../auth/rateLimit.ts';
import { clientFromDirectLink, emailHash, signClientToken, signEmailToken } from '../auth/tokens.ts';
import { bookablePractice } from '../booking/availability.ts';
import { fileByEmail } from '../db/queries/auth.ts';
import { clientContact } from '../db/queries/calendar.ts';
import type { Practice } from '../engine/config.ts';
import { logError } from '../log.ts';
import { ApiError } from '../problem.ts';
import { clientFromRequest, identityOfRequest, invalidToken } from './clientToken.ts';
import {
  AuthCodeBody,
  AuthCodeSent,
  AuthLinkBody,
  AuthVerifyBody,
  authProblemResponses,
  ClientSession,
  Me,
  PracticeParam,
  problemResponses,
} from './contract.ts';
import type { AppEnv } from './env.ts';
import { clientIp, enforceLimits, tooMany } from './limits.ts';
import { validationHook } from './validation.ts';

const codeRoute = createRoute({
  method: 'post',
  path: '/auth/code',
  summary: 'E-mail a one-time code',
  description:
    'Sends a 6-digit one-time code (valid 15 minutes, once, at most 5 wrong tries; a newer code ends it) to the e-mail: a sign-in code for a client file’s address, a confirmation code for any other. Answers 202 either way.',
  request: {
    params: PracticeParam,
    body: { required: true, content: { 'application/json': { schema: AuthCodeBody } } },
  },
  responses: {
    202: {
      description: 'Accepted; a code is on its way',
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
    'Accepts the one-time code from the e-mail or the client file’s own access code (case-insensitive) and returns a token valid for 2 hours: for the client file with that address, or for the verified address (the first booking with it creates the file). The answer has the same shape either way; a wrong code gets 401 `invalid_code`, and after too many wrong codes for an address in a day, 429.',
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

const meRoute = createRoute({
  method: 'get',
  path: '/me',
  summary: 'Who the token speaks for',
  description:
    'With a token from `/auth/verify` or `/auth/link`: the verified e-mail address and, if the practice has a client file for it, the file’s names and birth date (null when the first booking is still to create it).',
  request: { params: PracticeParam },
  responses: {
    200: { description: 'The token’s client', content: { 'application/json': { schema: Me } } },
    ...problemResponses,
    ...authProblemResponses,
  },
});

/** 429 after too many wrong codes for an address: with the wait, in the header and in words. */
function tooManyWrongCodes(c: Context<AppEnv>, waitMs: number): ApiError {
  const err = tooMany(c, waitMs);
  const hours = Math.max(1, Math.ceil(waitMs / 3_600_000));
  return new ApiError(
    429,
    'too_many_requests',
    `Too many wrong codes for this e-mail address. Please try again in ${hours} hour${hours === 1 ? '' : 's'}, or call the practice.`,
    err.extra,
  );
}

export function authRoutes() {
  const limiterFor = limiterRegistry();

  /** Counts a request against the practice's limits of these kinds; 429 over any. */
  const enforce = async (
    c: Context<AppEnv>,
    practice: Practice,
    checks: [LimitKind, string][],
  ): Promise<void> => {
    const { store, clock } = c.get('deps');
    const limiters = await Promise.all(checks.map(([kind]) => limiterFor(store, clock, practice, kind)));
    await enforceLimits(
      c,
      checks.map(([, subject], i) => [limiters[i]!, subject]),
    );
  };

  /** The token answer: for the file that has proven itself, or for a verified address without one. */
  const session = (
    c: Context<AppEnv>,
    practiceId: number,
    email: string,
    file: { id: number; email: string | null; accessCodeVersion: number } | null,
  ) => {
    const { config, clock } = c.get('deps');
    const { token, expiresAt } = file
      ? signClientToken(
          config.secret,
          { practiceId, clientId: file.id, codeVersion: file.accessCodeVersion, email: file.email },
          clock(),
        )
      : signEmailToken(config.secret, { practiceId, email }, clock());
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  };

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(codeRoute, async (c) => {
      const { store, clock, config } = c.get('deps');
      const { practice } = await bookablePractice(store, c.req.valid('param').practice);
      const { email } = c.req.valid('json');
      const ip = clientIp(c, config.trustProxy ?? 0);
      await enforce(c, practice, [
        ['code-address', ip],
        ['code-email', emailHash(email)],
      ]);
      // The file lookup and the code are made after the answer has gone out, so the answer takes
      // the same time for a known and an unknown e-mail.
      const now = clock();
      setImmediate(async () => {
        try {
          const file = (await store.read((tx) => fileByEmail(tx, practice.id, email))) ?? null;
          await issueLoginCode(store, config.secret, practice, email, file, now);
        } catch (err) {
          logError(`auth/code: no code issued for practice ${practice.id}`, err);
        }
      });
      return c.json({ status: 'sent' as const }, 202);
    })
    .openapi(verifyRoute, async (c) => {
      const { store, clock, config } = c.get('deps');
      const { practice } = await bookablePractice(store, c.req.valid('param').practice);
      const { email, code } = c.req.valid('json');
      const ip = clientIp(c, config.trustProxy ?? 0);
      await enforce(c, practice, [['verify-address', ip]]);
      // Wrong codes for an address are capped per day (a rolling 24 hours), right ones included
      // once the cap is reached. Each try takes a point first, in one statement, and a right code
      // gives it back: so many tries at once cannot slip past the cap either.
      const failures = await limiterFor(store, clock, practice, 'verify-failures');
      const address = emailHash(email);
      try {
        await failures.consume(address);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        throw tooManyWrongCodes(c, err.msBeforeNext);
      }
      const file = (await store.read((tx) => fileByEmail(tx, practice.id, email))) ?? null;
      const how = await checkCode(store, config.secret, practice.id, email, file, code, clock());
      if (!how) throw new ApiError(401, 'invalid_code', 'This code is not valid for this e-mail address.');
      await failures.reward(address, 1).catch(() => {});
      return c.json(session(c, practice.id, email, file), 200);
    })
    .openapi(linkRoute, async (c) => {
      const { store, config } = c.get('deps');
      const { practice } = await bookablePractice(store, c.req.valid('param').practice);
      const { token } = c.req.valid('json');
      await enforce(c, practice, [['verify-address', clientIp(c, config.trustProxy ?? 0)]]);
      const file = await clientFromDirectLink(store, config.secret, practice.id, token);
      if (!file) {
        throw new ApiError(
          401,
          'invalid_link',
          'This personal link is no longer valid. Please identify with your e-mail address.',
        );
      }
      return c.json(session(c, practice.id, file.email ?? '', file), 200);
    })
    .openapi(meRoute, async (c) => {
      const { store } = c.get('deps');
      const { practice } = await bookablePractice(store, c.req.valid('param').practice);
      const identity = identityOfRequest(c, practice.id);
      if (!identity) throw invalidToken();
      const who = await clientFromRequest(c, practice.id);
      if (who.kind === 'file') {
        const file = (await store.read((tx) => clientContact(tx, practice.id, who.clientId)))!;
        return c.json(
          {
            email: file.email,
            client: { firstName: file.firstName, lastName: file.lastName, birthDate: file.birthDate },
          },
          200,
        );
      }
      return c.json({ email: who.kind === 'new' ? who.email : null, client: null }, 200);
    });
}
