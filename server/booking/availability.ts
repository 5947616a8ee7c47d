/**
 * What can be booked: the practice and chain checks every public endpoint shares, and the slot
 * engine run on the scheduling picture loaded from the database (or from inside a transaction).
 */
import { addDays, startOfLocalDay } from '../../shared/time.ts';
import { type LoadedChain, loadBusy, type PracticeRow, type Reader } from '../db/load.ts';
import { slotCheckFor } from '../engine/availability.ts';
import { planAllowsPackages, therapistsFor } from '../engine/config.ts';
import { type ClientBudget, evaluateRules } from '../engine/eligibility.ts';
import { type SlotSearchInput, searchSlots } from '../engine/slots.ts';
import { ApiError } from '../problem.ts';
import { type PracticeConfig, practiceConfig } from './config.ts';

/** The practice of the path (its configuration), or 404; 403 when it has switched online booking off. */
export function bookablePractice(db: Reader, slug: string): PracticeConfig {
  return bookable(practiceConfig(db, slug), slug);
}

/** The same checks on a configuration already read for `slug`. */
export function bookable(config: PracticeConfig | undefined, slug: string): PracticeConfig {
  if (!config) throw new ApiError(404, 'practice_not_found', `No practice "${slug}".`);
  if (!config.practice.onlineBookingEnabled) {
    throw new ApiError(
      403,
      'online_booking_disabled',
      'This practice does not take online bookings at the moment.',
    );
  }
  return config;
}

/** The chain `id` of the practice, or 404. */
export function chainOf(config: PracticeConfig, id: number): LoadedChain {
  const chain = config.chainById.get(id);
  if (!chain) throw new ApiError(404, 'chain_not_found', `No chain ${id} in this practice.`);
  return chain;
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

export interface SlotQuery {
  from: string;
  to: string;
  therapist?: number | undefined;
  daypart?: 'morning' | 'afternoon' | 'evening' | undefined;
  /** Only this start (a booking's re-check): see `SlotSearchInput.onlyStart`. */
  onlyStart?: number | undefined;
  /**
   * Age and package rules per slot (default). A booking leaves them out of its slot re-check and
   * applies the very same rules itself right after (`ageRefusal`, `planPackages`).
   */
  rules?: boolean | undefined;
  client: ClientBudget | null;
  now: number;
}

/**
 * The slot engine's input for a chain and a range of local dates: the configuration from `config`,
 * the appointments that block therapists and rooms from the database.
 */
export function slotInput(
  db: Reader,
  config: PracticeConfig,
  chain: LoadedChain,
  q: SlotQuery,
): SlotSearchInput {
  const { practice } = config;
  const tz = practice.timeZone;
  const therapistIds =
    q.therapist === undefined ? chain.therapistIds : chain.therapistIds.filter((id) => id === q.therapist);
  const rooms = chain.needsRoom ? config.rooms : [];
  const spanMs = (chain.durationMinutes + chain.bufferAfterMinutes) * 60_000;
  // On the grid, one start needs only what overlaps it; compact mode looks at the gaps of the day.
  const [busyFrom, busyTo] =
    q.onlyStart !== undefined && practice.slotMode === 'grid'
      ? [q.onlyStart, q.onlyStart + spanMs]
      : [startOfLocalDay(q.from, tz), startOfLocalDay(addDays(q.to, 1), tz) + spanMs];
  return {
    now: q.now,
    timeZone: tz,
    from: q.from,
    to: q.to,
    chain: {
      id: chain.id,
      durationMinutes: chain.durationMinutes,
      bufferAfterMinutes: chain.bufferAfterMinutes,
      needsRoom: chain.needsRoom,
      therapistIds: [...therapistIds],
    },
    policy: {
      minNoticeMinutes: chain.minNoticeMinutes ?? practice.minNoticeMinutes,
      bookingWindowDays: chain.bookingWindowDays ?? practice.bookingWindowDays,
      mode: practice.slotMode,
      stepMinutes: practice.slotStepMinutes,
    },
    // A day before and after: working blocks that run across midnight are joined with the next day's.
    therapists: therapistsFor(config, therapistIds, addDays(q.from, -1), addDays(q.to, 1)),
    rooms: [...rooms],
    busy: loadBusy(db, { therapistIds, roomIds: rooms.map((r) => r.id) }, busyFrom, busyTo),
    ...(q.daypart ? { daypart: q.daypart } : {}),
    ...(q.onlyStart !== undefined ? { onlyStart: q.onlyStart } : {}),
    ...(q.rules === false ? {} : { check: slotCheckFor(chain as never, q.client, tz, q.now) }),
  };
}

/** Free slots of a chain for a file (or an anonymous visitor) over a range of local dates. */
export function findSlots(db: Reader, config: PracticeConfig, chain: LoadedChain, q: SlotQuery) {
  return searchSlots(slotInput(db, config, chain, q));
}
