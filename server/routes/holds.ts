/**
 * Holds: `POST /p/{practice}/holds` keeps a start of a chain for a few minutes (the practice's
 * `holdMinutes`, default 10) while the visitor confirms their address; the slot search shows it as
 * taken to everyone else, and the booking that names the hold takes its place. Holds run out by
 * themselves, and both they and the addresses making them are limited per practice, so holds
 * cannot fill a calendar either. `DELETE /p/{practice}/holds/{hold}` lets one go early.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { counterKey, limitOf } from '../auth/rateLimit.ts';
import { signHoldToken, verifyHoldToken } from '../auth/tokens.ts';
import { bookablePractice } from '../booking/availability.ts';
import { keptPracticeConfig } from '../booking/config.ts';
import { createHold, type HoldOwner, type HoldRef, releaseHold } from '../booking/hold.ts';
import { fileByEmail, tokenFile } from '../db/queries/auth.ts';
import { spreadLimit } from '../db/queries/rateLimits.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { ApiError } from '../problem.ts';
import { clientFromRequest } from './clientToken.ts';
import { PracticeParam, Problem } from './contract.ts';
import type { AppEnv } from './env.ts';
import { clientIp, tooMany } from './limits.ts';
import { refusalError } from './refusals.ts';
import { validationHook } from './validation.ts';

export const HoldBody = z
  .strictObject({
    chain: z.number().int().positive(),
    start: z.iso
      .datetime({ offset: true })
      .refine((v) => Math.abs(Date.parse(v) - Date.UTC(2000, 0, 1)) < 900 * 365 * 86_400_000, {
        message: 'must be a date between 1900 and 2899',
      })
      .openapi({ example: '2026-12-01T09:00:00+01:00' }),
    therapist: z.number().int().positive().optional(),
    lang: z.enum(['de', 'en']).optional(),
  })
  .openapi('HoldRequest');

export const Hold = z
  .object({
    hold: z.string().openapi({ description: 'The hold: give it as `hold` with the booking' }),
    expiresAt: z.string().openapi({ description: 'When the hold runs out (UTC)' }),
    start: z.string(),
    end: z.string(),
    timeZone: z.string(),
    chain: z.object({ id: z.number().int(), name: z.string() }),
    therapist: z.object({ id: z.number().int(), name: z.string() }),
    room: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  })
  .openapi('Hold');

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

const holdRoute = createRoute({
  method: 'post',
  path: '/p/{practice}/holds',
  summary: 'Hold a start for a few minutes',
  description:
    'Keeps a free start of a chain (with a therapist, and a room where the chain needs one) for the practice’s hold time (default 10 minutes) while the visitor confirms their address: the slot search shows it as taken, and the booking that gives `hold` takes its place. With a token the hold is the token client’s alone. Limited per client address and per practice (429).',
  request: {
    params: PracticeParam,
    body: { required: true, content: { 'application/json': { schema: HoldBody } } },
  },
  responses: {
    201: { description: 'Held', content: { 'application/json': { schema: Hold } } },
    400: problem('Invalid request'),
    401: problem('invalid_token'),
    404: problem('Unknown practice or chain'),
    409: problem('slot_taken, slot_unavailable, too_soon …'),
    429: problem('too_many_requests: too many holds from this address or at this practice'),
  },
});

const HoldParam = PracticeParam.extend({
  hold: z
    .string()
    .min(10)
    .max(500)
    .openapi({ param: { name: 'hold', in: 'path' }, description: 'The hold, as POST …/holds gave it' }),
});

const releaseRoute = createRoute({
  method: 'delete',
  path: '/p/{practice}/holds/{hold}',
  summary: 'Let a hold go',
  description: 'Frees the held start at once. Letting go a hold that ran out or was booked changes nothing.',
  request: { params: HoldParam },
  responses: {
    204: { description: 'Let go' },
    404: problem('Not a hold of this practice'),
  },
});

/** The hold a booking names, as its id; undefined without one, 404 for one that is not a hold of this practice. */
export function holdIdOf(
  c: Context<AppEnv>,
  practiceId: number,
  hold: string | undefined,
): number | undefined {
  return holdOf(c, practiceId, hold)?.id;
}

/** The hold a token names: its id, and its therapist and room where the token carries them. */
export function holdOf(
  c: Context<AppEnv>,
  practiceId: number,
  hold: string | undefined,
): HoldRef | undefined {
  if (hold === undefined) return undefined;
  const payload = verifyHoldToken(c.get('deps').config.secret, hold, practiceId);
  if (!payload) throw new ApiError(404, 'hold_not_found', 'This hold is not known here.');
  return payload.therapistId === undefined || payload.roomId === undefined
    ? { id: payload.holdId }
    : { id: payload.holdId, at: { therapistId: payload.therapistId, roomId: payload.roomId } };
}

export function holdRoutes() {
  /** Whose the hold will be: the token's client, or nobody in particular (anonymous). */
  const ownerOf = async (c: Context<AppEnv>, practiceId: number): Promise<HoldOwner | null> => {
    const who = await clientFromRequest(c, practiceId);
    const { store } = c.get('deps');
    if (who.kind === 'file') {
      const file = await store.read((tx) => tokenFile(tx, practiceId, who.clientId));
      return { kind: 'file', clientId: who.clientId, email: file?.email ?? null };
    }
    if (who.kind === 'new') {
      // A file with that address may exist by now: then it is the file's.
      const file = await store.read((tx) => fileByEmail(tx, practiceId, who.email));
      return file
        ? { kind: 'file', clientId: file.id, email: file.email }
        : { kind: 'email', email: who.email };
    }
    return null;
  };

  const holdAt = async (c: Context<AppEnv>, config: PracticeConfig, body: z.infer<typeof HoldBody>) => {
    const { store, clock, config: settings } = c.get('deps');
    const { practice } = config;
    const owner = await ownerOf(c, practice.id);
    // A point per address and one for the practice, counted in the hold's own transaction once
    // the hold is decided (a refused hold counts nothing).
    const address = clientIp(c, settings.trustProxy ?? 0);
    const limit = (kind: 'hold-address' | 'hold-practice', subject: string) => {
      const l = limitOf(practice.onlineLimits, kind);
      return {
        key: counterKey(practice.id, kind, subject),
        points: l.points,
        durationMs: l.durationSeconds * 1000,
      };
    };
    const done = await createHold(
      store,
      {
        practiceId: practice.id,
        slug: practice.slug,
        config,
        chainId: body.chain,
        start: Date.parse(body.start),
        therapistId: body.therapist,
        owner,
        limits: [limit('hold-address', address)],
        shared: spreadLimit(limit('hold-practice', 'all')),
      },
      clock,
    );
    // The slot list's reasons, as for a booking: for a hold a busy start is "taken".
    if ('refusal' in done) throw refusalError(done.refusal, body.lang ?? 'de');
    if ('limited' in done) throw tooMany(c, done.limited);
    const h = done.hold;
    const chain = config.chainById.get(h.chainId!)!;
    const room = h.roomId === null ? null : config.rooms.find((r) => r.id === h.roomId)!;
    return {
      hold: signHoldToken(settings.secret, {
        practiceId: practice.id,
        holdId: h.id,
        therapistId: h.therapistId,
        roomId: h.roomId,
        expiresAt: h.expiresAt,
      }),
      expiresAt: new Date(h.expiresAt).toISOString(),
      start: new Date(h.start).toISOString(),
      end: new Date(h.end).toISOString(),
      timeZone: practice.timeZone,
      chain: { id: chain.id, name: chain.name },
      therapist: { id: h.therapistId, name: config.therapistById.get(h.therapistId)!.name },
      room: room && { id: room.id, name: room.name },
    };
  };

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(holdRoute, async (c) => {
      const { store } = c.get('deps');
      const slug = c.req.valid('param').practice;
      const body = c.req.valid('json');
      // The copy of the configuration in memory serves when there is one; the hold reads its
      // version again. A copy of a practice that no longer has the address is read anew.
      const kept = keptPracticeConfig(store, slug);
      if (!kept) return c.json(await holdAt(c, await bookablePractice(store, slug), body), 201);
      try {
        return c.json(await holdAt(c, kept, body), 201);
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 'practice_not_found' || err.code === 'invalid_token')))
          throw err;
        return c.json(await holdAt(c, await bookablePractice(store, slug), body), 201);
      }
    })
    .openapi(releaseRoute, async (c) => {
      const { store } = c.get('deps');
      const { practice: slug, hold } = c.req.valid('param');
      const { practice } = await bookablePractice(store, slug);
      const holdId = holdIdOf(c, practice.id, hold)!;
      await releaseHold(store, practice.id, holdId);
      return c.body(null, 204);
    });
}
