/**
 * Holds: a start kept for a few minutes (the practice's `holdMinutes`, default 10) for the visitor
 * who chose it, while they confirm their address — load → decide (engine `decideHold`) → write,
 * in one write transaction. A hold is an `appointments` row with status `held`: it blocks its
 * therapist and room for everyone else exactly as a booking does (on PostgreSQL the same exclusion
 * constraints refuse a second hold or booking in its time), until it runs out or the booking made
 * with it takes its place.
 */

import { localDate } from '../../shared/time.ts';
import { emailHash } from '../auth/email.ts';
import {
  deleteHold,
  type HoldRow,
  insertHold,
  loadBusy,
  loadBusyAndHead,
  purgeExpiredHolds,
} from '../db/queries/calendar.ts';
import {
  type Counter,
  type CounterLimit,
  counters,
  isFull,
  OverLimit,
  pointWrites,
  waitOf,
} from '../db/queries/rateLimits.ts';
import type { Store } from '../db/store.ts';
import { decideHold, type HoldRequest, type Refusal } from '../engine/appointment.ts';
import { busyWindow } from '../engine/availability.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { ApiError } from '../problem.ts';
import { practiceConfigIn } from './config.ts';

/** Who made a hold, as a booking is checked against it: a client file, or a verified address. */
export type HoldOwner =
  | { kind: 'file'; clientId: number; email: string | null }
  | { kind: 'email'; email: string };

/** The owner keys a hold may carry for this client (a file also owns holds made with its address). */
export function ownerKeys(who: HoldOwner): string[] {
  return who.kind === 'file'
    ? [`client:${who.clientId}`, ...(who.email ? [`email:${emailHash(who.email)}`] : [])]
    : [`email:${emailHash(who.email)}`];
}

/** A hold as its token names it: the id, and where it is (therapist, room) when the token says. */
export interface HoldRef {
  id: number;
  at?: { therapistId: number; roomId: number | null };
}

export type HoldResult =
  | { hold: HoldRow }
  | { refusal: Refusal }
  /** Over one of the limits: milliseconds until it frees up. */
  | { limited: number };

/**
 * Holds a start for `holdMinutes`. The configuration the route holds is checked against the
 * practice's version in the statement that reads the start's busy times. On PostgreSQL that read
 * and the one write (the hold with its rate-limit points) need no transaction: the exclusion
 * constraints refuse a start taken meanwhile, the limits' check a point too many.
 */
export function createHold(
  store: Store,
  req: HoldRequest & {
    practiceId: number;
    slug: string;
    config: PracticeConfig;
    owner: HoldOwner | null;
    /**
     * The limits a hold counts against, one point on each, in the hold's own write once it is
     * decided: refused holds count nothing.
     */
    limits: CounterLimit[];
    /**
     * A limit shared by every visitor (the practice's holds), spread over counters (`spreadLimit`):
     * the hold takes its point on one of them that has room. Refused only when all are full.
     */
    shared: CounterLimit[];
  },
  clock: () => number,
): Promise<HoldResult> {
  const { limits, shared } = req;
  // The part to try first follows from the visitor's own counter, so visitors at the same moment
  // mostly count on different rows; a full part sends the hold on to one with room.
  const first = shared.length ? spreadIndex(limits[0]?.key ?? '', shared.length) : 0;
  // Parts without a point of the limit (a limit below the number of parts) are full from the start.
  const usable = shared.filter((l) => l.points > 0);
  let parts = [...shared.slice(first), ...shared.slice(0, first)].filter((l) => l.points > 0);
  let tries = 0;
  /** Every part full: the shared limit is reached; it frees up when the first of them does. */
  const sharedFull = (running: ReadonlyMap<string, Counter>, now: number): HoldResult => ({
    limited: usable.length ? Math.min(...usable.map((l) => waitOf(l, running, now))) : 60_000,
  });
  const attempt = async (): Promise<HoldResult> => {
    const part = parts[0];
    if (shared.length && !part) return sharedFull(new Map(), clock());
    try {
      return await holdWithPoints(store, req, part ? [...limits, part] : limits, clock);
    } catch (err) {
      if (!(err instanceof OverLimit)) throw err;
    }
    // Which counter was full: one of the visitor's own, or that part of the shared one.
    const now = clock();
    const running = await store.read((tx) =>
      counters(
        tx,
        [...limits, ...shared].map((l) => l.key),
        now,
      ),
    );
    const own = limits.filter((l) => isFull(l, running));
    if (own.length) return { limited: Math.max(...own.map((l) => waitOf(l, running, now))) };
    parts = parts.filter((l) => !isFull(l, running));
    if (shared.length && !parts.length) return sharedFull(running, now);
    // Nothing full any more: a window ended in between. Bounded, whatever the clock does.
    if (++tries > shared.length + 2) return { limited: 1_000 };
    return attempt();
  };
  return attempt();
}

/** A stable index in [0, n) for `key` (FNV-1a). */
function spreadIndex(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}

/** The hold, decided and written with one point on each of `limits`; OverLimit when one is full. */
function holdWithPoints(
  store: Store,
  req: Parameters<typeof createHold>[1],
  limits: CounterLimit[],
  clock: () => number,
): Promise<HoldResult> {
  let attempt = 0;
  return store.write(
    async (tx): Promise<HoldResult> => {
      const now = clock();
      // Holds that ran out are deleted before a new one is written in their place: on SQLite every
      // time (cheap, in the one transaction), on PostgreSQL when its exclusion constraints
      // refused the first try (an expired hold stands in their way until it is deleted).
      if (tx.dialect === 'sqlite' || attempt++ > 0) await purgeExpiredHolds(tx, now, req.practiceId);
      // The busy times of the start, read with the practice's version: on the route's copy of
      // the configuration, which one statement then confirms (or, changed meanwhile, once more on
      // the configuration as it is).
      const windowOf = (config: PracticeConfig) => {
        const chain = config.chainById.get(req.chainId);
        const date = localDate(req.start, config.practice.timeZone);
        return chain
          ? busyWindow(config, chain, {
              from: date,
              to: date,
              therapist: req.therapistId,
              onlyStart: req.start,
              client: null,
              now,
            })
          : { therapistIds: [], roomIds: [], from: req.start, to: req.start, now };
      };
      let config = req.config;
      let { head, busy } = await loadBusyAndHead(tx, req.slug, windowOf(config));
      if (head?.id !== req.practiceId)
        throw new ApiError(404, 'practice_not_found', `No practice "${req.slug}".`);
      if (head.version !== config.version) {
        const current = await practiceConfigIn(store, tx, req.slug);
        if (!current) throw new ApiError(404, 'practice_not_found', `No practice "${req.slug}".`);
        config = current;
        busy = await loadBusy(tx, windowOf(config));
      }
      const decision = decideHold({ config, busy }, req, now);
      if (!decision.ok) return { refusal: decision.refusal };
      const h = decision.hold;
      const expiresAt = now + config.practice.holdMinutes * 60_000;
      const owner = req.owner ? ownerKeys(req.owner)[0]! : null;
      const id = await insertHold(
        tx,
        {
          practiceId: req.practiceId,
          chainId: h.chainId,
          therapistId: h.therapistId,
          roomId: h.roomId,
          start: h.start,
          end: h.end,
          bufferAfterMinutes: h.bufferAfterMinutes,
          blockedUntil: h.blockedUntil,
          expiresAt,
          owner,
          now,
        },
        // Counted once decided, with the hold: refused holds count nothing, and over a limit the
        // database refuses the points and the hold with them.
        pointWrites(limits, now),
      );
      return { hold: { id, ...h, expiresAt, owner } };
    },
    {
      // PostgreSQL: a start held or booked meanwhile by another instance; the next try decides anew.
      retries: 3,
      // The exclusion constraints (a start taken) and the limits' check guard the hold, written
      // in one statement: no transaction needed around the reads and that write on PostgreSQL.
      guardedByConstraints: true,
    },
  );
}

/** Lets a hold go before it runs out; 1 when it was there. */
export function releaseHold(store: Store, practiceId: number, holdId: number): Promise<number> {
  return store.write((tx) => deleteHold(tx, practiceId, holdId));
}
