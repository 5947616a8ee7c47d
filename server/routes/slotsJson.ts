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

/** Bytes for the numbers of an answer, grown as needed (written and read in one synchronous go). */
let scratch = Buffer.allocUnsafe(32 * 1024);
const HEX = Buffer.from('0123456789abcdef');

/** Writes the integer `v` in decimal at `at`; returns where it ends. */
function writeInt(b: Buffer, at: number, v: number): number {
  if (v < 0) {
    b[at++] = 0x2d; // -
    v = -v;
  }
  if (v > 0x7fffffff) return at + b.write(String(v), at);
  // Small integers (minutes since 1970 stay below 2^31 until the year 6053): integer steps.
  let end = at + 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) end++;
  for (let k = end - 1; k >= at; k--) {
    const q = (v / 10) | 0;
    b[k] = 0x30 + v - q * 10;
    v = q;
  }
  return end;
}

/**
 * Writes the therapists who can take a start (its `words` from `free[base]` on) as a hex number,
 * most significant digit first: bit b set means `therapists[b]` can (so "5" is the first and the
 * third). Any number of therapists. Returns where it ends.
 */
function writeBits(b: Buffer, at: number, free: readonly number[], base: number, words: number): number {
  let w = words - 1;
  while (w > 0 && free[base + w] === 0) w--;
  let x = free[base + w]! >>> 0;
  let end = at + 1;
  for (let y = x; y >= 16; y >>>= 4) end++;
  for (let k = end - 1; k >= at; k--) {
    b[k] = HEX[x & 15]!;
    x >>>= 4;
  }
  while (--w >= 0) {
    let y = free[base + w]! >>> 0;
    for (let k = end + 7; k >= end; k--) {
      b[k] = HEX[y & 15]!;
      y >>>= 4;
    }
    end += 8;
  }
  return end;
}

/**
 * The body of GET …/starts, the widget's compact form: `{ timeZone, durationMinutes, therapists:
 * [{ id, name }], days: [{ date, starts: [[minute, therapists]] }] }`, each start once as minutes
 * since the epoch with the therapists who can take it as bits (`writeBits`). A week of 20
 * therapists is a few hundred starts rather than thousands of (start, therapist) pairs. The days,
 * all digits and punctuation, are written as bytes and read as text once: a text per number and
 * per piece made a sixth of the request's garbage. The same text as `jsonText` of the objects
 * (test/api/slots-json.test.ts).
 */
export function startsJson<T>(a: StartsAnswer): JsonText<T> {
  const { words } = a;
  let need = 2;
  for (const day of a.days) need += 3 * day.date.length + 32 + day.starts.length * (24 + 8 * words);
  if (scratch.length < need) scratch = Buffer.allocUnsafe(2 * need);
  const b = scratch;
  let n = 0;
  for (let i = 0; i < a.days.length; i++) {
    const day = a.days[i]!;
    n += b.write(`${i === 0 ? '' : ','}{"date":${JSON.stringify(day.date)},"starts":[`, n);
    for (let j = 0; j < day.starts.length; j++) {
      if (j > 0) b[n++] = 0x2c; // ,
      b[n++] = 0x5b; // [
      n = writeInt(b, n, Math.round(day.starts[j]! / 60_000));
      b[n++] = 0x2c;
      b[n++] = 0x22; // "
      n = writeBits(b, n, day.free, j * words, words);
      b[n++] = 0x22;
      b[n++] = 0x5d; // ]
    }
    b[n++] = 0x5d;
    b[n++] = 0x7d; // }
  }
  const therapists = a.therapists.map((t) => `{"id":${t.id},"name":${JSON.stringify(t.name)}}`).join(',');
  return `{"timeZone":${JSON.stringify(a.timeZone)},"durationMinutes":${a.durationMinutes},"therapists":[${therapists}],"days":[${b.toString('utf8', 0, n)}]}` as JsonText<T>;
}
