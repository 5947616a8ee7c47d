/**
 * The public API for the booking widget (no staff login): which chains a practice offers and the
 * free slots of one chain.
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { addDays, daysBetween, startOfLocalDay, toIsoWithOffset } from '../../shared/time.ts';
import type { AppEnv } from '../app.ts';
import {
  type LoadedChain,
  loadBusy,
  loadChains,
  loadRooms,
  loadTherapists,
  type PracticeRow,
  practiceBySlug,
  type Reader,
} from '../db/load.ts';
import { type ClientBudget, evaluateRules, planAllowsPackages, slotCheckFor } from '../engine/eligibility.ts';
import { searchSlots } from '../engine/slots.ts';
import { ApiError } from '../problem.ts';
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

/** The practice of the path, or 404; 403 when it has switched online booking off. */
export function bookablePractice(db: Reader, slug: string): PracticeRow {
  const practice = practiceBySlug(db, slug);
  if (!practice) throw new ApiError(404, 'practice_not_found', `No practice "${slug}".`);
  if (!practice.onlineBookingEnabled) {
    throw new ApiError(
      403,
      'online_booking_disabled',
      'This practice does not take online bookings at the moment.',
    );
  }
  return practice;
}

/** Online-bookable, and its package rules usable on the practice's plan. */
export function onlineChain(practice: PracticeRow, chain: LoadedChain): boolean {
  return chain.onlineBookable && (chain.rules.length === 0 || planAllowsPackages(practice.plan));
}

/** Whether a chain is offered to this file (anonymous: a file with no packages) at `now`. */
export function offeredNow(chain: LoadedChain, client: ClientBudget | null, now: number) {
  const end = now + chain.durationMinutes * 60_000;
  return evaluateRules(chain, client, now, end, now);
}

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

export function publicRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(chainsRoute, (c) => {
    const { db, clock } = c.get('deps');
    const practice = bookablePractice(db, c.req.valid('param').practice);
    const now = clock();
    const chains = loadChains(db, practice.id)
      .filter((chain) => onlineChain(practice, chain))
      .filter((chain) => offeredNow(chain, null, now).every((o) => o.allowed));
    return c.json(
      {
        practice: { slug: practice.slug, name: practice.name, timeZone: practice.timeZone },
        chains: chains.map((chain) => ({
          id: chain.id,
          key: chain.key,
          name: chain.name,
          description: chain.description,
          durationMinutes: chain.durationMinutes,
          priceCents: chain.priceCents,
          needsBirthDate: chain.minAge !== null || chain.maxAge !== null,
        })),
      },
      200,
    );
  });

  app.openapi(slotsRoute, (c) => {
    const { db, clock } = c.get('deps');
    const practice = bookablePractice(db, c.req.valid('param').practice);
    const q = c.req.valid('query');
    const span = daysBetween(q.from, q.to);
    if (span < 0) throw new ApiError(400, 'invalid_range', '"to" must not be before "from".');
    if (span + 1 > MAX_RANGE_DAYS) {
      throw new ApiError(400, 'range_too_long', `At most ${MAX_RANGE_DAYS} days per request.`);
    }
    const chain = loadChains(db, practice.id, { chainId: q.chain })[0];
    if (!chain) throw new ApiError(404, 'chain_not_found', `No chain ${q.chain} in this practice.`);
    if (!onlineChain(practice, chain)) {
      throw new ApiError(403, 'chain_not_bookable', 'This chain cannot be booked online.');
    }
    const now = clock();
    const client: ClientBudget | null = null;
    if (!offeredNow(chain, client, now).every((o) => o.allowed)) {
      throw new ApiError(
        403,
        'chain_not_offered',
        'This chain is only offered to identified clients with a matching package.',
      );
    }
    const result = findSlots(db, practice, chain, { ...q, client, now });
    return c.json(
      {
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
      },
      200,
    );
  });

  return app;
}

/** Loads the scheduling picture of the range and runs the slot engine with the file's conditions. */
export function findSlots(
  db: Reader,
  practice: PracticeRow,
  chain: LoadedChain,
  q: {
    from: string;
    to: string;
    therapist?: number;
    daypart?: 'morning' | 'afternoon' | 'evening';
    client: ClientBudget | null;
    now: number;
  },
) {
  const tz = practice.timeZone;
  const therapistIds =
    q.therapist === undefined ? chain.therapistIds : chain.therapistIds.filter((id) => id === q.therapist);
  const rooms = chain.needsRoom ? loadRooms(db, practice.id) : [];
  const fromInstant = startOfLocalDay(q.from, tz);
  const toInstant = startOfLocalDay(addDays(q.to, 1), tz);
  return searchSlots({
    now: q.now,
    timeZone: tz,
    from: q.from,
    to: q.to,
    chain: {
      id: chain.id,
      durationMinutes: chain.durationMinutes,
      bufferAfterMinutes: chain.bufferAfterMinutes,
      needsRoom: chain.needsRoom,
      therapistIds,
    },
    policy: {
      minNoticeMinutes: chain.minNoticeMinutes ?? practice.minNoticeMinutes,
      bookingWindowDays: chain.bookingWindowDays ?? practice.bookingWindowDays,
      mode: practice.slotMode,
      stepMinutes: practice.slotStepMinutes,
    },
    therapists: loadTherapists(db, practice.id, therapistIds, q.from, q.to),
    rooms,
    busy: loadBusy(
      db,
      practice.id,
      { therapistIds, roomIds: rooms.map((r) => r.id) },
      fromInstant,
      toInstant + (chain.durationMinutes + chain.bufferAfterMinutes) * 60_000,
    ),
    ...(q.daypart ? { daypart: q.daypart } : {}),
    check: slotCheckFor(chain, q.client, tz, q.now),
  });
}
