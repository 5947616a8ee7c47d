/**
 * The slot search: which start times a service chain can be offered at, with which therapist and
 * room, and — in explain mode — why every other candidate start is not offered.
 *
 * Pure: `now`, the practice's time zone, the policy, working hours, rooms and the busy calendar all
 * come in as plain data. Instants are epoch milliseconds (UTC); working hours are wall-clock minutes
 * of a local day, converted to instants per day, so clock changes are handled day by day.
 *
 * Speed: busy intervals are bucketed per therapist and per room, sorted and merged once; each
 * candidate is then a few binary searches. `naiveSearchSlots` is the deliberately simple baseline
 * that tests every candidate against every busy interval — same result, for the benchmark.
 */

import { addDays, daysBetween, localDate, MINUTE, parseDate, startOfLocalDay } from '../../shared/time.ts';
import {
  covers,
  EMPTY_SET,
  type Interval,
  type IntervalSet,
  maxStartRanges,
  overlaps,
  startRangesInto,
  subtract,
  unionOf,
} from './intervals.ts';
import { type LocalDay, localDay } from './localDay.ts';
import { type Scratch, withScratch } from './scratch.ts';
import { type HoursException, type WeeklyHours, workingMinutes } from './workingHours.ts';

export type { HoursException, WeeklyHours } from './workingHours.ts';

export type Daypart = 'morning' | 'afternoon' | 'evening';
export type OfferingMode = 'grid' | 'compact';

export interface SlotChain {
  id: number;
  durationMinutes: number;
  /** Time the therapist (and room) stay blocked after the appointment. */
  bufferAfterMinutes: number;
  needsRoom: boolean;
  /** Therapists allowed to give this chain. */
  therapistIds: number[];
}

export interface SlotPolicy {
  /** A slot must start at least this long after `now`. */
  minNoticeMinutes: number;
  /** The last bookable local date is today + this many days. */
  bookingWindowDays: number;
  mode: OfferingMode;
  /** Grid step, aligned to the local wall clock (minute of day % step === 0). */
  stepMinutes: number;
}

export interface SlotTherapist {
  id: number;
  name: string;
  weeklyHours: WeeklyHours[];
  exceptions: HoursException[];
}

export interface SlotRoom {
  id: number;
}

/** A non-cancelled appointment; `end` already includes its buffer. */
export interface BusyInterval {
  therapistId: number | null;
  roomId: number | null;
  start: number;
  end: number;
  /** The appointment, where known: an edit leaves the appointment's own time out. */
  appointmentId?: number;
}

export interface SlotCheckFailure {
  code: string;
  detail?: string;
}

/**
 * A caller's condition per slot (package state, age); `null` means the slot is fine. Asked only for
 * starts that pass every other test, at most once per start and search, with the appointment's end
 * (without buffer).
 */
export type SlotCheck = (start: number, end: number) => SlotCheckFailure | null;

export interface SlotSearchInput {
  /** Epoch ms. */
  now: number;
  /** IANA zone of the practice, e.g. `Europe/Berlin`. */
  timeZone: string;
  /** Local dates `YYYY-MM-DD`, both inclusive. */
  from: string;
  to: string;
  chain: SlotChain;
  policy: SlotPolicy;
  therapists: SlotTherapist[];
  rooms: SlotRoom[];
  /** Non-cancelled appointments; sorted by start is fastest (nothing to sort), any order is correct. */
  busy: BusyInterval[];
  /** Only this therapist. */
  therapistId?: number;
  /**
   * Only this start (a booking re-checking the start it asks for): the result is exactly the
   * slots of the full search that begin at this instant.
   */
  onlyStart?: number;
  daypart?: Daypart;
  check?: SlotCheck;
}

/** An offered start; [start, end) is the appointment itself, without the buffer. */
export interface Slot {
  start: number;
  end: number;
  therapistId: number;
  therapistName: string;
  roomId: number | null;
}

export interface DaySlots {
  date: string;
  slots: Slot[];
}

export interface SlotSearchResult {
  /** Every local date from `from` to `to`, in order; a date without slots has an empty list. */
  days: DaySlots[];
}

/** The offered starts of one local date, each once, with the therapists who can take it. */
export interface DayStarts {
  date: string;
  /** Epoch ms, ascending. */
  starts: number[];
  /** Per start, the room it would take (the lowest-id free one), or null when the chain needs none. */
  rooms: (number | null)[];
  /**
   * Per start, `words` 32-bit words (start i's are `free[i * words …]`): bit b of word w set means
   * `therapists[32 * w + b]` can take it.
   */
  free: number[];
}

/** The same offer as `SlotSearchResult`, one entry per start rather than per start and therapist. */
export interface StartSearchResult {
  /** The therapists searched, by id: the bits of `DayStarts.free`. */
  therapists: { id: number; name: string }[];
  words: number;
  /** Every local date from `from` to `to`, in order. */
  days: DayStarts[];
}

/**
 * Why a candidate is not offered, in the order they are tested (the first that applies is given).
 * `leaves_gap` only occurs in compact mode: the therapist is free, but the start is not at an edge
 * of a free gap. Any other string is the `code` of the caller's `check`.
 */
export const REFUSAL_REASONS = [
  'outside_hours',
  'too_soon',
  'beyond_window',
  'daypart',
  'therapist_busy',
  'leaves_gap',
  'no_room',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface CandidateExplanation {
  start: number;
  end: number;
  therapistId: number;
  offered: boolean;
  /** `null` when offered; otherwise the first reason, or the code of the caller's check. */
  reason: RefusalReason | (string & {}) | null;
  detail?: string;
  /** The room the slot would take, when offered and the chain needs one. */
  roomId: number | null;
}

export interface DayExplanation {
  date: string;
  candidates: CandidateExplanation[];
}

/**
 * Time of day of a local start: morning before 12:00, afternoon 12:00–17:00, evening from 17:00.
 * @example daypartOf(12 * 60) === 'afternoon'
 */
export function daypartOf(minuteOfDay: number): Daypart {
  if (minuteOfDay < 12 * 60) return 'morning';
  if (minuteOfDay < 17 * 60) return 'afternoon';
  return 'evening';
}

/** The busy calendar as the search asks it. */
interface BusyIndex {
  therapistFree(therapistId: number, start: number, end: number): boolean;
  /** The lowest-id room free for [start, end), or `null`. */
  freeRoom(start: number, end: number): number | null;
  /**
   * Compact-mode starts, ascending: for every free gap (working blocks minus the therapist's busy
   * time) at least `length` long, its start and the start that ends exactly at its end.
   */
  gapEdges(therapistId: number, blocks: IntervalSet, length: number): number[];
  /**
   * The index itself, when there is one (not in the naive baseline): each plan therapist's busy
   * time (same order as `Plan.therapists`) and each room's, for the grid search's own loop.
   */
  sets?: { therapists: IntervalSet[]; rooms: { id: number; set: IntervalSet }[] };
}

/** Everything derived from the input that does not depend on the busy calendar. */
interface Plan {
  input: SlotSearchInput;
  /** Appointment length in ms. */
  slotMs: number;
  /** Appointment plus its own buffer, in ms: what must be free. */
  spanMs: number;
  step: number;
  /** Local days from `from − 1` to `to + 1`; the searched ones are 1 … days.length − 2. */
  days: LocalDay[];
  therapists: SlotTherapist[];
  /** Working minutes per therapist (same order) per day (same order as `days`). */
  minutes: (readonly Interval[])[][];
  /** Working blocks per therapist as instants, merged across midnight. */
  blocks: IntervalSet[];
  roomIds: number[];
  earliest: number;
  windowEnd: number;
}

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
}

function plan(input: SlotSearchInput): Plan {
  parseDate(input.from);
  parseDate(input.to);
  const count = daysBetween(input.from, input.to) + 1;
  if (count < 1) throw new RangeError(`from (${input.from}) is after to (${input.to})`);
  const { chain, policy, timeZone } = input;
  assertPositiveInteger(chain.durationMinutes, 'chain.durationMinutes');
  assertPositiveInteger(policy.stepMinutes, 'policy.stepMinutes');
  if (!(chain.bufferAfterMinutes >= 0)) throw new RangeError('chain.bufferAfterMinutes must not be negative');

  const days: LocalDay[] = [];
  for (let i = -1; i <= count; i++) days.push(localDay(addDays(input.from, i), timeZone));

  const allowed = new Set(chain.therapistIds);
  const therapists = input.therapists
    .filter((t) => allowed.has(t.id) && (input.therapistId === undefined || t.id === input.therapistId))
    .filter((t, i, all) => all.findIndex((o) => o.id === t.id) === i)
    .sort((a, b) => a.id - b.id);

  const minutes = therapists.map((t) => days.map((day) => workingMinutes(t, day.date, day.weekday)));
  const blocks = minutes.map((perDay) => {
    const starts: number[] = [];
    const ends: number[] = [];
    for (let d = 0; d < perDay.length; d++) {
      const day = days[d]!;
      const ranges = perDay[d]!;
      for (let k = 0; k < ranges.length; k++) {
        starts.push(day.atOrAfter(ranges[k]!.start));
        ends.push(day.atOrAfter(ranges[k]!.end));
      }
    }
    return unionOf(starts, ends);
  });

  const today = localDate(input.now, timeZone);
  return {
    input,
    slotMs: chain.durationMinutes * MINUTE,
    spanMs: (chain.durationMinutes + chain.bufferAfterMinutes) * MINUTE,
    step: policy.stepMinutes,
    days,
    therapists,
    minutes,
    blocks,
    roomIds: [...new Set(input.rooms.map((r) => r.id))].sort((a, b) => a - b),
    earliest: input.now + policy.minNoticeMinutes * MINUTE,
    windowEnd: startOfLocalDay(addDays(today, policy.bookingWindowDays + 1), timeZone),
  };
}

/** The instants that can matter: busy time outside them never touches a working block. */
function horizon(p: Plan): Interval {
  return { start: p.days[0]!.start, end: p.days[p.days.length - 1]!.end };
}

/** Busy intervals bucketed per therapist and per room, each bucket sorted and merged. */
function indexedBusy(p: Plan): BusyIndex {
  const { start: from, end: to } = horizon(p);
  type Bucket = { n: number; starts: number[]; ends: number[] };
  const bucket = (): Bucket => ({ n: 0, starts: [], ends: [] });
  const byTherapist = new Map<number, Bucket>(p.therapists.map((t) => [t.id, bucket()]));
  const byRoom = new Map<number, Bucket>(
    p.input.chain.needsRoom ? p.roomIds.map((id) => [id, bucket()]) : [],
  );
  // Into the buckets in any order: each is sorted by `unionOf` (a native sort of numbers, or none
  // where the database gave them in order). Counted first, so that each bucket's arrays are made
  // at their size instead of grown push by push (a week of 20 therapists is hundreds of intervals).
  const busy = p.input.busy;
  const inside = (b: BusyInterval) => b.end > b.start && b.end > from && b.start < to;
  for (let i = 0; i < busy.length; i++) {
    const b = busy[i]!;
    if (!inside(b)) continue;
    const t = b.therapistId === null ? undefined : byTherapist.get(b.therapistId);
    if (t) t.n++;
    const r = b.roomId === null ? undefined : byRoom.get(b.roomId);
    if (r) r.n++;
  }
  for (const map of [byTherapist, byRoom]) {
    for (const b of map.values()) {
      b.starts = new Array<number>(b.n);
      b.ends = new Array<number>(b.n);
      b.n = 0;
    }
  }
  for (let i = 0; i < busy.length; i++) {
    const b = busy[i]!;
    if (!inside(b)) continue;
    const t = b.therapistId === null ? undefined : byTherapist.get(b.therapistId);
    if (t) {
      t.starts[t.n] = b.start;
      t.ends[t.n++] = b.end;
    }
    const r = b.roomId === null ? undefined : byRoom.get(b.roomId);
    if (r) {
      r.starts[r.n] = b.start;
      r.ends[r.n++] = b.end;
    }
  }
  const therapistSets = new Map([...byTherapist].map(([id, b]) => [id, unionOf(b.starts, b.ends)]));
  const roomSets = [...byRoom].map(([id, b]) => ({ id, set: unionOf(b.starts, b.ends) }));
  const busyOf = (therapistId: number) => therapistSets.get(therapistId) ?? EMPTY_SET;
  return {
    sets: { therapists: p.therapists.map((t) => busyOf(t.id)), rooms: roomSets },
    therapistFree: (therapistId, start, end) => !overlaps(busyOf(therapistId), start, end),
    freeRoom(start, end) {
      for (const room of roomSets) if (!overlaps(room.set, start, end)) return room.id;
      return null;
    },
    gapEdges(therapistId, blocks, length) {
      const edges: number[] = [];
      for (const gap of subtract(blocks, busyOf(therapistId))) {
        if (gap.end - gap.start < length) continue;
        edges.push(gap.start);
        if (gap.end - length !== gap.start) edges.push(gap.end - length);
      }
      return edges;
    },
  };
}

/** The baseline: every question scans the whole busy list. */
function scannedBusy(p: Plan): BusyIndex {
  const busy = p.input.busy.filter((b) => b.end > b.start);
  const therapistFree = (therapistId: number, start: number, end: number) => {
    for (const b of busy) if (b.therapistId === therapistId && b.start < end && start < b.end) return false;
    return true;
  };
  return {
    therapistFree,
    freeRoom(start, end) {
      for (const id of p.roomIds) {
        let free = true;
        for (const b of busy) {
          if (b.roomId === id && b.start < end && start < b.end) {
            free = false;
            break;
          }
        }
        if (free) return id;
      }
      return null;
    },
    gapEdges(therapistId, blocks, length) {
      // A free start is a gap's start exactly when a block or an appointment ends there, and ends a
      // gap exactly when a block ends or an appointment starts right after it.
      const candidates: number[] = [];
      for (let i = 0; i < blocks.starts.length; i++)
        candidates.push(blocks.starts[i]!, blocks.ends[i]! - length);
      for (const b of busy) if (b.therapistId === therapistId) candidates.push(b.end, b.start - length);
      return [...new Set(candidates)]
        .filter((t) => covers(blocks, t, t + length) && therapistFree(therapistId, t, t + length))
        .sort((a, b) => a - b);
    },
  };
}

interface Assessment {
  reason: string | null;
  detail?: string;
  roomId: number | null;
}

const OUTSIDE_HOURS: Assessment = { reason: 'outside_hours', roomId: null };
const TOO_SOON: Assessment = { reason: 'too_soon', roomId: null };
const BEYOND_WINDOW: Assessment = { reason: 'beyond_window', roomId: null };
const WRONG_DAYPART: Assessment = { reason: 'daypart', roomId: null };
const THERAPIST_BUSY: Assessment = { reason: 'therapist_busy', roomId: null };
const LEAVES_GAP: Assessment = { reason: 'leaves_gap', roomId: null };
const NO_ROOM: Assessment = { reason: 'no_room', roomId: null };

/**
 * The tests for one candidate start, split so that a search can ask the therapist-independent ones
 * once per start. Together, in this order, they give the explain mode's first reason.
 */
function assessor(p: Plan, busy: BusyIndex) {
  const { input, slotMs, spanMs, earliest, windowEnd } = p;
  const daypart = input.daypart;
  const needsRoom = input.chain.needsRoom;
  const check = input.check;
  const checked = new Map<number, SlotCheckFailure | null>();
  return {
    /** Whether the therapist (index into `p.therapists`) works for the whole appointment and buffer. */
    inHours: (therapist: number, start: number): boolean =>
      covers(p.blocks[therapist]!, start, start + spanMs),
    /** Notice, window and time of day: the same for every therapist. */
    timing(start: number, minuteOfDay: number): Assessment | null {
      if (start < earliest) return TOO_SOON;
      if (start >= windowEnd) return BEYOND_WINDOW;
      if (daypart !== undefined && daypartOf(minuteOfDay) !== daypart) return WRONG_DAYPART;
      return null;
    },
    /** The therapist's calendar, the compact edges (explain only), a room, the caller's check. */
    rest(therapist: number, start: number, edges?: Set<number>): Assessment {
      if (!busy.therapistFree(p.therapists[therapist]!.id, start, start + spanMs)) return THERAPIST_BUSY;
      if (edges && !edges.has(start)) return LEAVES_GAP;
      let roomId: number | null = null;
      if (needsRoom) {
        roomId = busy.freeRoom(start, start + spanMs);
        if (roomId === null) return NO_ROOM;
      }
      if (check) {
        let failure = checked.get(start);
        if (failure === undefined) {
          failure = check(start, start + slotMs);
          checked.set(start, failure);
        }
        if (failure) {
          return failure.detail === undefined
            ? { reason: failure.code, roomId: null }
            : { reason: failure.code, detail: failure.detail, roomId: null };
        }
      }
      return { reason: null, roomId };
    },
  };
}

/** Index of the day in `days` that contains `instant`. */
function dayIndexOf(days: readonly LocalDay[], instant: number): number {
  let lo = 0;
  let hi = days.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (days[mid]!.start <= instant) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function byStartThenTherapist(a: { start: number; therapistId: number }, b: typeof a): number {
  return a.start - b.start || a.therapistId - b.therapistId;
}

function search(p: Plan, busy: BusyIndex): SlotSearchResult {
  const assess = assessor(p, busy);
  const last = p.days.length - 2;
  const perDay: Slot[][] = p.days.map(() => []);
  const offer = (ti: number, d: number, start: number) => {
    if (!assess.inHours(ti, start)) return;
    const a = assess.rest(ti, start);
    if (a.reason !== null) return;
    const t = p.therapists[ti]!;
    perDay[d]!.push({
      start,
      end: start + p.slotMs,
      therapistId: t.id,
      therapistName: t.name,
      roomId: a.roomId,
    });
  };

  const only = p.input.onlyStart;
  if (p.input.policy.mode === 'compact') {
    p.therapists.forEach((therapist, ti) => {
      for (const start of busy.gapEdges(therapist.id, p.blocks[ti]!, p.spanMs)) {
        if (only !== undefined && start !== only) continue;
        const d = dayIndexOf(p.days, start);
        if (d < 1 || d > last || assess.timing(start, p.days[d]!.minuteOf(start))) continue;
        offer(ti, d, start);
      }
    });
  } else {
    // Grid: minute by minute, then therapist by therapist, so each day comes out already sorted.
    // A plain array: a typed one of more than 16 numbers would have a store outside the heap (scratch.ts).
    const cursor = new Array<number>(p.therapists.length).fill(0);
    for (let d = 1; d <= last; d++) {
      const grid = gridOf(p, d);
      if (!grid) continue;
      const { day, ranges, end } = grid;
      cursor.fill(0);
      for (let m = grid.from; m < end; m += p.step) {
        const start = day.at(m);
        if (only !== undefined && start !== only) continue;
        if (start === null || assess.timing(start, m)) continue;
        for (let ti = 0; ti < ranges.length; ti++) {
          const own = ranges[ti]!;
          let k = cursor[ti]!;
          while (k < own.length && own[k]!.end <= m) k++;
          cursor[ti] = k;
          if (k < own.length && own[k]!.start <= m) offer(ti, d, start);
        }
      }
    }
  }

  const days: DaySlots[] = [];
  for (let d = 1; d <= last; d++) {
    days.push({ date: p.days[d]!.date, slots: perDay[d]!.sort(byStartThenTherapist) });
  }
  return { days };
}

/**
 * The grid search on the busy index, start by start: the same tests in the same order as `offer`
 * (working hours and the therapist's calendar, a room, the caller's check), with the room and the
 * check asked once per start whatever the number of therapists. Each therapist's working blocks
 * minus its busy time are turned once into the ranges its starts may lie in (every gap shortened
 * by the appointment and its buffer). Per day, the grid starts that pass the timing tests are
 * gathered first; then each therapist's ranges and those starts are walked side by side, setting
 * the therapist's bit of every start inside a range — a comparison or two per start and
 * therapist and no object (a week of 20 therapists is thousands of them). A start some therapist
 * can take asks the rooms in id order, each by a cursor into its busy time (no binary search per
 * start and room). Each therapist's and each room's cursor is kept from day to day: it relies on
 * the starts rising from day to day and minute to minute, which they do also over a clock change:
 * a wall-clock time that occurs twice is taken at its first instant (`LocalDay.at`; the property
 * test against the naive search runs on both change days).
 */
function gridStarts(
  p: Plan,
  sets: NonNullable<BusyIndex['sets']>,
  timing: (start: number, minuteOfDay: number) => Assessment | null,
): StartSearchResult {
  return withScratch((scratch) => gridStartsWith(scratch, p, sets, timing));
}

/** `gridStarts`, its arrays cut from `scratch` (none of them is returned). */
function gridStartsWith(
  scratch: Scratch,
  p: Plan,
  sets: NonNullable<BusyIndex['sets']>,
  timing: (start: number, minuteOfDay: number) => Assessment | null,
): StartSearchResult {
  const { spanMs, step, therapists, blocks, input } = p;
  const check = input.check;
  const needsRoom = input.chain.needsRoom;
  const only = input.onlyStart;
  const rooms = sets.rooms;
  const n = therapists.length;
  const words = Math.max(1, (n + 31) >>> 5);
  // Every therapist's start ranges in one pair of arrays: therapist ti's from cursor[ti] (its
  // first) to rangesEnd[ti].
  const cursor = scratch.int32(n);
  let total = 0;
  for (let ti = 0; ti < n; ti++) {
    cursor[ti] = total;
    total += maxStartRanges(blocks[ti]!, sets.therapists[ti]!);
  }
  const ranges = { lo: scratch.float64(total), hi: scratch.float64(total) };
  const { lo, hi } = ranges;
  const rangesEnd = scratch.int32(n);
  for (let ti = 0; ti < n; ti++) {
    rangesEnd[ti] = startRangesInto(blocks[ti]!, sets.therapists[ti]!, spanMs, ranges, cursor[ti]!);
  }
  const roomCursor = scratch.int32(rooms.length);
  // A day's grid starts that pass the timing tests, and their therapists' bits. The grid counts
  // wall-clock minutes in [0, 1440] (working minutes are clamped to them), so a day has at most
  // this many, also with a clock change.
  const capacity = Math.ceil(1440 / step) + 1;
  const candidates = scratch.float64(capacity);
  const bits = scratch.int32(capacity * words);
  const days: DayStarts[] = [];
  const last = p.days.length - 2;
  for (let d = 1; d <= last; d++) {
    const out: DayStarts = { date: p.days[d]!.date, starts: [], rooms: [], free: [] };
    days.push(out);
    const grid = gridOf(p, d);
    if (!grid) continue;
    const { day, end } = grid;
    let count = 0;
    for (let m = grid.from; m < end; m += step) {
      const start = day.at(m);
      if (start === null || (only !== undefined && start !== only) || timing(start, m)) continue;
      candidates[count++] = start;
    }
    if (count === 0) continue;
    bits.fill(0, 0, count * words);
    // Therapist by therapist, the day's starts and the therapist's ranges walked side by side.
    for (let ti = 0; ti < n; ti++) {
      const word = ti >>> 5;
      const bit = 1 << (ti & 31);
      const kEnd = rangesEnd[ti]!;
      let k = cursor[ti]!;
      let j = 0;
      while (j < count && k < kEnd) {
        const start = candidates[j]!;
        if (hi[k]! < start) {
          k++;
          continue;
        }
        if (lo[k]! <= start) bits[j * words + word]! |= bit;
        j++;
      }
      cursor[ti] = k;
    }
    for (let j = 0; j < count; j++) {
      let any = 0;
      for (let w = 0; w < words; w++) any |= bits[j * words + w]!;
      if (any === 0) continue;
      const start = candidates[j]!;
      const until = start + spanMs;
      let roomId: number | null = null;
      if (needsRoom) {
        // Each room's first interval ending after the start, by a cursor kept like the therapists'.
        for (let r = 0; r < rooms.length; r++) {
          const { starts, ends } = rooms[r]!.set;
          let k = roomCursor[r]!;
          while (k < ends.length && ends[k]! <= start) k++;
          roomCursor[r] = k;
          if (k === starts.length || starts[k]! >= until) {
            roomId = rooms[r]!.id;
            break;
          }
        }
        if (roomId === null) continue;
      }
      // The check does not depend on the therapist: refused for one, refused for all.
      if (check?.(start, start + p.slotMs)) continue;
      out.starts.push(start);
      out.rooms.push(roomId);
      for (let w = 0; w < words; w++) out.free.push(bits[j * words + w]!);
    }
  }
  return { therapists: therapists.map((t) => ({ id: t.id, name: t.name })), words, days };
}

/** One slot per start and therapist who can take it, sorted by start, then therapist. */
function slotsOfStarts(p: Plan, r: StartSearchResult): SlotSearchResult {
  return {
    days: r.days.map((day) => {
      const slots: Slot[] = [];
      for (let i = 0; i < day.starts.length; i++) {
        const start = day.starts[i]!;
        for (let ti = 0; ti < r.therapists.length; ti++) {
          if (!((day.free[i * r.words + (ti >>> 5)]! >>> (ti & 31)) & 1)) continue;
          const t = r.therapists[ti]!;
          slots.push({
            start,
            end: start + p.slotMs,
            therapistId: t.id,
            therapistName: t.name,
            roomId: day.rooms[i]!,
          });
        }
      }
      return { date: day.date, slots };
    }),
  };
}

/** The slots of a search grouped by start (the therapists of `p` by id are the bits). */
function startsOfSlots(p: Plan, r: SlotSearchResult): StartSearchResult {
  const words = Math.max(1, (p.therapists.length + 31) >>> 5);
  const index = new Map(p.therapists.map((t, i) => [t.id, i]));
  return {
    therapists: p.therapists.map((t) => ({ id: t.id, name: t.name })),
    words,
    days: r.days.map(({ date, slots }) => {
      const day: DayStarts = { date, starts: [], rooms: [], free: [] };
      for (const s of slots) {
        let i = day.starts.length - 1;
        if (day.starts[i] !== s.start) {
          day.starts.push(s.start);
          day.rooms.push(s.roomId);
          for (let w = 0; w < words; w++) day.free.push(0);
          i++;
        }
        const ti = index.get(s.therapistId)!;
        day.free[i * words + (ti >>> 5)]! |= 1 << (ti & 31);
      }
      return day;
    }),
  };
}

/**
 * The grid minutes of day `d` a search walks, [from, end) in steps: from the earliest to the latest
 * working minute of any of the plan's therapists — only the minute of `onlyStart` when there is
 * one — with each therapist's working minutes that day; null for a day with nothing to search.
 */
function gridOf(
  p: Plan,
  d: number,
): { day: LocalDay; ranges: (readonly Interval[])[]; from: number; end: number } | null {
  const day = p.days[d]!;
  const only = p.input.onlyStart;
  if (day.end <= p.earliest || day.start >= p.windowEnd) return null;
  if (only !== undefined && (only < day.start || only >= day.end)) return null;
  const ranges = p.minutes.map((perDay) => perDay[d]!);
  const { lo, hi } = span(ranges);
  const from = Math.ceil(lo / p.step) * p.step;
  if (only === undefined) return { day, ranges, from, end: hi };
  // The grid minute of that instant alone, when it is one.
  const minute = day.minuteOf(only);
  if (minute % p.step !== 0 || minute < from) return null;
  return { day, ranges, from: minute, end: Math.min(hi, minute + 1) };
}

/** The earliest start and latest end of several therapists' working minutes on a day. */
function span(ranges: readonly (readonly Interval[])[]): { lo: number; hi: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < ranges.length; t++) {
    const own = ranges[t]!;
    for (let k = 0; k < own.length; k++) {
      lo = Math.min(lo, own[k]!.start);
      hi = Math.max(hi, own[k]!.end);
    }
  }
  return { lo, hi };
}

/**
 * The slots of a chain from `from` to `to`, grouped by local date (every date listed), sorted by
 * start, then therapist; a start several therapists can take appears once per therapist.
 * @example
 * searchSlots({ now, timeZone: 'Europe/Berlin', from: '2026-06-10', to: '2026-06-10', chain, policy,
 *   therapists, rooms, busy }).days[0].slots[0] // { start, end, therapistId, therapistName, roomId }
 */
export function searchSlots(input: SlotSearchInput): SlotSearchResult {
  const p = plan(input);
  const busy = indexedBusy(p);
  if (input.policy.mode === 'grid')
    return slotsOfStarts(p, gridStarts(p, busy.sets!, assessor(p, busy).timing));
  return search(p, busy);
}

/**
 * The same offer as `searchSlots`, one entry per start with the therapists who can take it as bits
 * (the widget's compact answer): a start several therapists can take is one entry, not one each.
 * @example
 * const r = searchStarts(input); // r.therapists[0] can take r.days[0].starts[0] if r.days[0].free[0] & 1
 */
export function searchStarts(input: SlotSearchInput): StartSearchResult {
  const p = plan(input);
  const busy = indexedBusy(p);
  if (input.policy.mode === 'grid') return gridStarts(p, busy.sets!, assessor(p, busy).timing);
  return startsOfSlots(p, search(p, busy));
}

/**
 * Same result as `searchSlots`, computed the way older booking engines do: every candidate start is
 * tested against every busy interval. Only for comparison in the benchmark and the tests.
 */
export function naiveSearchSlots(input: SlotSearchInput): SlotSearchResult {
  const p = plan(input);
  return search(p, scannedBusy(p));
}

/** Why a start that staff chose cannot be taken. */
export type StartRefusal = 'outside_hours' | 'therapist_busy' | 'no_room';

/**
 * One start for one therapist, as staff book it: any minute (no grid, no notice, window or time of
 * day), the therapist working for the whole appointment and its buffer (unless `ignoreHours`), not
 * busy, and — when the chain needs a room — the lowest-id free room of `input.rooms` (pass just
 * the room staff chose to test only that one). `input.from` must be the start's local date.
 * @example assessStart(input, start, 7) // { reason: null, roomId: 2 } or { reason: 'therapist_busy', roomId: null }
 */
export function assessStart(
  input: SlotSearchInput,
  start: number,
  therapistId: number,
  options: { ignoreHours?: boolean } = {},
): { reason: StartRefusal | null; roomId: number | null } {
  const p = plan({ ...input, chain: { ...input.chain, therapistIds: [therapistId] }, therapistId });
  const ti = p.therapists.findIndex((t) => t.id === therapistId);
  // Busy time is indexed for the therapists of the plan only: one missing would look free.
  if (ti < 0) throw new RangeError(`therapist ${therapistId} is not among input.therapists`);
  const end = start + p.spanMs;
  if (!options.ignoreHours && !covers(p.blocks[ti]!, start, end))
    return { reason: 'outside_hours', roomId: null };
  const busy = indexedBusy(p);
  if (!busy.therapistFree(therapistId, start, end)) return { reason: 'therapist_busy', roomId: null };
  if (!input.chain.needsRoom) return { reason: null, roomId: null };
  const roomId = busy.freeRoom(start, end);
  return roomId === null ? { reason: 'no_room', roomId: null } : { reason: null, roomId };
}

/**
 * For one day (`from === to`): every candidate start per therapist with the reason it is offered or
 * the first reason it is not (`REFUSAL_REASONS` order, then the caller's check). Candidates are the
 * local grid points from the earliest to the latest working minute of any of the chain's
 * therapists that day — in compact mode plus each therapist's gap edges — whatever the time of day,
 * notice or window. The offered candidates are exactly what `searchSlots` returns for that day.
 */
export function explainDay(input: SlotSearchInput): DayExplanation {
  if (input.from !== input.to) throw new RangeError('explainDay needs from === to');
  const p = plan(input);
  const busy = indexedBusy(p);
  const assess = assessor(p, busy);
  const day = p.days[1]!;
  const compact = p.input.policy.mode === 'compact';

  const { lo, hi } = span(p.minutes.map((perDay) => perDay[1]!));
  const grid: { start: number; minute: number }[] = [];
  for (let m = Math.ceil(lo / p.step) * p.step; m < hi; m += p.step) {
    const start = day.at(m);
    if (start !== null) grid.push({ start, minute: m });
  }

  const candidates: CandidateExplanation[] = [];
  p.therapists.forEach((therapist, ti) => {
    const starts = new Map(grid.map((g) => [g.start, g.minute]));
    let edges: Set<number> | undefined;
    if (compact) {
      edges = new Set(
        busy.gapEdges(therapist.id, p.blocks[ti]!, p.spanMs).filter((t) => t >= day.start && t < day.end),
      );
      for (const t of edges) if (!starts.has(t)) starts.set(t, day.minuteOf(t));
    }
    for (const [start, minute] of starts) {
      const a = assess.inHours(ti, start)
        ? (assess.timing(start, minute) ?? assess.rest(ti, start, edges))
        : OUTSIDE_HOURS;
      const row: CandidateExplanation = {
        start,
        end: start + p.slotMs,
        therapistId: therapist.id,
        offered: a.reason === null,
        reason: a.reason,
        roomId: a.roomId,
      };
      if (a.detail !== undefined) row.detail = a.detail;
      candidates.push(row);
    }
  });
  return { date: day.date, candidates: candidates.sort(byStartThenTherapist) };
}
