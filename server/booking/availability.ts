/**
 * What can be booked: the practice and chain checks every public endpoint shares, and the slot
 * engine run on the busy times the store loads.
 */
import { loadBusyAndHead } from '../db/queries/calendar.ts';
import type { Store } from '../db/store.ts';
import { busyWindow, type SlotQuery, slotSearchInput } from '../engine/availability.ts';
import type { Chain, PracticeConfig } from '../engine/config.ts';
import { type ClientBudget, evaluateRules } from '../engine/eligibility.ts';
import type { SlotSearchInput } from '../engine/slots.ts';
import { ApiError } from '../problem.ts';
import { practiceConfig } from './config.ts';

/** The practice of the path (its configuration), or 404; 403 when it has switched online booking off. */
export async function bookablePractice(store: Store, slug: string): Promise<PracticeConfig> {
  return bookable(await practiceConfig(store, slug), slug);
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
export function chainOf(config: PracticeConfig, id: number): Chain {
  const chain = config.chainById.get(id);
  if (!chain) throw new ApiError(404, 'chain_not_found', `No chain ${id} in this practice.`);
  return chain;
}

/** Whether a chain is offered to this file (anonymous: a file with no packages) at `now`. */
export function offeredNow(chain: Chain, client: ClientBudget | null, now: number) {
  const end = now + chain.durationMinutes * 60_000;
  return evaluateRules(chain, client, now, end, now);
}

/**
 * Free slots of a chain for a file (or an anonymous visitor) over a range of local dates; undefined
 * when `config` is no longer the practice's configuration (its version moved, or the slug went
 * elsewhere): the busy times are read with the practice's version in one statement, so a copy kept
 * in memory needs no round trip of its own to be checked. `search` gives the answer's form: the
 * slots (`searchSlots`) or the starts with their therapists (`searchStarts`).
 */
export async function findSlots<R>(
  store: Store,
  config: PracticeConfig,
  chain: Chain,
  q: SlotQuery,
  search: (input: SlotSearchInput) => R,
): Promise<R | undefined> {
  const { head, busy } = await store.read(
    (tx) => loadBusyAndHead(tx, config.practice.slug, busyWindow(config, chain, q)),
    { short: true },
  );
  if (head?.id !== config.practice.id || head.version !== config.version) return undefined;
  return search(slotSearchInput(config, chain, q, busy));
}
