/**
 * The /slots answer written as JSON text directly. A week of one therapist is a few hundred slots,
 * each with two ISO times and its therapist: building an object per slot and stringifying them
 * took a quarter of the request's CPU. The text is exactly what `jsonText` makes of the same answer
 * (test/api/slots-json.test.ts holds the two side by side).
 */
import { isoWriter } from '../../shared/time.ts';
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

export interface TimesAnswer {
  timeZone: string;
  durationMinutes: number;
  days: SlotsAnswer['days'];
}

/**
 * The body of GET …/times, the widget's compact form: `{ timeZone, durationMinutes, therapists:
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
