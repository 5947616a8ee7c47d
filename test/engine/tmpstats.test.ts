import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BusyInterval,
  explainDay,
  naiveSearchSlots,
  type SlotSearchInput,
  type SlotSearchResult,
  type SlotTherapist,
  searchSlots,
  type WeeklyHours,
} from '../../server/engine/slots.ts';
import {
  addDays,
  DAY,
  formatMinute,
  HOUR,
  instantToLocal,
  localToInstant,
  MINUTE,
  parseMinute,
  startOfLocalDay,
  toIsoWithOffset,
} from '../../shared/time.ts';

const TZ='Europe/Berlin';
/** `undefined` three times in four, otherwise a value of `arb`. */
function sometimes<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
}

/** Random practices, calendars and policies around ordinary days and both clock changes. */
const searchInput = fc
  .record({
    from: fc.constantFrom('2026-03-27', '2026-06-10', '2026-10-23'),
    extraDays: fc.integer({ min: 0, max: 3 }),
    nowOffsetMinutes: fc.integer({ min: -2 * 1440, max: 3 * 1440 }),
    therapists: fc.uniqueArray(
      fc.record({
        id: fc.integer({ min: 1, max: 6 }),
        weeklyHours: fc.array(
          fc.record({
            weekday: fc.integer({ min: 1, max: 7 }),
            startMinute: fc.integer({ min: 0, max: 288 }).map((m) => m * 5),
            length: fc.integer({ min: 1, max: 144 }).map((m) => m * 5),
          }),
          { maxLength: 10 },
        ),
        exceptions: fc.array(
          fc.record({
            day: fc.integer({ min: -1, max: 4 }),
            kind: fc.constantFrom('closed' as const, 'open' as const),
            startMinute: fc.option(fc.integer({ min: 0, max: 288 }).map((m) => m * 5)),
            length: fc.integer({ min: 1, max: 144 }).map((m) => m * 5),
          }),
          { maxLength: 4 },
        ),
      }),
      { selector: (t) => t.id, minLength: 1, maxLength: 4 },
    ),
    notInChain: sometimes(fc.integer({ min: 1, max: 6 })),
    rooms: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
    busy: fc.array(
      fc.record({
        therapistId: fc.option(fc.integer({ min: 1, max: 6 })),
        roomId: fc.option(fc.integer({ min: 1, max: 4 })),
        startMinute: fc.integer({ min: -1440, max: 6 * 1440 }),
        length: fc.integer({ min: 0, max: 240 }),
      }),
      { maxLength: 80 },
    ),
    durationMinutes: fc.integer({ min: 1, max: 24 }).map((m) => m * 5),
    bufferAfterMinutes: fc.integer({ min: 0, max: 6 }).map((m) => m * 5),
    needsRoom: fc.boolean(),
    minNoticeMinutes: fc.integer({ min: 0, max: 1440 }),
    bookingWindowDays: fc.integer({ min: 0, max: 5 }),
    mode: fc.constantFrom('grid' as const, 'compact' as const),
    stepMinutes: fc.constantFrom(5, 10, 15, 20, 30, 45, 60),
    daypart: sometimes(fc.constantFrom('morning' as const, 'afternoon' as const, 'evening' as const)),
    therapistFilter: sometimes(fc.integer({ min: 1, max: 6 })),
    refuseEvery: sometimes(fc.integer({ min: 2, max: 7 })),
  })
  .map((r): SlotSearchInput => {
    const origin = startOfLocalDay(r.from, TZ);
    const base: SlotSearchInput = {
      now: origin + r.nowOffsetMinutes * MINUTE,
      timeZone: TZ,
      from: r.from,
      to: addDays(r.from, r.extraDays),
      chain: {
        id: 1,
        durationMinutes: r.durationMinutes,
        bufferAfterMinutes: r.bufferAfterMinutes,
        needsRoom: r.needsRoom,
        therapistIds: r.therapists.map((t) => t.id).filter((id) => id !== r.notInChain),
      },
      policy: {
        minNoticeMinutes: r.minNoticeMinutes,
        bookingWindowDays: r.bookingWindowDays,
        mode: r.mode,
        stepMinutes: r.stepMinutes,
      },
      therapists: r.therapists.map((t) => ({
        id: t.id,
        name: `T${t.id}`,
        weeklyHours: t.weeklyHours.map((w) => ({
          weekday: w.weekday,
          startMinute: w.startMinute,
          endMinute: Math.min(1440, w.startMinute + w.length),
        })),
        exceptions: t.exceptions.map((x) => ({
          date: addDays(r.from, x.day),
          kind: x.kind,
          startMinute: x.startMinute,
          endMinute: x.startMinute === null ? null : Math.min(1440, x.startMinute + x.length),
        })),
      })),
      rooms: r.rooms.map((id) => ({ id })),
      busy: r.busy.map((b) => ({
        therapistId: b.therapistId,
        roomId: b.roomId,
        start: origin + b.startMinute * MINUTE,
        end: origin + (b.startMinute + b.length) * MINUTE,
      })),
    };
    if (r.daypart) base.daypart = r.daypart;
    if (r.therapistFilter !== undefined) base.therapistId = r.therapistFilter;
    const every = r.refuseEvery;
    if (every !== undefined) {
      base.check = (start) => (Math.floor(start / MINUTE) % every === 0 ? { code: 'refused' } : null);
    }
    return base;
  });
it('stats', () => {
  fc.statistics(searchInput, (s) => {
    const r = searchSlots(s);
    const n = r.days.reduce((a, d) => a + d.slots.length, 0);
    return `${s.policy.mode} ${n === 0 ? 'empty' : n < 10 ? 'few' : 'many'}`;
  }, { numRuns: 2000 });
});
