/**
 * The public API for the booking widget (no staff login): which chains a practice offers and the
 * free slots of one chain.
 */
import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import { insteadText, notOfferedText, remainingText } from '../../shared/i18n.ts';
import { daysBetween, toIsoWithOffset } from '../../shared/time.ts';
import type { AppEnv } from '../app.ts';
import { clientFromRequest } from '../auth/tokens.ts';
import { bookablePractice, chainOf, findSlots, offeredNow, onlineChain } from '../booking/availability.ts';
import { loadClientBudget } from '../db/load.ts';
import { windowEnd } from '../engine/availability.ts';
import type { Chain } from '../engine/config.ts';
import { evaluateRules, firstAllowed, type SlotRefusal } from '../engine/eligibility.ts';
import { ApiError } from '../problem.ts';
import { answerCache } from './cache.ts';
import {
  ChainsQuery,
  ChainsResponse,
  MAX_RANGE_DAYS,
  PracticeParam,
  problemResponses,
  SlotsQuery,
  SlotsResponse,
} from './contract.ts';
import { validationHook } from './validation.ts';

const chainsRoute = createRoute({
  method: 'get',
  path: '/chains',
  summary: 'Chains offered online',
  description:
    'The online-bookable service chains offered to an anonymous visitor: those whose package rules admit a client file with no packages.',
  request: { params: PracticeParam, query: ChainsQuery },
  responses: {
    200: { description: 'The offered chains', content: { 'application/json': { schema: ChainsResponse } } },
    ...problemResponses,
  },
});

const slotsRoute = createRoute({
  method: 'get',
  path: '/slots',
  summary: 'Free slots of a chain',
  description:
    'Free start times of one chain, grouped by local date. Every date of the range is listed, also those without any slot.',
  request: { params: PracticeParam, query: SlotsQuery },
  responses: {
    200: { description: 'Slots by local date', content: { 'application/json': { schema: SlotsResponse } } },
    ...problemResponses,
  },
});

const JSON_TYPE = { 'content-type': 'application/json' };

export function publicRoutes(options: { cacheEntries?: number } = {}) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // Finished answers of the read endpoints, valid until the next write to the database.
  const cache = answerCache(options.cacheEntries ?? 2000);

  // An anonymous read (no client token) is answered from the cache before anything else: the same
  // URL at the same database state and minute has the same answer, already validated once.
  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' || c.req.header('authorization') !== undefined) return next();
    const { db, clock } = c.get('deps');
    const key = cache.key(db, `anon|${c.req.url}`, clock());
    const hit = cache.get(key);
    if (hit !== undefined) return c.body(hit, 200, JSON_TYPE);
    c.set('answerKey', key);
    await next();
  });

  app.openapi(chainsRoute, (c) => {
    const { db, clock } = c.get('deps');
    const config = bookablePractice(db, c.req.valid('param').practice);
    const { practice } = config;
    const lang = c.req.valid('query').lang ?? 'de';
    const clientId = clientFromRequest(c, practice.id);
    const client = clientId === null ? null : loadClientBudget(db, practice.id, clientId)!;
    const now = clock();
    const judged = config.chains
      .filter((chain) => onlineChain(practice, chain))
      .map((chain) => {
        // Offered if the rules let this file book it at some time in the booking window: now, or
        // from the day a package becomes valid, a first appointment has ended, a birthday… (the
        // slots then start there).
        const first = firstAllowed(chain, client, now, windowEnd(config, chain, now), now, practice.timeZone);
        const at = 'at' in first ? first.at : now;
        const end = at + chain.durationMinutes * 60_000;
        return {
          chain,
          refused: 'refusal' in first ? first.refusal : null,
          outcomes: evaluateRules(chain, client, at, end, now),
        };
      });
    // A chain not offered may point to one that is, never to one that is not: "book the
    // follow-up instead" only when the follow-up is offered to this client.
    const instead = (refused: SlotRefusal | null, chain: Chain) => {
      if (refused?.code !== 'package_present') return '';
      const other = judged.find(
        (j) =>
          j.refused === null &&
          j.chain.id !== chain.id &&
          j.chain.rules.some((r) => r.templateId === refused.templateId),
      );
      return other ? ` ${insteadText(other.chain.name, lang)}` : '';
    };
    const chains = judged
      // An anonymous visitor sees only what is offered; a client also sees why the rest is not.
      .filter(({ refused }) => client !== null || refused === null);
    const body = JSON.stringify({
      practice: { slug: practice.slug, name: practice.name, timeZone: practice.timeZone },
      chains: chains.map(({ chain, refused, outcomes }) => ({
        id: chain.id,
        key: chain.key,
        name: chain.name,
        description: chain.description,
        durationMinutes: chain.durationMinutes,
        priceCents: chain.priceCents,
        needsBirthDate: chain.minAge !== null || chain.maxAge !== null,
        ...(client
          ? {
              offered: refused === null,
              ...(refused ? { reason: notOfferedText(refused.code, lang) + instead(refused, chain) } : {}),
              packages: outcomes.flatMap((o) =>
                o.state.state === 'present'
                  ? [
                      {
                        name: o.state.package.name,
                        remaining: o.state.remaining.map((r) => remainingText(r, lang)),
                      },
                    ]
                  : [],
              ),
            }
          : {}),
      })),
    } satisfies z.infer<typeof ChainsResponse>);
    if (client === null) cache.set(c.get('answerKey') ?? null, body);
    return c.body(body, 200, JSON_TYPE) as never;
  });

  app.openapi(slotsRoute, (c) => {
    const { db, clock } = c.get('deps');
    const config = bookablePractice(db, c.req.valid('param').practice);
    const { practice } = config;
    const q = c.req.valid('query');
    const span = daysBetween(q.from, q.to);
    if (span < 0) throw new ApiError(400, 'invalid_range', '"to" must not be before "from".');
    if (span + 1 > MAX_RANGE_DAYS) {
      throw new ApiError(400, 'range_too_long', `At most ${MAX_RANGE_DAYS} days per request.`);
    }
    const now = clock();
    const clientId = clientFromRequest(c, practice.id);
    const key =
      clientId === null ? (c.get('answerKey') ?? null) : cache.key(db, `slots|${clientId}|${c.req.url}`, now);
    const cached = clientId === null ? undefined : cache.get(key);
    if (cached !== undefined) return c.body(cached, 200, JSON_TYPE) as never;
    const chain = chainOf(config, q.chain);
    if (!onlineChain(practice, chain)) {
      throw new ApiError(403, 'chain_not_bookable', 'This chain cannot be booked online.');
    }
    const client = clientId === null ? null : loadClientBudget(db, practice.id, clientId)!;
    if (client === null && !offeredNow(chain, client, now).every((o) => o.allowed)) {
      throw new ApiError(
        403,
        'chain_not_offered',
        'This chain is only offered to identified clients with a matching package.',
      );
    }
    const result = findSlots(db, config, chain, { ...q, client, now });
    const body = JSON.stringify({
      chain: { id: chain.id, name: chain.name, durationMinutes: chain.durationMinutes },
      timeZone: practice.timeZone,
      days: result.days.map((d) => ({
        date: d.date,
        slots: d.slots.map((s) => ({
          start: toIsoWithOffset(s.start, practice.timeZone),
          end: toIsoWithOffset(s.end, practice.timeZone),
          therapist: { id: s.therapistId, name: s.therapistName },
        })),
      })),
    } satisfies z.infer<typeof SlotsResponse>);
    cache.set(key, body);
    return c.body(body, 200, JSON_TYPE) as never;
  });

  return app;
}
