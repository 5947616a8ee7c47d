/**
 * The /slots answer written as JSON text directly. A week of one therapist is a few hundred slots,
 * each with two ISO times and its therapist: building an object per slot and stringifying them
 * took a quarter of the request's CPU. The text is exactly what `jsonText` makes of the same answer
 * (test/api/slots-json.test.ts holds the two side by side).
 */
import { isoWriter } from '../../shared/time.ts';
import type { StartSearchResult } from '../engine/slots.ts';
import type { JsonText } from './cache.ts';

export interface SlotsAnswer {
  chain: { id: number; name: string; durationMinutes: number };
  timeZone: string;
  days: readonly {
    date: string;
    slots: readonly { start: number; end: number; therapistId: number; therapistName: string }[];
  }[];
}

/** The body of GET …/slots: `{ chain, timeZone, days: [{ date, slots: [{ start, end, therapist }] }] }`. */
export function slotsJson<T>(a: SlotsAnswer): JsonText<T> {
  const { chain, timeZone } = a;
  const iso = isoWriter(timeZone);
  const therapists = new Map<number, string>();
  let out = `{"chain":{"id":${chain.id},"name":${JSON.stringify(chain.name)},"durationMinutes":${chain.durationMinutes}},"timeZone":${JSON.stringify(timeZone)},"days":[`;
  for (let i = 0; i < a.days.length; i++) {
    const day = a.days[i]!;
    out += `${i === 0 ? '' : ','}{"date":${JSON.stringify(day.date)},"slots":[`;
    for (let j = 0; j < day.slots.length; j++) {
      const s = day.slots[j]!;
      let therapist = therapists.get(s.therapistId);
      if (therapist === undefined) {
        therapist = `{"id":${s.therapistId},"name":${JSON.stringify(s.therapistName)}}`;
        therapists.set(s.therapistId, therapist);
      }
      // ISO times hold digits, "-", ":", "T" and "+" only: nothing to escape.
      out += `${j === 0 ? '' : ','}{"start":"${iso(s.start)}","end":"${iso(s.end)}","therapist":${therapist}}`;
    }
    out += ']}';
  }
  return `${out}]}` as JsonText<T>;
}

export interface StartsAnswer extends StartSearchResult {
  timeZone: string;
  durationMinutes: number;
}

/**
 * The therapists who can take start `i` as a hex number, most significant digit first: bit b set
 * means `therapists[b]` can (so "5" is the first and the third). Any number of therapists.
 */
function therapistBits(free: readonly number[], i: number, words: number): string {
  const at = i * words;
  let w = words - 1;
  while (w > 0 && free[at + w] === 0) w--;
  let hex = (free[at + w]! >>> 0).toString(16);
  while (--w >= 0) hex += (free[at + w]! >>> 0).toString(16).padStart(8, '0');
  return hex;
}

/**
 * The body of GET …/starts, the widget's compact form: `{ timeZone, durationMinutes, therapists:
 * [{ id, name }], days: [{ date, starts: [[minute, therapists]] }] }`, each start once as minutes
 * since the epoch with the therapists who can take it as bits (`therapistBits`). A week of 20
 * therapists is a few hundred starts rather than thousands of (start, therapist) pairs. The same
 * text as `jsonText` of the objects (test/api/slots-json.test.ts).
 */
export function startsJson<T>(a: StartsAnswer): JsonText<T> {
  const { words } = a;
  let days = '';
  for (let i = 0; i < a.days.length; i++) {
    const day = a.days[i]!;
    days += `${i === 0 ? '' : ','}{"date":${JSON.stringify(day.date)},"starts":[`;
    for (let j = 0; j < day.starts.length; j++) {
      // An integer and hex digits: their text is their JSON.
      days += `${j === 0 ? '' : ','}[${Math.round(day.starts[j]! / 60_000)},"${therapistBits(day.free, j, words)}"]`;
    }
    days += ']}';
  }
  const therapists = a.therapists.map((t) => `{"id":${t.id},"name":${JSON.stringify(t.name)}}`).join(',');
  return `{"timeZone":${JSON.stringify(a.timeZone)},"durationMinutes":${a.durationMinutes},"therapists":[${therapists}],"days":[${days}]}` as JsonText<T>;
}

export interface TimesAnswer {
  timeZone: string;
  durationMinutes: number;
  days: SlotsAnswer['days'];
}

/**
 * The body of GET …/times, the widget's compact form before /starts: `{ timeZone, durationMinutes, therapists:
 * [{ id, name }] (in the order they first appear), days: [{ date, slots: [[minute, therapist id]] }] }`.
 * A week of 20 therapists is thousands of starts: a small array per start, stringified, took a
 * sixth of the request's CPU. The same text as `jsonText` of the objects (test/api/slots-json.test.ts).
 */
export function timesJson<T>(a: TimesAnswer): JsonText<T> {
  const therapists = new Map<number, string>();
  let days = '';
  for (let i = 0; i < a.days.length; i++) {
    const day = a.days[i]!;
    days += `${i === 0 ? '' : ','}{"date":${JSON.stringify(day.date)},"slots":[`;
    for (let j = 0; j < day.slots.length; j++) {
      const s = day.slots[j]!;
      if (!therapists.has(s.therapistId)) {
        therapists.set(s.therapistId, `{"id":${s.therapistId},"name":${JSON.stringify(s.therapistName)}}`);
      }
      // Integers: their text is their JSON.
      days += `${j === 0 ? '' : ','}[${Math.round(s.start / 60_000)},${s.therapistId}]`;
    }
    days += ']}';
  }
  return `{"timeZone":${JSON.stringify(a.timeZone)},"durationMinutes":${a.durationMinutes},"therapists":[${[...therapists.values()].join(',')}],"days":[${days}]}` as JsonText<T>;
}
