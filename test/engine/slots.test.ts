import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unionOf } from '../../server/engine/intervals.ts';
import {
  type BusyInterval,
  explainDay,
  naiveSearchSlots,
  type SlotSearchInput,
  type SlotSearchResult,
  type SlotTherapist,
  type StartSearchResult,
  searchSlots,
  searchStarts,
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

const TZ = 'Europe/Berlin';
// 2026-06-08 is a Monday; 2026-06-10 a Wednesday; 2026-06-13/14 the weekend.
const WEDNESDAY = '2026-06-10';

/** The instant the Berlin wall clock shows `hhmm` on `date`. */
function at(date: string, hhmm: string): number {
  const t = localToInstant(date, parseMinute(hhmm), TZ);
  if (t === null) throw new Error(`${date} ${hhmm} does not exist`);
  return t;
}

/** Local `HH:MM` of an instant. */
function hm(instant: number): string {
  return formatMinute(instantToLocal(instant, TZ).minuteOfDay);
}

function hours(weekdays: number[], from: string, to: string): WeeklyHours[] {
  return weekdays.map((weekday) => ({ weekday, startMinute: parseMinute(from), endMinute: parseMinute(to) }));
}

const MON_TO_FRI = [1, 2, 3, 4, 5];
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

function therapist(
  id: number,
  name: string,
  weeklyHours: WeeklyHours[],
  exceptions: SlotTherapist['exceptions'] = [],
) {
  return { id, name, weeklyHours, exceptions };
}

const anna = therapist(1, 'Anna', hours(MON_TO_FRI, '08:00', '12:00'));
const ben = therapist(2, 'Ben', hours(MON_TO_FRI, '08:00', '12:00'));

function appointment(
  therapistId: number | null,
  roomId: number | null,
  date: string,
  from: string,
  to: string,
): BusyInterval {
  return { therapistId, roomId, start: at(date, from), end: at(date, to) };
}

/** A Wednesday search for a 60-minute chain on a 30-minute grid, booked a week ahead. */
function input(over: Partial<SlotSearchInput> = {}): SlotSearchInput {
  return {
    now: at('2026-06-01', '00:00'),
    timeZone: TZ,
    from: WEDNESDAY,
    to: WEDNESDAY,
    chain: { id: 1, durationMinutes: 60, bufferAfterMinutes: 0, needsRoom: false, therapistIds: [1, 2] },
    policy: { minNoticeMinutes: 0, bookingWindowDays: 365, mode: 'grid', stepMinutes: 30 },
    therapists: [anna],
    rooms: [],
    busy: [],
    ...over,
  };
}

function day(result: SlotSearchResult, date: string) {
  const found = result.days.find((d) => d.date === date);
  if (!found) throw new Error(`${date} not listed`);
  return found.slots;
}

/** Local start times offered on `date`. */
function startsOn(result: SlotSearchResult, date = WEDNESDAY): string[] {
  return day(result, date).map((s) => hm(s.start));
}

/** `HH:MM name room` per slot, for searches with several therapists or rooms. */
function offersOn(result: SlotSearchResult, date = WEDNESDAY): string[] {
  return day(result, date).map((s) => `${hm(s.start)} ${s.therapistName} room ${s.roomId ?? '-'}`);
}

describe('searchSlots on an ordinary day (grid mode)', () => {
  it('offers every 30 minutes from 08:00 while a 60-minute appointment still ends by 12:00', () => {
    const result = searchSlots(input());
    expect(startsOn(result)).toEqual(['08:00', '08:30', '09:00', '09:30', '10:00', '10:30', '11:00']);
    expect(day(result, WEDNESDAY)[0]).toEqual({
      start: at(WEDNESDAY, '08:00'),
      end: at(WEDNESDAY, '09:00'),
      therapistId: 1,
      therapistName: 'Anna',
      roomId: null,
    });
  });

  it('aligns the grid to the local wall clock, not to the start of the working hours', () => {
    const odd = therapist(1, 'Anna', hours([3], '08:10', '10:00'));
    const result = searchSlots(
      input({ therapists: [odd], chain: { ...input().chain, durationMinutes: 30 } }),
    );
    expect(startsOn(result)).toEqual(['08:30', '09:00', '09:30']);
  });

  it('lists every date of the range, the weekend without hours with an empty list', () => {
    const result = searchSlots(input({ from: '2026-06-12', to: '2026-06-15' }));
    expect(result.days.map((d) => [d.date, d.slots.length])).toEqual([
      ['2026-06-12', 7],
      ['2026-06-13', 0],
      ['2026-06-14', 0],
      ['2026-06-15', 7],
    ]);
  });

  it('offers a start once per therapist who can take it, sorted by start then therapist', () => {
    const result = searchSlots(input({ therapists: [ben, anna] }));
    expect(offersOn(result).slice(0, 4)).toEqual([
      '08:00 Anna room -',
      '08:00 Ben room -',
      '08:30 Anna room -',
      '08:30 Ben room -',
    ]);
  });

  it('offers nobody outside the chain’s therapists', () => {
    const result = searchSlots(
      input({ therapists: [anna, ben], chain: { ...input().chain, therapistIds: [2] } }),
    );
    expect(new Set(day(result, WEDNESDAY).map((s) => s.therapistName))).toEqual(new Set(['Ben']));
  });

  it('rejects a reversed range', () => {
    expect(() => searchSlots(input({ from: '2026-06-11', to: '2026-06-10' }))).toThrow(RangeError);
  });
});

describe('clock changes in Europe/Berlin', () => {
  const now = at('2026-03-01', '00:00');
  const allWeek = therapist(1, 'Anna', hours(EVERY_DAY, '08:00', '18:00'));
  const nights = therapist(1, 'Anna', hours(EVERY_DAY, '01:00', '04:00'));

  it('offers 08:00 to 17:00 (19 starts) on 2026-03-29, when clocks go forward', () => {
    const date = '2026-03-29';
    const result = searchSlots(input({ now, from: date, to: date, therapists: [allWeek] }));
    const slots = day(result, date);
    expect(slots).toHaveLength(19);
    expect(toIsoWithOffset(slots[0]!.start, TZ)).toBe('2026-03-29T08:00:00+02:00');
    expect(toIsoWithOffset(slots.at(-1)!.start, TZ)).toBe('2026-03-29T17:00:00+02:00');
    expect(toIsoWithOffset(slots.at(-1)!.end, TZ)).toBe('2026-03-29T18:00:00+02:00');
  });

  it('offers 08:00 to 17:00 (19 starts) on 2026-10-25, when clocks go back', () => {
    const date = '2026-10-25';
    const result = searchSlots(input({ now, from: date, to: date, therapists: [allWeek] }));
    const slots = day(result, date);
    expect(slots).toHaveLength(19);
    expect(toIsoWithOffset(slots[0]!.start, TZ)).toBe('2026-10-25T08:00:00+01:00');
    expect(toIsoWithOffset(slots.at(-1)!.start, TZ)).toBe('2026-10-25T17:00:00+01:00');
    expect(toIsoWithOffset(slots.at(-1)!.end, TZ)).toBe('2026-10-25T18:00:00+01:00');
  });

  it('gives the same 19 starts on the days around both changes', () => {
    for (const [from, to] of [
      ['2026-03-28', '2026-03-30'],
      ['2026-10-24', '2026-10-26'],
    ] as const) {
      const result = searchSlots(input({ now, from, to, therapists: [allWeek] }));
      expect(result.days.map((d) => d.slots.length)).toEqual([19, 19, 19]);
    }
  });

  it('never offers 02:00–02:59 on 2026-03-29, a wall-clock hour that does not exist', () => {
    const date = '2026-03-29';
    const result = searchSlots(input({ now, from: date, to: date, therapists: [nights] }));
    expect(startsOn(result, date)).toEqual(['01:00', '01:30', '03:00']);
    // 01:30 + 60 real minutes is 03:30 on the wall clock.
    expect(hm(day(result, date)[1]!.end)).toBe('03:30');
  });

  it('offers 02:00–02:59 once on 2026-10-25, a wall-clock hour that exists twice', () => {
    const date = '2026-10-25';
    const result = searchSlots(input({ now, from: date, to: date, therapists: [nights] }));
    expect(startsOn(result, date)).toEqual(['01:00', '01:30', '02:00', '02:30', '03:00']);
    expect(toIsoWithOffset(day(result, date)[2]!.start, TZ)).toBe('2026-10-25T02:00:00+02:00');
  });
});

describe('dated exceptions', () => {
  it('closes the whole day with a closed exception without times', () => {
    const closed = therapist(1, 'Anna', anna.weeklyHours, [{ date: WEDNESDAY, kind: 'closed' }]);
    const result = searchSlots(input({ therapists: [closed], to: '2026-06-11' }));
    expect(startsOn(result, WEDNESDAY)).toEqual([]);
    expect(startsOn(result, '2026-06-11')).toHaveLength(7);
  });

  it('removes only the closed part with a closed exception with times', () => {
    const dentist = therapist(1, 'Anna', anna.weeklyHours, [
      { date: WEDNESDAY, kind: 'closed', startMinute: parseMinute('09:00'), endMinute: parseMinute('10:00') },
    ]);
    expect(startsOn(searchSlots(input({ therapists: [dentist] })))).toEqual([
      '08:00',
      '10:00',
      '10:30',
      '11:00',
    ]);
  });

  it('adds hours on a Sunday without regular hours with an open exception', () => {
    const sunday = '2026-06-14';
    const extra = therapist(1, 'Anna', anna.weeklyHours, [
      { date: sunday, kind: 'open', startMinute: parseMinute('10:00'), endMinute: parseMinute('12:00') },
    ]);
    const result = searchSlots(input({ therapists: [extra], from: sunday, to: sunday }));
    expect(startsOn(result, sunday)).toEqual(['10:00', '10:30', '11:00']);
  });

  it('extends a regular day with an open exception, seamlessly', () => {
    const longer = therapist(1, 'Anna', anna.weeklyHours, [
      { date: WEDNESDAY, kind: 'open', startMinute: parseMinute('12:00'), endMinute: parseMinute('13:00') },
    ]);
    expect(startsOn(searchSlots(input({ therapists: [longer] }))).slice(-3)).toEqual([
      '11:00',
      '11:30',
      '12:00',
    ]);
  });

  it('changes only its own date: the same weekday before and after keeps its regular hours', () => {
    // The regular hours of a weekday are worked out once per list of hours and shared; an exception
    // must not change them for the other Wednesdays, in this search or the next.
    const week = (date: string) => addDays(WEDNESDAY, date === 'before' ? -7 : 7);
    const changed = therapist(1, 'Anna', anna.weeklyHours, [
      { date: WEDNESDAY, kind: 'open', startMinute: parseMinute('12:00'), endMinute: parseMinute('13:00') },
      { date: WEDNESDAY, kind: 'closed', startMinute: parseMinute('09:00'), endMinute: parseMinute('10:00') },
    ]);
    const regular = ['08:00', '08:30', '09:00', '09:30', '10:00', '10:30', '11:00'];
    for (let round = 0; round < 2; round++) {
      const result = searchSlots(
        input({
          therapists: [changed],
          from: week('before'),
          to: week('after'),
          now: at('2026-05-25', '00:00'),
        }),
      );
      expect(startsOn(result, week('before'))).toEqual(regular);
      expect(startsOn(result, WEDNESDAY)).toEqual(['08:00', '10:00', '10:30', '11:00', '11:30', '12:00']);
      expect(startsOn(result, week('after'))).toEqual(regular);
      expect(startsOn(searchSlots(input({ therapists: [anna] })))).toEqual(regular);
    }
  });

  it('replaces the day’s hours with a whole-day closure plus an open exception', () => {
    const swapped = therapist(1, 'Anna', anna.weeklyHours, [
      { date: WEDNESDAY, kind: 'closed' },
      { date: WEDNESDAY, kind: 'open', startMinute: parseMinute('14:00'), endMinute: parseMinute('16:00') },
    ]);
    expect(startsOn(searchSlots(input({ therapists: [swapped] })))).toEqual(['14:00', '14:30', '15:00']);
  });
});

describe('appointments and buffers', () => {
  it('offers the slot ending exactly when an appointment starts and the one starting when the last ends', () => {
    const busy = [
      appointment(1, null, WEDNESDAY, '09:00', '10:00'),
      appointment(1, null, WEDNESDAY, '10:00', '11:00'),
    ];
    expect(startsOn(searchSlots(input({ busy })))).toEqual(['08:00', '11:00']);
  });

  it('keeps clear of an appointment’s buffer, which the busy end already includes', () => {
    // 09:00–10:00 plus a 15-minute buffer.
    const busy = [appointment(1, null, WEDNESDAY, '09:00', '10:15')];
    const policy = { ...input().policy, stepMinutes: 15 };
    expect(startsOn(searchSlots(input({ busy, policy })))).toEqual([
      '08:00',
      '10:15',
      '10:30',
      '10:45',
      '11:00',
    ]);
  });

  it('needs room for the chain’s own buffer before the next appointment and before the end of hours', () => {
    const long = therapist(1, 'Anna', hours(MON_TO_FRI, '08:00', '13:00'));
    const result = searchSlots(
      input({
        therapists: [long],
        chain: { ...input().chain, bufferAfterMinutes: 15 },
        policy: { ...input().policy, stepMinutes: 15 },
        busy: [appointment(1, null, WEDNESDAY, '10:00', '11:00')],
      }),
    );
    expect(startsOn(result)).toEqual([
      '08:00',
      '08:15',
      '08:30',
      '08:45',
      '11:00',
      '11:15',
      '11:30',
      '11:45',
    ]);
    // The slot itself ends after the appointment, without the buffer.
    expect(hm(day(result, WEDNESDAY).at(-1)!.end)).toBe('12:45');
  });

  it('ignores other therapists’ appointments when no room is needed', () => {
    const busy = [appointment(2, 1, WEDNESDAY, '08:00', '12:00')];
    expect(startsOn(searchSlots(input({ busy, rooms: [{ id: 1 }] })))).toHaveLength(7);
  });
});

describe('rooms', () => {
  const needsRoom = { ...input().chain, needsRoom: true };

  it('lets two therapists contend for one room: the room taken by one is not offered to the other', () => {
    const result = searchSlots(
      input({
        chain: needsRoom,
        therapists: [anna, ben],
        rooms: [{ id: 1 }],
        busy: [appointment(1, 1, WEDNESDAY, '09:00', '10:00')],
      }),
    );
    expect(offersOn(result)).toEqual([
      '08:00 Anna room 1',
      '08:00 Ben room 1',
      '10:00 Anna room 1',
      '10:00 Ben room 1',
      '10:30 Anna room 1',
      '10:30 Ben room 1',
      '11:00 Anna room 1',
      '11:00 Ben room 1',
    ]);
  });

  it('picks the lowest-id free room', () => {
    const result = searchSlots(
      input({
        chain: needsRoom,
        policy: { ...input().policy, stepMinutes: 60 },
        rooms: [{ id: 3 }, { id: 1 }],
        busy: [appointment(null, 1, WEDNESDAY, '09:00', '10:00')],
      }),
    );
    expect(offersOn(result)).toEqual([
      '08:00 Anna room 1',
      '09:00 Anna room 3',
      '10:00 Anna room 1',
      '11:00 Anna room 1',
    ]);
  });

  it('offers nothing when the chain needs a room and the practice has none', () => {
    expect(startsOn(searchSlots(input({ chain: needsRoom, rooms: [] })))).toEqual([]);
  });
});

describe('minimum notice and booking window', () => {
  it('offers a start exactly at now + notice, but not one step earlier', () => {
    const policy = { ...input().policy, minNoticeMinutes: 90 };
    const result = searchSlots(input({ now: at(WEDNESDAY, '07:00'), policy }));
    expect(startsOn(result)[0]).toBe('08:30');
    const oneMinuteLater = searchSlots(input({ now: at(WEDNESDAY, '07:01'), policy }));
    expect(startsOn(oneMinuteLater)[0]).toBe('09:00');
  });

  it('never offers a start in the past', () => {
    expect(startsOn(searchSlots(input({ now: at(WEDNESDAY, '10:00') })))).toEqual([
      '10:00',
      '10:30',
      '11:00',
    ]);
  });

  it('offers through the last minute of today + bookingWindowDays and nothing after', () => {
    const late = therapist(1, 'Anna', hours(MON_TO_FRI, '08:00', '24:00'));
    const result = searchSlots(
      input({
        now: at('2026-06-08', '10:00'),
        from: '2026-06-08',
        to: '2026-06-12',
        therapists: [late],
        policy: { ...input().policy, bookingWindowDays: 2 },
      }),
    );
    expect(startsOn(result, '2026-06-10').at(-1)).toBe('23:00');
    expect(startsOn(result, '2026-06-11')).toEqual([]);
    expect(startsOn(result, '2026-06-12')).toEqual([]);
  });

  it('counts a slot by its start: one crossing into the first day beyond the window is still offered', () => {
    const nights = therapist(1, 'Anna', [
      ...hours(EVERY_DAY, '00:00', '04:00'),
      ...hours(EVERY_DAY, '20:00', '24:00'),
    ]);
    const search = input({
      now: at('2026-06-08', '10:00'),
      from: '2026-06-10',
      to: '2026-06-11',
      therapists: [nights],
      policy: { ...input().policy, bookingWindowDays: 2 },
    });
    const result = searchSlots(search);
    expect(startsOn(result, '2026-06-10').slice(-2)).toEqual(['23:00', '23:30']);
    expect(hm(day(result, '2026-06-10').at(-1)!.end)).toBe('00:30');
    expect(startsOn(result, '2026-06-11')).toEqual([]);
    const nextDay = explainDay({ ...search, from: '2026-06-11' });
    expect(nextDay.candidates[0]).toMatchObject({
      start: at('2026-06-11', '00:00'),
      reason: 'beyond_window',
    });
  });

  it('offers only today with a window of zero days', () => {
    const result = searchSlots(
      input({
        now: at(WEDNESDAY, '00:00'),
        to: '2026-06-11',
        policy: { ...input().policy, bookingWindowDays: 0 },
      }),
    );
    expect(result.days.map((d) => d.slots.length)).toEqual([7, 0]);
  });
});

describe('filters', () => {
  const allDay = therapist(1, 'Anna', hours(MON_TO_FRI, '08:00', '20:00'));
  const hourly = { ...input().policy, stepMinutes: 60 };

  it.each([
    ['morning', ['08:00', '09:00', '10:00', '11:00']],
    ['afternoon', ['12:00', '13:00', '14:00', '15:00', '16:00']],
    ['evening', ['17:00', '18:00', '19:00']],
  ] as const)('offers only %s starts (local time) with a daypart', (daypart, expected) => {
    expect(startsOn(searchSlots(input({ therapists: [allDay], policy: hourly, daypart })))).toEqual(expected);
  });

  it('offers only the chosen therapist with a therapist filter', () => {
    const result = searchSlots(input({ therapists: [anna, ben], therapistId: 2 }));
    expect(new Set(day(result, WEDNESDAY).map((s) => s.therapistName))).toEqual(new Set(['Ben']));
  });

  it('offers nothing when the chosen therapist does not give the chain', () => {
    const result = searchSlots(input({ therapists: [anna, ben], therapistId: 7 }));
    expect(startsOn(result)).toEqual([]);
  });
});

describe('compact mode', () => {
  const compact = { ...input().policy, mode: 'compact' as const };

  it('offers only the edges of free gaps: block start, after an appointment, ending right before one', () => {
    const busy = [appointment(1, null, WEDNESDAY, '09:30', '10:00')];
    expect(startsOn(searchSlots(input({ policy: compact, busy })))).toEqual([
      '08:00',
      '08:30',
      '10:00',
      '11:00',
    ]);
  });

  it('starts directly after an appointment even off the grid', () => {
    const busy = [appointment(1, null, WEDNESDAY, '08:00', '10:10')];
    expect(startsOn(searchSlots(input({ policy: compact, busy })))).toEqual(['10:10', '11:00']);
  });

  it('offers a gap exactly as long as the chain once, and a shorter gap not at all', () => {
    const busy = [
      appointment(1, null, WEDNESDAY, '08:45', '09:00'),
      appointment(1, null, WEDNESDAY, '10:00', '10:15'),
      appointment(1, null, WEDNESDAY, '11:00', '12:00'),
    ];
    expect(startsOn(searchSlots(input({ policy: compact, busy })))).toEqual(['09:00']);
  });

  it('treats night hours across midnight as one block, and lists a gap starting at midnight under the new day', () => {
    const nights = therapist(1, 'Anna', [
      ...hours(EVERY_DAY, '00:00', '04:00'),
      ...hours(EVERY_DAY, '20:00', '24:00'),
    ]);
    const result = searchSlots(
      input({
        policy: compact,
        therapists: [nights],
        to: '2026-06-11',
        busy: [appointment(1, null, WEDNESDAY, '22:00', '24:00')],
      }),
    );
    // Tuesday 20:00 to Wednesday 04:00 is one block, so Wednesday 00:00 is no edge; …
    expect(startsOn(result, WEDNESDAY)).toEqual(['03:00', '20:00', '21:00']);
    // … but after Wednesday's appointment up to midnight, Thursday 00:00 is one.
    expect(startsOn(result, '2026-06-11')).toEqual(['00:00', '03:00', '20:00']);
  });

  it('still needs a free room, notice and the caller’s check at an edge', () => {
    const busy = [appointment(null, 1, WEDNESDAY, '08:00', '08:30')];
    const chain = { ...input().chain, needsRoom: true };
    const result = searchSlots(input({ policy: compact, chain, busy, rooms: [{ id: 1 }] }));
    expect(startsOn(result)).toEqual(['11:00']);
    const soon = searchSlots(input({ policy: compact, now: at(WEDNESDAY, '08:00') + 1 }));
    expect(startsOn(soon)).toEqual(['11:00']);
  });
});

describe('the caller’s check', () => {
  it('offers only slots the check accepts, asked with the appointment’s start and end', () => {
    const validUntil = at(WEDNESDAY, '10:00');
    const asked: [string, string][] = [];
    const result = searchSlots(
      input({
        check: (start, end) => {
          asked.push([hm(start), hm(end)]);
          return end <= validUntil ? null : { code: 'package_expired' };
        },
      }),
    );
    expect(startsOn(result)).toEqual(['08:00', '08:30', '09:00']);
    expect(asked).toContainEqual(['09:30', '10:30']);
  });
});

describe('explainDay', () => {
  it('gives every grid start per therapist with the first reason it is not offered', () => {
    const hourly = { ...input().policy, stepMinutes: 60 };
    const result = explainDay(
      input({
        now: at(WEDNESDAY, '08:30'),
        chain: { ...input().chain, needsRoom: true },
        policy: hourly,
        therapists: [
          therapist(1, 'Anna', hours([3], '08:00', '13:00')),
          therapist(2, 'Ben', hours([3], '10:00', '12:00')),
        ],
        rooms: [{ id: 1 }],
        busy: [
          appointment(1, 1, WEDNESDAY, '09:00', '10:00'),
          appointment(null, 1, WEDNESDAY, '10:00', '11:00'),
        ],
        check: (start) => (hm(start) === '11:00' ? { code: 'package_exhausted', detail: 'KG 6 of 6' } : null),
      }),
    );
    expect(result.date).toBe(WEDNESDAY);
    expect(
      result.candidates.map(
        (c) => `${hm(c.start)} ${c.therapistId} ${c.reason ?? `offered in room ${c.roomId}`}`,
      ),
    ).toEqual([
      '08:00 1 too_soon',
      '08:00 2 outside_hours',
      '09:00 1 therapist_busy',
      '09:00 2 outside_hours',
      '10:00 1 no_room',
      '10:00 2 no_room',
      '11:00 1 package_exhausted',
      '11:00 2 package_exhausted',
      '12:00 1 offered in room 1',
      '12:00 2 outside_hours',
    ]);
    expect(result.candidates[6]).toMatchObject({ offered: false, detail: 'KG 6 of 6' });
    expect(result.candidates[8]).toMatchObject({ offered: true, reason: null, roomId: 1 });
  });

  it('names a start beyond the booking window and one outside the daypart', () => {
    const policy = { ...input().policy, stepMinutes: 60, bookingWindowDays: 0 };
    const beyond = explainDay(input({ now: at('2026-06-09', '12:00'), policy }));
    expect(new Set(beyond.candidates.map((c) => c.reason))).toEqual(new Set(['beyond_window']));
    const afternoon = explainDay(
      input({
        now: at(WEDNESDAY, '00:00'),
        policy,
        therapists: [therapist(1, 'Anna', hours([3], '11:00', '14:00'))],
        daypart: 'afternoon',
      }),
    );
    expect(afternoon.candidates.map((c) => `${hm(c.start)} ${c.reason}`)).toEqual([
      '11:00 daypart',
      '12:00 null',
      '13:00 null',
    ]);
  });

  it('says a free grid start leaves a gap in compact mode, and explains off-grid gap edges too', () => {
    const result = explainDay(
      input({
        policy: { ...input().policy, mode: 'compact' },
        busy: [appointment(1, null, WEDNESDAY, '08:00', '09:10')],
      }),
    );
    expect(result.candidates.map((c) => `${hm(c.start)} ${c.reason}`)).toEqual([
      '08:00 therapist_busy',
      '08:30 therapist_busy',
      '09:00 therapist_busy',
      '09:10 null',
      '09:30 leaves_gap',
      '10:00 leaves_gap',
      '10:30 leaves_gap',
      '11:00 null',
      '11:30 outside_hours',
    ]);
  });

  it('has no candidates on a day nobody works', () => {
    expect(explainDay(input({ from: '2026-06-13', to: '2026-06-13' })).candidates).toEqual([]);
  });

  it('explains one day only', () => {
    expect(() => explainDay(input({ to: '2026-06-11' }))).toThrow(RangeError);
  });
});

/** `undefined` three times in four, otherwise a value of `arb`. */
function sometimes<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
}

/** Random practices, calendars and policies around ordinary days and both clock changes. */
const searchInput = fc
  .record({
    from: fc.constantFrom('2026-03-27', '2026-03-29', '2026-06-10', '2026-10-23', '2026-10-25'),
    extraDays: fc.integer({ min: 0, max: 3 }),
    nowOffsetMinutes: fc.integer({ min: -2 * 1440, max: 1440 }),
    therapists: fc.uniqueArray(
      fc.record({
        id: fc.integer({ min: 1, max: 4 }),
        weeklyHours: fc.array(
          fc.record({
            weekday: fc.integer({ min: 1, max: 7 }),
            startMinute: fc.integer({ min: 0, max: 288 }).map((m) => m * 5),
            length: fc.integer({ min: 1, max: 144 }).map((m) => m * 5),
          }),
          { minLength: 7, maxLength: 14, size: 'max' },
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
      { selector: (t) => t.id, minLength: 1, maxLength: 4, size: 'max' },
    ),
    notInChain: sometimes(fc.integer({ min: 1, max: 4 })),
    rooms: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
    busy: fc.array(
      fc.record({
        therapistId: fc.option(fc.integer({ min: 1, max: 4 })),
        roomId: fc.option(fc.integer({ min: 1, max: 4 })),
        startMinute: fc.integer({ min: -1440, max: 6 * 1440 }),
        // Mostly whole minutes, as appointments are; sometimes not, to leave nothing to chance.
        startSecond: fc.constantFrom(0, 0, 0, 30),
        length: fc.integer({ min: 0, max: 240 }),
      }),
      { maxLength: 120, size: 'max' },
    ),
    busySortedByStart: fc.boolean(),
    durationMinutes: fc.integer({ min: 1, max: 24 }).map((m) => m * 5),
    bufferAfterMinutes: fc.integer({ min: 0, max: 6 }).map((m) => m * 5),
    needsRoom: fc.boolean(),
    minNoticeMinutes: fc.integer({ min: 0, max: 1440 }),
    bookingWindowDays: fc.integer({ min: 0, max: 5 }),
    mode: fc.constantFrom('grid' as const, 'compact' as const),
    stepMinutes: fc.constantFrom(5, 10, 15, 20, 30, 45, 60),
    daypart: sometimes(fc.constantFrom('morning' as const, 'afternoon' as const, 'evening' as const)),
    therapistFilter: sometimes(fc.integer({ min: 1, max: 4 })),
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
        start: origin + b.startMinute * MINUTE + b.startSecond * 1000,
        end: origin + (b.startMinute + b.length) * MINUTE,
      })),
    };
    if (r.busySortedByStart) base.busy.sort((a, b) => a.start - b.start);
    if (r.daypart) base.daypart = r.daypart;
    if (r.therapistFilter !== undefined) base.therapistId = r.therapistFilter;
    const every = r.refuseEvery;
    if (every !== undefined) {
      base.check = (start) => (Math.floor(start / MINUTE) % every === 0 ? { code: 'refused' } : null);
    }
    return base;
  });

describe('the naive baseline', () => {
  it('finds exactly the slots of searchSlots for any busy calendar', () => {
    fc.assert(
      fc.property(searchInput, (search) => {
        expect(naiveSearchSlots(search)).toEqual(searchSlots(search));
      }),
      { numRuns: 500 },
    );
  });
});

/** A start-by-start answer read back as one slot per start and therapist whose bit is set. */
function slotsOfBits(r: StartSearchResult, slotMinutes: number): SlotSearchResult {
  return {
    days: r.days.map((d) => ({
      date: d.date,
      slots: d.starts.flatMap((start, i) =>
        r.therapists.flatMap((t, ti) =>
          Math.floor((d.free[i * r.words + Math.floor(ti / 32)]! >>> 0) / 2 ** (ti % 32)) % 2 === 1
            ? [
                {
                  start,
                  end: start + slotMinutes * MINUTE,
                  therapistId: t.id,
                  therapistName: t.name,
                  roomId: d.rooms[i]!,
                },
              ]
            : [],
        ),
      ),
    })),
  };
}

describe('searchStarts, the same offer one entry per start', () => {
  it('lists each start once, ascending, with exactly the therapists and room the baseline offers there', () => {
    fc.assert(
      fc.property(searchInput, (search) => {
        const r = searchStarts(search);
        for (const d of r.days) {
          expect(d.starts).toEqual([...new Set(d.starts)].sort((a, b) => a - b));
          expect(d.free).toHaveLength(d.starts.length * r.words);
          // Every start listed has someone to take it.
          for (let i = 0; i < d.starts.length; i++) {
            expect(d.free.slice(i * r.words, (i + 1) * r.words).some((w) => w !== 0)).toBe(true);
          }
        }
        expect(slotsOfBits(r, search.chain.durationMinutes)).toEqual(naiveSearchSlots(search));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same offer when a search runs inside its own check (the arrays it borrows are not shared then)', () => {
    fc.assert(
      fc.property(searchInput, searchInput, (search, other) => {
        const alone = searchStarts(search);
        let inner = 0;
        const nested = searchStarts({
          ...search,
          check: (start, end) => {
            // Another search, and a union of unsorted intervals, while this one is half done.
            inner += searchStarts(other).days.length;
            expect(unionOf([30, 10], [40, 20])).toEqual({ starts: [10, 30], ends: [20, 40] });
            return search.check?.(start, end) ?? null;
          },
        });
        expect(nested).toEqual(alone);
        if (alone.days.some((d) => d.starts.length > 0)) expect(inner).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('gives 40 therapists two words per start, the 33rd to the 40th in the second', () => {
    const many: SlotTherapist[] = Array.from({ length: 40 }, (_, i) => ({
      ...anna,
      id: i + 1,
      name: `T${i + 1}`,
    }));
    // Everyone but therapist 35 is busy at 10:00–11:00.
    const busy = many
      .filter((t) => t.id !== 35)
      .map((t) => appointment(t.id, null, WEDNESDAY, '10:00', '11:00'));
    const search = input({
      therapists: many,
      busy,
      chain: {
        id: 1,
        durationMinutes: 60,
        bufferAfterMinutes: 0,
        needsRoom: false,
        therapistIds: many.map((t) => t.id),
      },
    });
    const r = searchStarts(search);
    expect(r.words).toBe(2);
    expect(r.therapists.map((t) => t.id)).toEqual(many.map((t) => t.id));
    const d = r.days[0]!;
    const ten = d.starts.indexOf(at(WEDNESDAY, '10:00'));
    expect([d.free[2 * ten], d.free[2 * ten + 1]]).toEqual([0, 1 << 2]);
    const eight = d.starts.indexOf(at(WEDNESDAY, '08:00'));
    expect([d.free[2 * eight]! >>> 0, d.free[2 * eight + 1]]).toEqual([0xffffffff, 0xff]);
    expect(slotsOfBits(r, 60)).toEqual(naiveSearchSlots(search));
  });

  it('agrees with the baseline for up to 48 therapists (two words, bit 31), each of the generated ones copied', () => {
    fc.assert(
      fc.property(searchInput, fc.integer({ min: 8, max: 12 }), (search, copies) => {
        // Therapist t becomes t*100, t*100+1, …: the same hours and the same appointments each.
        const ids = (id: number) => Array.from({ length: copies }, (_, k) => id * 100 + k);
        const wide: SlotSearchInput = {
          ...search,
          chain: { ...search.chain, therapistIds: search.chain.therapistIds.flatMap(ids) },
          therapists: search.therapists.flatMap((t) => ids(t.id).map((id) => ({ ...t, id, name: `T${id}` }))),
          busy: search.busy.flatMap((b) =>
            b.therapistId === null ? [b] : ids(b.therapistId).map((id) => ({ ...b, therapistId: id })),
          ),
        };
        if (search.therapistId !== undefined) wide.therapistId = search.therapistId * 100 + copies - 1;
        const r = searchStarts(wide);
        expect(slotsOfBits(r, search.chain.durationMinutes)).toEqual(naiveSearchSlots(wide));
      }),
      { numRuns: 100 },
    );
  });
});

describe('properties of searchSlots', () => {
  it('with onlyStart gives exactly the slots of the full search that begin at that instant', () => {
    fc.assert(
      fc.property(searchInput, fc.nat(), fc.boolean(), (search, pick, offGrid) => {
        const full = searchSlots(search).days.flatMap((d) => d.slots);
        // An offered start, or any instant of the range (on or off the grid, in or out of hours).
        const from = Date.parse(`${search.from}T00:00:00Z`) - 2 * 3_600_000;
        const start =
          full.length > 0 && !offGrid
            ? full[pick % full.length]!.start
            : from + (pick % (4 * 24 * 4)) * 15 * MINUTE + (offGrid ? (pick % 3) * 5 * MINUTE : 0);
        const only = searchSlots({ ...search, onlyStart: start }).days.flatMap((d) => d.slots);
        expect(only).toEqual(full.filter((s) => s.start === start));
      }),
      { numRuns: 500 },
    );
  });

  it('offers in explain mode exactly what it offers in search, day by day', () => {
    fc.assert(
      fc.property(searchInput, (search) => {
        const oneDay = { ...search, to: search.from };
        const offered = explainDay(oneDay)
          .candidates.filter((c) => c.offered)
          .map((c) => [c.start, c.therapistId, c.roomId]);
        const slots = searchSlots(oneDay).days[0]!.slots.map((s) => [s.start, s.therapistId, s.roomId]);
        expect(offered).toEqual(slots);
      }),
      { numRuns: 300 },
    );
  });

  it('never offers a slot that overlaps its therapist’s appointments or its room’s, with the buffer', () => {
    fc.assert(
      fc.property(searchInput, (search) => {
        const span = (search.chain.durationMinutes + search.chain.bufferAfterMinutes) * MINUTE;
        for (const { slots } of searchSlots(search).days) {
          for (const s of slots) {
            const clash = search.busy.some(
              (b) =>
                b.end > b.start &&
                b.start < s.start + span &&
                s.start < b.end &&
                (b.therapistId === s.therapistId || (s.roomId !== null && b.roomId === s.roomId)),
            );
            expect(clash).toBe(false);
            expect(s.start).toBeGreaterThanOrEqual(search.now + search.policy.minNoticeMinutes * MINUTE);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lists every date of the range once, in order', () => {
    const result = searchSlots(input({ from: '2026-03-27', to: '2026-04-02' }));
    expect(result.days.map((d) => d.date)).toEqual(
      Array.from({ length: 7 }, (_, i) => addDays('2026-03-27', i)),
    );
    // A guard for the helpers above: a Berlin day is 23, 24 or 25 hours long.
    expect(startOfLocalDay('2026-03-30', TZ) - startOfLocalDay('2026-03-29', TZ)).toBe(DAY - HOUR);
  });
});
