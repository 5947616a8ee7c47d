/**
 * The public API for the booking widget (no staff login): which chains a practice offers and the
 * free slots of one chain.
 */
import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { insteadText, notOfferedText, remainingText } from '../../shared/i18n.ts';
import { daysBetween } from '../../shared/time.ts';
import { bookable, bookablePractice, chainOf, findSlots, offeredNow } from '../booking/availability.ts';
import { keptPracticeConfig } from '../booking/config.ts';
import { loadClientBudget } from '../db/queries/calendar.ts';
import { windowEnd } from '../engine/availability.ts';
import { type Chain, onlineChain, type PracticeConfig } from '../engine/config.ts';
import { evaluateRules, firstAllowed, type SlotRefusal } from '../engine/eligibility.ts';
import { type SlotSearchInput, searchSlots, searchStarts } from '../engine/slots.ts';
import { ApiError } from '../problem.ts';
import { answerCache, type JsonText, jsonText, sendJson } from './cache.ts';
import { fileOfRequest } from './clientToken.ts';
import {
  ChainsQuery,
  ChainsResponse,
  MAX_RANGE_DAYS,
  PracticeParam,
  problemResponses,
  SlotsQuery,
  SlotsResponse,
  StartsResponse,
} from './contract.ts';
import type { AppEnv } from './env.ts';
import { slotsJson, startsJson } from './slotsJson.ts';
import { validationHook } from './validation.ts';

const chainsRoute = createRoute({
  method: 'get',
  path: '/chains',
  summary: 'Chains offered online',
  description:
    'The online-bookable service chains offered to an anonymous visitor: those whose package rules admit a client file with no packages. With a client token: every chain, with `offered`, a short reason and the remaining budget of the client’s packages.',
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

const startsRoute = createRoute({
  method: 'get',
  path: '/starts',
  summary: 'Free starts of a chain, compact',
  description:
    'The same free starts as /slots, in the booking widget’s compact form: each start once, as minutes since the epoch (UTC) with the therapists who can take it as bits of the therapists listed once.',
  request: { params: PracticeParam, query: SlotsQuery },
  responses: {
    200: { description: 'Starts by local date', content: { 'application/json': { schema: StartsResponse } } },
    ...problemResponses,
  },
});

type ChainsBody = z.infer<typeof ChainsResponse>;
type SlotsBody = z.infer<typeof SlotsResponse>;
type StartsBody = z.infer<typeof StartsResponse>;
/** How a search is run and its result put into JSON: /slots and /starts each have their own form. */
interface SlotsForm<R, T> {
  search: (input: SlotSearchInput) => R;
  write: (result: R, chain: Chain, practice: PracticeConfig['practice']) => JsonText<T>;
}

export function publicRoutes(options: { cacheEntries?: number } = {}) {
  // Finished answers of the read endpoints, valid until the next write that concerns them.
  const cache = answerCache(options.cacheEntries ?? 2000);

  /**
   * The cache key of this request, from the store's change mark taken before anything is read
   * (so an answer is never kept under a later state than the one it was computed from), for the
   * practice the slug had when last seen here; null when not cacheable.
   */
  const keyOf = (c: Context<AppEnv>, slug: string, who: string) => {
    const { store, clock } = c.get('deps');
    const seen = keptPracticeConfig(store, slug);
    if (!seen) return { key: null, practiceId: null };
    return {
      key: cache.key(store, seen.practice.id, `${who}|${c.req.url}`, clock()),
      practiceId: seen.practice.id,
    };
  };

  /**
   * One chain's free starts for the query, cached per state, as `write` puts them into JSON. First
   * on the configuration kept in memory, unchecked: the search reads the practice's version with
   * the busy times (`findSlots`). Should that copy be out of date — the search says so, or the copy
   * refused what the practice may allow by now — the request runs again on the configuration as it
   * is, which also gives any refusal that stands.
   */
  const slotsAnswer = async <R, T>(
    c: Context<AppEnv>,
    slug: string,
    q: z.infer<typeof SlotsQuery>,
    form: SlotsForm<R, T>,
  ) => {
    const span = daysBetween(q.from, q.to);
    if (span < 0) throw new ApiError(400, 'invalid_range', '"to" must not be before "from".');
    if (span + 1 > MAX_RANGE_DAYS) {
      throw new ApiError(400, 'range_too_long', `At most ${MAX_RANGE_DAYS} days per request.`);
    }
    const { store } = c.get('deps');
    const kept = keptPracticeConfig(store, slug);
    if (kept) {
      try {
        const answer = await slotsOn(c, kept, q, form);
        if (answer) return answer;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
    }
    const answer = await slotsOn(c, await bookablePractice(store, slug), q, form);
    // Read just now, the configuration can have moved on only by a change in between: once more.
    return answer ?? (await slotsOn(c, await bookablePractice(store, slug), q, form))!;
  };

  /** The answer on `config` (checked bookable here); undefined when `config` has been replaced. */
  const slotsOn = async <R, T>(
    c: Context<AppEnv>,
    config: PracticeConfig,
    q: z.infer<typeof SlotsQuery>,
    { search, write }: SlotsForm<R, T>,
  ) => {
    const { store, clock } = c.get('deps');
    const slug = config.practice.slug;
    bookable(config, slug);
    const { practice } = config;
    const now = clock();
    const clientId = await fileOfRequest(c, practice.id);
    const mark = keyOf(c, slug, clientId === null ? 'anon' : `client ${clientId}`);
    const cacheable = mark.practiceId === practice.id;
    const cached = clientId === null || !cacheable ? undefined : cache.get<T>(mark.key);
    if (cached !== undefined) return sendJson(c, cached, 200);
    const chain = chainOf(config, q.chain);
    if (!onlineChain(practice, chain)) {
      throw new ApiError(403, 'chain_not_bookable', 'This chain cannot be booked online.');
    }
    const client =
      clientId === null
        ? null
        : ((await store.read((tx) => loadClientBudget(tx, practice.id, clientId))) ?? null);
    if (client === null && !offeredNow(chain, client, now).every((o) => o.allowed)) {
      throw new ApiError(
        403,
        'chain_not_offered',
        'This chain is only offered to identified clients with a matching package.',
      );
    }
    const result = await findSlots(store, config, chain, { ...q, client, now }, search);
    if (!result) return undefined;
    const body = write(result, chain, practice);
    if (cacheable) cache.set(mark.key, body);
    return sendJson(c, body, 200);
  };

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // An anonymous read (no client token) is answered from the cache before anything else: the same
  // URL at the same state and minute has the same answer, already validated once.
  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' || c.req.header('authorization') !== undefined) return next();
    const { key } = keyOf(c, c.req.param('practice') ?? '', 'anon');
    const hit = cache.get(key);
    if (hit !== undefined) return c.body(hit, 200, { 'content-type': 'application/json' });
    await next();
  });
  return app
    .openapi(chainsRoute, async (c) => {
      const { store, clock } = c.get('deps');
      const slug = c.req.valid('param').practice;
      const mark = keyOf(c, slug, 'anon');
      const config = await bookablePractice(store, slug);
      const { practice } = config;
      const lang = c.req.valid('query').lang ?? 'de';
      const clientId = await fileOfRequest(c, practice.id);
      const client =
        clientId === null
          ? null
          : ((await store.read((tx) => loadClientBudget(tx, practice.id, clientId))) ?? null);
      const now = clock();
      const judged = config.chains
        .filter((chain) => onlineChain(practice, chain))
        .map((chain) => {
          // Offered if the rules let this file book it at some time in the booking window: now,
          // or from the day a package becomes valid, a first appointment has ended, a birthday…
          // (the slots then start there).
          const first = firstAllowed(
            chain,
            client,
            now,
            windowEnd(config, chain, now),
            now,
            practice.timeZone,
          );
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
      const instead = (refused: SlotRefusal, chain: Chain) => {
        if (refused.code !== 'package_present') return '';
        const other = judged.find(
          (j) =>
            j.refused === null &&
            j.chain.id !== chain.id &&
            j.chain.rules.some((r) => r.templateId === refused.templateId),
        );
        return other ? ` ${insteadText(other.chain.name, lang)}` : '';
      };
      const body = jsonText<ChainsBody>({
        practice: {
          slug: practice.slug,
          name: practice.name,
          timeZone: practice.timeZone,
          privacyNoticeUrl: practice.privacyNoticeUrl,
        },
        chains: judged
          // An anonymous visitor sees only what is offered; a client also sees why the rest is not.
          .filter(({ refused }) => client !== null || refused === null)
          .map(({ chain, refused, outcomes }) => ({
            id: chain.id,
            key: chain.key,
            name: chain.name,
            description: chain.description,
            durationMinutes: chain.durationMinutes,
            priceCents: chain.priceCents,
            needsBirthDate: chain.minAge !== null || chain.maxAge !== null,
            therapists: chain.onlineTherapistIds.flatMap((id) => {
              const t = config.therapistById.get(id);
              return t?.active ? [{ id, name: t.name }] : [];
            }),
            ...(client
              ? {
                  offered: refused === null,
                  ...(refused
                    ? { reason: notOfferedText(refused.code, lang) + instead(refused, chain) }
                    : {}),
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
      });
      if (client === null && mark.practiceId === practice.id) cache.set(mark.key, body);
      return sendJson(c, body, 200);
    })
    .openapi(slotsRoute, (c) =>
      slotsAnswer(c, c.req.valid('param').practice, c.req.valid('query'), {
        search: searchSlots,
        write: (result, chain, practice) =>
          slotsJson<SlotsBody>({
            chain: { id: chain.id, name: chain.name, durationMinutes: chain.durationMinutes },
            timeZone: practice.timeZone,
            days: result.days,
          }),
      }),
    )
    .openapi(startsRoute, (c) =>
      slotsAnswer(c, c.req.valid('param').practice, c.req.valid('query'), {
        search: searchStarts,
        write: (result, chain, practice) =>
          startsJson<StartsBody>({
            timeZone: practice.timeZone,
            durationMinutes: chain.durationMinutes,
            ...result,
          }),
      }),
    );
}
