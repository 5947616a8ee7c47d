/** Whether `ids` holds each of the `count` ids of `all` (at once no when it has fewer: a search for one therapist). */
function containsAll(ids: readonly number[], all: Iterable<number>, count: number): boolean {
  if (ids.length < count) return false;
  const chosen = new Set(ids);
  for (const id of all) if (!chosen.has(id)) return false;
  return true;
}

/**
 * The slot engine's input for a chain, built from a practice's configuration and the busy times
 * the store loaded; and which busy times a question needs. Pure.
 */
import { addDays, localDate, startOfLocalDay } from '../../shared/time.ts';
import { type Chain, type PracticeConfig, therapistsFor } from './config.ts';
import { type ClientBudget, needsBirthDate, refusalAt } from './eligibility.ts';
import type { BusyInterval, Daypart, SlotCheck, SlotSearchInput } from './slots.ts';

export interface SlotQuery {
  /** Local dates, both inclusive. */
  from: string;
  to: string;
  therapist?: number | undefined;
  daypart?: Daypart | undefined;
  /** Only this start (a booking's re-check): see `SlotSearchInput.onlyStart`. */
  onlyStart?: number | undefined;
  /**
   * Age and package rules per slot (default). A booking leaves them out of its slot re-check and
   * applies the very same rules itself right after.
   */
  rules?: boolean | undefined;
  /** Only this room (a booking that takes the place of its hold keeps the hold's room). */
  room?: number | undefined;
  client: ClientBudget | null;
  now: number;
}

/**
 * The busy times a question needs: these therapists and rooms, appointments overlapping
 * [from, to) — and holds still running at `now` (an expired hold blocks nothing).
 */
export interface BusyWindow {
  therapistIds: number[];
  roomIds: number[];
  from: number;
  to: number;
  now: number;
  /**
   * Whether `therapistIds` are every therapist of the configuration the window was made from,
   * archived ones too. The database ties an appointment's therapist and room to its practice, so
   * then their appointments are all there are in the practice's rooms: a read that checks in the
   * same statement that this configuration is still the practice's (`loadBusyAndHead`) need not
   * look for other therapists' appointments in the rooms. Absent: not known, so they are looked for.
   */
  everyTherapist?: boolean;
}

/**
 * The therapists a slot question is about: the chain's that clients may book online, or the one
 * asked for among them. (Slot questions are the online booking's; staff place appointments by
 * `assessStart`, with every therapist of the chain.)
 */
function therapistIdsOf(chain: Chain, q: Pick<SlotQuery, 'therapist'>): number[] {
  return q.therapist === undefined
    ? [...chain.onlineTherapistIds]
    : chain.onlineTherapistIds.filter((id) => id === q.therapist);
}

/** What `slotSearchInput` needs loaded for a slot question. */
export function busyWindow(config: PracticeConfig, chain: Chain, q: SlotQuery): BusyWindow {
  const { practice } = config;
  const tz = practice.timeZone;
  const spanMs = (chain.durationMinutes + chain.bufferAfterMinutes) * 60_000;
  // On the grid, one start needs only what overlaps it; compact mode looks at the gaps of the day.
  const [from, to] =
    q.onlyStart !== undefined && practice.slotMode === 'grid'
      ? [q.onlyStart, q.onlyStart + spanMs]
      : [startOfLocalDay(q.from, tz), startOfLocalDay(addDays(q.to, 1), tz) + spanMs];
  const therapistIds = therapistIdsOf(chain, q);
  return {
    therapistIds,
    roomIds: chain.needsRoom ? config.rooms.map((r) => r.id) : [],
    from,
    to,
    now: q.now,
    everyTherapist: containsAll(therapistIds, config.therapistById.keys(), config.therapistById.size),
  };
}

/**
 * The slot engine's input for a chain and a range of local dates: the configuration from
 * `config`, the appointments that block therapists and rooms from `busy` (see `busyWindow`).
 */
export function slotSearchInput(
  config: PracticeConfig,
  chain: Chain,
  q: SlotQuery,
  busy: BusyInterval[],
): SlotSearchInput {
  const { practice } = config;
  const tz = practice.timeZone;
  const therapistIds = therapistIdsOf(chain, q);
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
      therapistIds,
    },
    policy: {
      minNoticeMinutes: chain.minNoticeMinutes ?? practice.minNoticeMinutes,
      bookingWindowDays: chain.bookingWindowDays ?? practice.bookingWindowDays,
      mode: practice.slotMode,
      stepMinutes: practice.slotStepMinutes,
    },
    // A day before and after: working blocks that run across midnight are joined with the next day's.
    therapists: therapistsFor(config, therapistIds, addDays(q.from, -1), addDays(q.to, 1)),
    rooms: chain.needsRoom ? config.rooms.filter((r) => q.room === undefined || r.id === q.room) : [],
    busy,
    ...(q.daypart ? { daypart: q.daypart } : {}),
    ...(q.onlyStart !== undefined ? { onlyStart: q.onlyStart } : {}),
    ...(q.rules === false || !canRefuse(chain, q.client)
      ? {}
      : { check: slotCheckFor(chain, q.client, tz, q.now) }),
  };
}

/**
 * Whether `refusalAt` can refuse this file (or an anonymous visitor) anything: a chain without
 * package rules refuses only by age, and only a file with a birth date. When it cannot, the search
 * runs without a per-start check (a week of starts is hundreds of calls that would all say yes).
 */
export function canRefuse(chain: Chain, client: ClientBudget | null): boolean {
  return chain.rules.length > 0 || (client?.birthDate != null && needsBirthDate(chain));
}

/**
 * The per-slot condition for the slot engine: age, then the package rules (see `refusalAt`).
 * Refusal codes are those of `SlotRefusal`; the detail is the template's name or the age limit.
 */
export function slotCheckFor(
  chain: Chain,
  client: ClientBudget | null,
  timeZone: string,
  now: number,
): SlotCheck {
  return (start, end) => {
    const refused = refusalAt(chain, client, start, end, now, timeZone);
    if (!refused) return null;
    return {
      code: refused.code,
      detail: 'templateName' in refused ? refused.templateName : String(refused.limit),
    };
  };
}

/** The last instant (exclusive) a chain can be booked online at `now`: the end of the booking window. */
export function windowEnd(config: PracticeConfig, chain: Chain, now: number): number {
  const tz = config.practice.timeZone;
  const days = chain.bookingWindowDays ?? config.practice.bookingWindowDays;
  return startOfLocalDay(addDays(localDate(now, tz), days + 1), tz);
}
