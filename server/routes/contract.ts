/**
 * The public API's request and response schemas. The same schemas validate requests and generate
 * the OpenAPI document at /api/v1/openapi.json.
 */
import { z } from '@hono/zod-openapi';
import { isDate } from '../../shared/time.ts';

export const MAX_RANGE_DAYS = 62;

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z
      .string()
      .openapi({ description: 'Stable machine-readable error code', example: 'chain_not_found' }),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export const problemResponses = {
  400: { description: 'Invalid request', content: { 'application/problem+json': { schema: Problem } } },
  401: {
    description: 'Invalid or expired client token',
    content: { 'application/problem+json': { schema: Problem } },
  },
  403: { description: 'Not allowed', content: { 'application/problem+json': { schema: Problem } } },
  404: {
    description: 'Unknown practice or resource',
    content: { 'application/problem+json': { schema: Problem } },
  },
} as const;

export const PracticeParam = z.object({
  practice: z
    .string()
    .max(64)
    .openapi({ param: { name: 'practice', in: 'path' }, example: 'demo', description: 'The practice slug' }),
});

const localDate = (what: string) =>
  z
    .string()
    .refine(isDate, { message: 'must be a date YYYY-MM-DD' })
    .openapi({ example: '2026-12-01', description: `${what} (local date in the practice's time zone)` });

const lang = z.enum(['de', 'en']).optional().openapi({ description: 'Language of texts (default de)' });

export const ChainsQuery = z.strictObject({ lang });

export const Chain = z
  .object({
    id: z.number().int(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    durationMinutes: z.number().int(),
    priceCents: z.number().int().openapi({ description: 'Sum of the service prices, integer euro cents' }),
    needsBirthDate: z
      .boolean()
      .openapi({ description: 'The chain has an age limit: a birth date is required' }),
    therapists: z
      .array(z.object({ id: z.number().int(), name: z.string() }))
      .openapi({ description: 'The therapists who give the chain' }),
    offered: z
      .boolean()
      .optional()
      .openapi({ description: 'Identified clients only: whether the chain is offered to them at all' }),
    reason: z.string().optional().openapi({ description: 'Identified clients only: why it is not offered' }),
    packages: z
      .array(z.object({ name: z.string(), remaining: z.array(z.string()) }))
      .optional()
      .openapi({
        description: 'Identified clients only: the remaining budget of their packages for the chain',
      }),
  })
  .openapi('Chain');

export const ChainsResponse = z
  .object({
    practice: z.object({
      slug: z.string(),
      name: z.string(),
      timeZone: z.string(),
      privacyNoticeUrl: z.string().nullable(),
    }),
    chains: z.array(Chain),
  })
  .openapi('Chains');

export const SlotsQuery = z.strictObject({
  chain: z.coerce.number().int().positive().openapi({ type: 'integer', description: 'Chain id', example: 1 }),
  from: localDate('First day'),
  to: localDate('Last day, inclusive; at most 62 days after from'),
  therapist: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .openapi({ type: 'integer', description: 'Only this therapist' }),
  daypart: z.enum(['morning', 'afternoon', 'evening']).optional(),
  lang,
});

export const Slot = z
  .object({
    start: z.string().openapi({ example: '2026-12-01T09:00:00+01:00' }),
    end: z.string().openapi({ example: '2026-12-01T09:50:00+01:00' }),
    therapist: z.object({ id: z.number().int(), name: z.string() }),
  })
  .openapi('Slot');

export const SlotsResponse = z
  .object({
    chain: z.object({ id: z.number().int(), name: z.string(), durationMinutes: z.number().int() }),
    timeZone: z.string(),
    days: z.array(z.object({ date: z.string(), slots: z.array(Slot) })),
  })
  .openapi('Slots');

/** The booking widget's compact form of the same slots (GET …/starts): each start once, a few bytes. */
export const StartsResponse = z
  .object({
    timeZone: z.string(),
    durationMinutes: z.number().int(),
    therapists: z
      .array(z.object({ id: z.number().int(), name: z.string() }))
      .openapi({ description: 'The therapists searched, by id: the bits of each start' }),
    days: z.array(
      z.object({
        date: z.string(),
        starts: z.array(z.tuple([z.number().int(), z.string().regex(/^[1-9a-f][0-9a-f]*$/)])).openapi({
          description:
            'Each free start once, in time order, as [minutes since 1970-01-01T00:00Z, therapists]: the therapists who can take it as a hexadecimal number whose bit i stands for therapists[i] ("5": the first and the third)',
          example: [[29412540, '5']],
        }),
      }),
    ),
  })
  .openapi('Starts');

// --- Returning clients: one-time code, access code, personal direct link (server/routes/auth.ts) ---

const authEmail = z.email().max(254).openapi({ example: 'lena.vogel@example.org' });

export const AuthCodeBody = z.strictObject({ email: authEmail }).openapi('AuthCodeRequest');

export const AuthCodeSent = z
  .object({
    status: z.literal('sent').openapi({
      description:
        'Always "sent", whether or not the e-mail belongs to a client file: the answer reveals nothing.',
    }),
  })
  .openapi('AuthCodeSent');

export const AuthVerifyBody = z
  .strictObject({
    email: authEmail,
    code: z.string().min(1).max(64).openapi({
      description: 'The 6-digit one-time code from the e-mail, or the client file’s access code',
      example: '123456',
    }),
  })
  .openapi('AuthVerifyRequest');

export const AuthLinkBody = z
  .strictObject({
    token: z.string().min(1).max(1024).openapi({ description: 'The token of the personal direct link' }),
  })
  .openapi('AuthLinkRequest');

export const ClientSession = z
  .object({
    token: z.string().openapi({ description: 'Client token: send as `Authorization: Bearer <token>`' }),
    expiresAt: z
      .string()
      .openapi({ example: '2026-11-27T11:00:00.000Z', description: 'When the token expires (UTC)' }),
  })
  .openapi('ClientSession');

export const Me = z
  .object({
    email: z.string().nullable().openapi({ description: 'The verified e-mail address' }),
    client: z
      .object({ firstName: z.string(), lastName: z.string(), birthDate: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The client file with that address; null until the first booking creates it' }),
  })
  .openapi('Me');

export const authProblemResponses = {
  401: {
    description: 'Code, link or token not accepted',
    content: { 'application/problem+json': { schema: Problem } },
  },
  429: {
    description: 'Too many attempts for this e-mail or from this address',
    headers: z.object({
      'Retry-After': z
        .string()
        .openapi({ description: 'Seconds until the next attempt is allowed', example: '600' }),
    }),
    content: { 'application/problem+json': { schema: Problem } },
  },
} as const;
