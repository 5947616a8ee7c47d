/**
 * Booking, cancelling and the calendar file: the write side of the public API.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isDate } from '../../shared/time.ts';
import { DEFAULT_AUTH_LIMITS, ipCounterKey, limiterRegistry } from '../auth/rateLimit.ts';
import { signCancelToken, verifyCancelToken } from '../auth/tokens.ts';
import { bookablePractice } from '../booking/availability.ts';
import { createBooking, requestHash } from '../booking/book.ts';
import { bookingViewOf, cancelBooking, loadBooking } from '../booking/cancel.ts';
import { keptPracticeConfig } from '../booking/config.ts';
import { bookingIcs } from '../booking/messages.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { ApiError } from '../problem.ts';
import { clientTokenOfRequest } from './clientToken.ts';
import { PracticeParam, Problem } from './contract.ts';
import type { AppEnv } from './env.ts';
import { clientIp, enforceLimits, tooMany } from './limits.ts';
import { refusalError } from './refusals.ts';
import { validationHook } from './validation.ts';

/** A person's name: letters, spaces, apostrophes, hyphens and dots; no markup, no SQL punctuation. */
const personName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\p{L}\p{M}][\p{L}\p{M} .'’-]*$/u, 'only letters, spaces, apostrophes, hyphens and dots');
const birthDate = z
  .string()
  .refine(isDate, { message: 'must be a date YYYY-MM-DD' })
  .refine((d) => d >= '1900-01-01', { message: 'must be after 1900' });

export const NewClient = z
  .strictObject({
    firstName: personName,
    lastName: personName,
    email: z.email().max(254),
    phone: z
      .string()
      .regex(/^\+?[0-9 ()/-]{3,30}$/, 'digits, spaces, + ( ) / - only')
      .optional(),
    birthDate: birthDate.optional(),
    consent: z.literal(true).openapi({ description: "Consent to the practice's privacy notice; required" }),
  })
  .openapi('NewClient');

export const BookingBody = z
  .strictObject({
    chain: z.number().int().positive(),
    start: z.iso
      .datetime({ offset: true })
      .refine((v) => Math.abs(Date.parse(v) - Date.UTC(2000, 0, 1)) < 900 * 365 * 86_400_000, {
        message: 'must be a date between 1900 and 2899',
      })
      .openapi({ example: '2026-12-01T09:00:00+01:00' }),
    therapist: z.number().int().positive().optional(),
    client: NewClient.optional().openapi({
      description: 'A new client; omit when booking with a client token',
    }),
    birthDate: birthDate
      .optional()
      .openapi({ description: 'For a returning client whose file has no birth date' }),
    lang: z.enum(['de', 'en']).optional(),
  })
  .openapi('BookingRequest');

const Remaining = z.object({
  criterion: z.enum(['appointments', 'amount', 'codeQuantity', 'codeAmount']),
  code: z.string().optional(),
  limit: z.number().int(),
  remaining: z.number().int(),
  text: z.string().openapi({ example: 'noch 2 von 6 Terminen' }),
});

export const Booking = z
  .object({
    id: z.number().int(),
    status: z.string(),
    start: z.string(),
    end: z.string(),
    timeZone: z.string(),
    chain: z.object({ id: z.number().int(), name: z.string() }),
    therapist: z.object({ id: z.number().int(), name: z.string() }),
    room: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    packages: z.array(
      z.object({
        id: z.number().int(),
        name: z.string(),
        created: z.boolean(),
        remaining: z.array(Remaining),
      }),
    ),
    packageCreated: z.boolean(),
    cancelUrl: z.string(),
    icsUrl: z.string(),
  })
  .openapi('Booking');

const BookingStatus = z
  .object({
    id: z.number().int(),
    status: z.string(),
    start: z.string(),
    end: z.string(),
    timeZone: z.string(),
    chain: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    therapist: z.object({ id: z.number().int(), name: z.string() }),
    cancellable: z.boolean(),
    cancelDeadline: z.string(),
  })
  .openapi('BookingStatus');

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

const createBookingRoute = createRoute({
  method: 'post',
  path: '/p/{practice}/bookings',
  summary: 'Book a chain',
  description:
    'Books a chain at a start. Requires an `Idempotency-Key` header: a retry with the same key and body returns the same booking. Either `client` (a new client) or `Authorization: Bearer <client token>` (a returning client).',
  request: {
    params: PracticeParam,
    headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
    body: { required: true, content: { 'application/json': { schema: BookingBody } } },
  },
  responses: {
    201: { description: 'Booked', content: { 'application/json': { schema: Booking } } },
    400: problem('Invalid request'),
    401: problem('Invalid client token'),
    404: problem('Unknown practice or chain'),
    409: problem(
      'slot_taken, budget_exhausted, client_exists, too_soon, slot_unavailable, chain_not_offered …',
    ),
    422: problem('idempotency_key_reused, age_not_allowed'),
  },
});

const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer' }),
});
const TokenQuery = z.strictObject({
  token: z.string().min(10).max(500),
  lang: z.enum(['de', 'en']).optional(),
});

const getBookingRoute = createRoute({
  method: 'get',
  path: '/bookings/{id}',
  summary: 'A booking, by its cancel token',
  request: { params: IdParam, query: TokenQuery },
  responses: {
    200: { description: 'The booking', content: { 'application/json': { schema: BookingStatus } } },
    400: problem('Invalid request'),
    403: problem('Invalid token'),
    404: problem('Unknown booking'),
  },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/bookings/{id}/cancel',
  summary: 'Cancel a booking',
  description: 'Until the practice deadline. Releases the package budget. Cancelling twice is not an error.',
  request: { params: IdParam, query: TokenQuery },
  responses: {
    200: { description: 'Cancelled', content: { 'application/json': { schema: BookingStatus } } },
    400: problem('Invalid request'),
    403: problem('Invalid token'),
    404: problem('Unknown booking'),
    409: problem('cancel_deadline_passed, not_cancellable'),
  },
});

export function cancelLinks(c: Context<AppEnv>, practiceId: number) {
  const { config } = c.get('deps');
  let last: [number, string] | undefined;
  const token = (appointmentId: number) => {
    if (last?.[0] !== appointmentId)
      last = [appointmentId, signCancelToken(config.secret, { practiceId, appointmentId })];
    return last[1];
  };
  return {
    cancelUrl: (id: number) => `${config.publicUrl}/cancel?booking=${id}&token=${token(id)}`,
    icsUrl: (id: number) => `${config.publicUrl}/api/v1/bookings/${id}.ics?token=${token(id)}`,
  };
}

/** The practice and appointment a cancel token speaks for, or 403. */
export function byCancelToken(c: Context<AppEnv>, appointmentId: number, token: string) {
  const payload = verifyCancelToken(c.get('deps').config.secret, token, { appointmentId });
  if (!payload) throw new ApiError(403, 'invalid_token', 'This link is not valid.');
  return payload;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export function bookingRoutes() {
  const limitersFor = limiterRegistry(DEFAULT_AUTH_LIMITS);

  /**
   * `client_exists` tells that an e-mail has a file. Each such answer counts against the same
   * per-IP budget as the login attempts, so nobody can run a list of e-mails through the booking
   * form; over it, 429.
   */
  const countExisting = async (c: Context<AppEnv>, err: unknown): Promise<never> => {
    if (err instanceof ApiError && err.code === 'client_exists') {
      const { store, config, clock } = c.get('deps');
      const limits = await limitersFor(store, clock);
      await enforceLimits(c, [[limits.perIp, clientIp(c, config.trustProxy ?? 0)]]);
    }
    throw err;
  };

  /** Books `body` for the practice at the path, with the configuration held for it. */
  const bookAt = async (
    c: Context<AppEnv>,
    config: PracticeConfig,
    key: string | undefined,
    body: z.infer<typeof BookingBody>,
  ) => {
    const { store, clock, config: settings } = c.get('deps');
    const { practice } = config;
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError(
        400,
        'idempotency_key_required',
        'An Idempotency-Key header (1–200 visible ASCII characters) is required.',
      );
    }
    // The token's file is checked inside the booking's transaction.
    const token = clientTokenOfRequest(c, practice.id);
    if (token === null && !body.client) {
      throw new ApiError(
        400,
        'client_required',
        "Give the new client's data, or identify with a client token.",
      );
    }
    if (token !== null && body.client) {
      throw new ApiError(400, 'ambiguous_client', 'Give either a client token or new client data, not both.');
    }
    const lang = body.lang ?? 'de';
    try {
      const done = await createBooking(
        store,
        {
          practiceId: practice.id,
          slug: practice.slug,
          config,
          // A new client from an address whose budget is spent gets 429 whatever the e-mail, so
          // the answer cannot tell a known e-mail (client_exists) from an unknown one.
          limit:
            token === null
              ? {
                  key: ipCounterKey(clientIp(c, settings.trustProxy ?? 0)),
                  points: DEFAULT_AUTH_LIMITS.perIp.points,
                }
              : undefined,
          chainId: body.chain,
          start: Date.parse(body.start),
          therapistId: body.therapist,
          client: token ? { id: token.clientId, codeVersion: token.codeVersion } : undefined,
          newClient: body.client,
          birthDate: body.birthDate,
          idempotency: { key, hash: requestHash({ body, clientId: token?.clientId ?? null }) },
          lang,
        },
        cancelLinks(c, practice.id),
        clock,
      );
      if ('refusal' in done) throw refusalError(done.refusal, lang);
      if ('limited' in done) throw tooMany(c, done.limited);
      if (done.replayed) c.header('Idempotent-Replayed', 'true');
      return done.body;
    } catch (err) {
      return countExisting(c, err);
    }
  };

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/bookings/{id}.ics',
    summary: 'The calendar file of a booking',
    description:
      'RFC 5545, METHOD:REQUEST while booked and METHOD:CANCEL with a higher SEQUENCE once cancelled; the same UID throughout.',
    request: { params: IdParam, query: TokenQuery },
    responses: {
      200: { description: 'text/calendar', content: { 'text/calendar': { schema: z.string() } } },
      403: problem('Invalid token'),
      404: problem('Unknown booking'),
    },
  });

  // The calendar file of a booking: /api/v1/bookings/42.ics?token=…
  app.get('/bookings/:file{[0-9]+\\.ics}', async (c) => {
    const id = Number.parseInt(c.req.param('file'), 10);
    const token = c.req.query('token');
    if (!token) throw new ApiError(403, 'invalid_token', 'This link is not valid.');
    const { practiceId } = byCancelToken(c, id, token);
    const { store, clock } = c.get('deps');
    const { booking: a, practice } = await loadBooking(store, practiceId, id);
    const ics = bookingIcs({
      practice,
      appointmentId: a.id,
      sequence: a.sequence,
      method: a.status === 'cancelled' ? 'CANCEL' : 'REQUEST',
      start: a.start,
      end: a.end,
      chainName: a.chainName ?? 'Termin',
      therapistName: a.therapistName,
      roomName: a.roomName,
      cancelUrl: cancelLinks(c, practiceId).cancelUrl(a.id),
      now: clock(),
    });
    return c.body(ics, 200, {
      'content-type': 'text/calendar; charset=utf-8',
      'content-disposition': `attachment; filename="termin-${a.id}.ics"`,
    });
  });

  return app
    .openapi(createBookingRoute, async (c) => {
      const { store } = c.get('deps');
      const slug = c.req.valid('param').practice;
      const key = c.req.valid('header')['idempotency-key'];
      const body = c.req.valid('json');
      // The copy of the configuration in memory serves when there is one: the booking reads its
      // version again and decides on the configuration as it is then (refusing, say, when online
      // booking was switched off since).
      const kept = keptPracticeConfig(store, slug);
      let booked: Awaited<ReturnType<typeof bookAt>>;
      if (!kept) {
        booked = await bookAt(c, await bookablePractice(store, slug), key, body);
      } else {
        try {
          booked = await bookAt(c, kept, key, body);
        } catch (err) {
          // That copy was out of date (the address now another practice's, or none's: the
          // transaction finds another id; or the token names the practice that has it now): it
          // is read anew, and the request tried once more.
          if (
            !(err instanceof ApiError && (err.code === 'practice_not_found' || err.code === 'invalid_token'))
          )
            throw err;
          booked = await bookAt(c, await bookablePractice(store, slug), key, body);
        }
      }
      return c.json(booked, 201);
    })
    .openapi(getBookingRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { practiceId } = byCancelToken(c, id, c.req.valid('query').token);
      const { store, clock } = c.get('deps');
      return c.json(bookingViewOf(await loadBooking(store, practiceId, id), clock()), 200);
    })
    .openapi(cancelRoute, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const { practiceId } = byCancelToken(c, id, q.token);
      const { store, clock } = c.get('deps');
      const done = await cancelBooking(store, practiceId, id, {
        clock,
        lang: q.lang ?? 'de',
        cancelUrl: cancelLinks(c, practiceId).cancelUrl(id),
      });
      if ('refusal' in done) throw refusalError(done.refusal, q.lang ?? 'de');
      return c.json(done.booking, 200);
    });
}
