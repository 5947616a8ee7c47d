/**
 * Booking, cancelling and the calendar file: the write side of the public API.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { refusedText } from '../../shared/i18n.ts';
import { isDate } from '../../shared/time.ts';
import { counterKey, limitOf } from '../auth/rateLimit.ts';
import { signCancelToken, verifyCancelToken } from '../auth/tokens.ts';
import { bookablePractice } from '../booking/availability.ts';
import { createBooking, requestHash } from '../booking/book.ts';
import { bookingViewOf, cancelBooking, loadBooking } from '../booking/cancel.ts';
import { keptPracticeConfig } from '../booking/config.ts';
import { bookingIcs } from '../booking/messages.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { ApiError } from '../problem.ts';
import { identityOfRequest } from './clientToken.ts';
import { PracticeParam, Problem } from './contract.ts';
import type { AppEnv } from './env.ts';
import { holdOf } from './holds.ts';
import { clientIp, tooMany } from './limits.ts';
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
    email: z.email().max(254).optional().openapi({
      description: 'Optional: the confirmed address (from the token) is used; if given, it must be that one',
    }),
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
    hold: z
      .string()
      .min(10)
      .max(500)
      .optional()
      .openapi({ description: 'The hold (POST …/holds) whose place the booking takes' }),
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
    cancelDeadline: z
      .string()
      .openapi({ description: 'Until when (UTC) the client may cancel online; later, only the practice' }),
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
    'Books a chain at a start, for a verified client: `Authorization: Bearer <token>` from `/auth/verify` (or `/auth/link`). With a token for an address that has no client file yet, give `client` (names; the address is the confirmed one) and the booking creates the file. Requires an `Idempotency-Key` header: a retry with the same key and body returns the same booking.',
  request: {
    params: PracticeParam,
    headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
    body: { required: true, content: { 'application/json': { schema: BookingBody } } },
  },
  responses: {
    201: { description: 'Booked', content: { 'application/json': { schema: Booking } } },
    400: problem('Invalid request'),
    401: problem('verification_required (no token), invalid_token'),
    404: problem('Unknown practice or chain'),
    429: problem('too_many_requests: too many bookings from this address'),
    409: problem(
      'slot_taken, budget_exhausted, too_many_open_bookings, too_soon, slot_unavailable, chain_not_offered …',
    ),
    422: problem('idempotency_key_reused, age_not_allowed, email_mismatch'),
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
    410: problem('link_expired: the appointment was cancelled or is over'),
  },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/bookings/{id}/cancel',
  summary: 'Cancel a booking',
  description:
    'Until the practice deadline. Releases the package budget. The link ends with it: afterwards 410 `link_expired`.',
  request: { params: IdParam, query: TokenQuery },
  responses: {
    200: { description: 'Cancelled', content: { 'application/json': { schema: BookingStatus } } },
    400: problem('Invalid request'),
    403: problem('Invalid token'),
    404: problem('Unknown booking'),
    409: problem('cancel_deadline_passed, not_cancellable'),
    410: problem('link_expired: the appointment was cancelled or is over'),
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

/**
 * The booking a cancel link (or its .ics link) opens. A link works while its appointment is booked
 * and still to come: once it is cancelled or over, the link has done its job, and what it showed
 * (the service, the therapist: health data) is shown no more — 410 `link_expired`.
 */
export async function bookingOfLink(c: Context<AppEnv>, appointmentId: number, token: string) {
  const { practiceId } = byCancelToken(c, appointmentId, token);
  const { store, clock } = c.get('deps');
  const loaded = await loadBooking(store, practiceId, appointmentId);
  if (loaded.booking.status !== 'booked' || loaded.booking.end <= clock()) {
    throw new ApiError(
      410,
      'link_expired',
      'This link has ended: the appointment was cancelled or has taken place.',
    );
  }
  return { practiceId, loaded };
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export function bookingRoutes() {
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
    const lang = body.lang ?? 'de';
    // Only a verified client books: a client token, or an e-mail token from /auth/verify.
    const token = identityOfRequest(c, practice.id);
    if (token === null) {
      throw new ApiError(401, 'verification_required', refusedText('verification_required', lang));
    }
    if (token.typ === 'client' && body.client) {
      throw new ApiError(
        400,
        'ambiguous_client',
        'This token belongs to a client file: book without new client data.',
      );
    }
    if (
      token.typ === 'email' &&
      body.client?.email !== undefined &&
      body.client.email.trim().toLowerCase() !== token.email
    ) {
      throw new ApiError(422, 'email_mismatch', 'The e-mail address is not the one that was confirmed.');
    }
    // The practice's limit on bookings from one address, counted by the booking itself once it
    // is decided (refused bookings count nothing; many at once count exactly).
    const perAddress = limitOf(practice.onlineLimits, 'book-address');
    const address = clientIp(c, settings.trustProxy ?? 0);
    const done = await createBooking(
      store,
      {
        practiceId: practice.id,
        slug: practice.slug,
        config,
        chainId: body.chain,
        start: Date.parse(body.start),
        therapistId: body.therapist,
        identity:
          token.typ === 'client'
            ? {
                kind: 'file',
                id: token.clientId,
                codeVersion: token.codeVersion,
                emailHash: token.emailHash,
              }
            : { kind: 'email', email: token.email },
        newClient: body.client && {
          firstName: body.client.firstName,
          lastName: body.client.lastName,
          phone: body.client.phone,
          birthDate: body.client.birthDate,
        },
        birthDate: body.birthDate,
        hold: holdOf(c, practice.id, body.hold),
        limit: {
          key: counterKey(practice.id, 'book-address', address),
          points: perAddress.points,
          durationMs: perAddress.durationSeconds * 1000,
        },
        idempotency: {
          key,
          hash: requestHash({ body, who: token.typ === 'client' ? token.clientId : token.email }),
        },
        lang,
      },
      cancelLinks(c, practice.id),
      clock,
    );
    if ('refusal' in done) throw refusalError(done.refusal, lang);
    if ('limited' in done) throw tooMany(c, done.limited);
    if (done.replayed) c.header('Idempotent-Replayed', 'true');
    return done.body;
  };

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/bookings/{id}.ics',
    summary: 'The calendar file of a booking',
    description:
      'RFC 5545, METHOD:REQUEST, while the appointment is booked and still to come (the cancellation e-mail carries the METHOD:CANCEL file, with the same UID and a higher SEQUENCE). Afterwards 410 `link_expired`.',
    request: { params: IdParam, query: TokenQuery },
    responses: {
      200: { description: 'text/calendar', content: { 'text/calendar': { schema: z.string() } } },
      403: problem('Invalid token'),
      404: problem('Unknown booking'),
      410: problem('link_expired: the appointment was cancelled or is over'),
    },
  });

  // The calendar file of a booking: /api/v1/bookings/42.ics?token=…
  app.get('/bookings/:file{[0-9]+\\.ics}', async (c) => {
    const id = Number.parseInt(c.req.param('file'), 10);
    const token = c.req.query('token');
    if (!token) throw new ApiError(403, 'invalid_token', 'This link is not valid.');
    const { clock } = c.get('deps');
    const {
      practiceId,
      loaded: { booking: a, practice },
    } = await bookingOfLink(c, id, token);
    const ics = bookingIcs({
      practice,
      appointmentId: a.id,
      sequence: a.sequence,
      method: 'REQUEST',
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
            !(
              err instanceof ApiError &&
              (err.code === 'practice_not_found' ||
                err.code === 'invalid_token' ||
                err.code === 'hold_not_found')
            )
          )
            throw err;
          booked = await bookAt(c, await bookablePractice(store, slug), key, body);
        }
      }
      return c.json(booked, 201);
    })
    .openapi(getBookingRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { loaded } = await bookingOfLink(c, id, c.req.valid('query').token);
      return c.json(bookingViewOf(loaded, c.get('deps').clock()), 200);
    })
    .openapi(cancelRoute, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const { practiceId } = await bookingOfLink(c, id, q.token);
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
