/**
 * A practice's configuration as the rules see it: its settings, services, chains (with lines,
 * therapists and package rules), therapists (weekly hours and exceptions) and rooms. Plain data,
 * loaded by the store and passed in; nothing here reads a database.
 */

import { DEFAULT_ONLINE_LIMITS, type OnlineLimits } from '../../shared/onlineLimits.ts';
import type { EligibilityChain } from './eligibility.ts';
import type { SlotTherapist } from './slots.ts';
import type { HoursException } from './workingHours.ts';

export type PlanName = 'S' | 'M' | 'L' | 'XL' | 'XXL';

/** A practice's own settings. */
export interface Practice {
  id: number;
  slug: string;
  name: string;
  plan: PlanName;
  timeZone: string;
  onlineBookingEnabled: boolean;
  minNoticeMinutes: number;
  bookingWindowDays: number;
  slotMode: 'grid' | 'compact';
  slotStepMinutes: number;
  cancelDeadlineMinutes: number;
  allowedOrigins: string[];
  privacyNoticeUrl: string | null;
  contactEmail: string | null;
  /** Minutes a hold keeps a start for the client who chose it. */
  holdMinutes: number;
  /** Future online bookings a client file may have open at once. */
  maxOpenOnlineBookings: number;
  /** Whether e-mail subjects and calendar entries name the service; by default only "Termin". */
  mailNamesService: boolean;
  /** The limits on what one client address may do online at this practice. */
  onlineLimits: OnlineLimits;
  /** Raised on every change to anything that decides what can be booked. */
  configVersion: number;
}

export { DEFAULT_ONLINE_LIMITS, type OnlineLimits, type RateWindow } from '../../shared/onlineLimits.ts';

/** A practice's limits: its own overrides (as stored) over the defaults. */
export function onlineLimitsOf(overrides: Partial<OnlineLimits> | null | undefined): OnlineLimits {
  return { ...DEFAULT_ONLINE_LIMITS, ...(overrides ?? {}) };
}

/** A service (Leistung): its code, today's price and duration. */
export interface Service {
  id: number;
  code: string;
  name: string;
  priceCents: number;
  durationMinutes: number;
}

/** A service chain with everything the rules and the slot search need. */
export interface Chain extends EligibilityChain {
  key: string;
  name: string;
  description: string;
  /** The chain's own duration, or the sum of its lines' durations. */
  durationMinutes: number;
  bufferAfterMinutes: number;
  needsRoom: boolean;
  onlineBookable: boolean;
  minNoticeMinutes: number | null;
  bookingWindowDays: number | null;
  /** Its therapists (active ones). */
  therapistIds: number[];
  /** Those of them clients may book online. */
  onlineTherapistIds: number[];
  priceCents: number;
  /** Service ids per line, in the order of `lines`. */
  serviceIds: number[];
}

export interface Room {
  id: number;
  name: string;
}

export interface PracticeConfig {
  practice: Practice;
  /** The `configVersion` this copy was loaded at. */
  version: number;
  /** Every chain, in the practice's order. */
  chains: readonly Chain[];
  chainById: ReadonlyMap<number, Chain>;
  /** Every therapist with weekly hours and all exceptions (sorted by date); `active` false ones too. */
  therapistById: ReadonlyMap<number, SlotTherapist & { active: boolean }>;
  rooms: readonly Room[];
  serviceById: ReadonlyMap<number, Service>;
}

/**
 * The therapists of `ids` (in that order, unknown ones left out) with the exceptions between two
 * local dates (inclusive), for the slot engine.
 */
export function therapistsFor(
  config: PracticeConfig,
  ids: readonly number[],
  fromDate: string,
  toDate: string,
): SlotTherapist[] {
  const out: SlotTherapist[] = [];
  for (const id of ids) {
    const t = config.therapistById.get(id);
    if (!t) continue;
    out.push({
      id: t.id,
      name: t.name,
      weeklyHours: t.weeklyHours,
      exceptions: between(t.exceptions, fromDate, toDate),
    });
  }
  return out;
}

/** The exceptions dated fromDate…toDate of a list sorted by date. */
function between(sorted: HoursException[], fromDate: string, toDate: string): HoursException[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.date < fromDate) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < sorted.length && sorted[end]!.date <= toDate) end++;
  return sorted.slice(lo, end);
}

const PACKAGE_PLANS = new Set<PlanName>(['L', 'XL', 'XXL']);

/** Packages need plan L or higher; below that, chains with package rules are not offered online. */
export function planAllowsPackages(plan: PlanName): boolean {
  return PACKAGE_PLANS.has(plan);
}

/** Online-bookable, and its package rules usable on the practice's plan. */
export function onlineChain(practice: Practice, chain: Chain): boolean {
  return chain.onlineBookable && (chain.rules.length === 0 || planAllowsPackages(practice.plan));
}
