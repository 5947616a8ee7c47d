/**
 * The /slots answer is written as text by hand (server/routes/slotsJson.ts): it must be exactly
 * what JSON.stringify makes of the same answer as objects, for any names, zones and times.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slotsJson, startsJson } from '../../server/routes/slotsJson.ts';
import { toIsoWithOffset } from '../../shared/time.ts';

const zones = fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC', 'America/St_Johns');
const text = fc.string({ unit: 'binary', maxLength: 20 });
const slot = fc.record({
  start: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2050, 0, 1) }),
  minutes: fc.integer({ min: 5, max: 480 }),
  therapistId: fc.integer({ min: 1, max: 5 }),
});

describe('the /slots answer as text', () => {
  it('is what JSON.stringify writes of the answer as objects', () => {
    fc.assert(
      fc.property(
        fc.record({ id: fc.nat(), name: text, durationMinutes: fc.integer({ min: 5, max: 480 }) }),
        zones,
        fc.array(fc.record({ date: fc.constantFrom('2026-03-29', '2026-10-25'), slots: fc.array(slot) })),
        fc.array(text, { minLength: 5, maxLength: 5 }),
        (chain, timeZone, rawDays, names) => {
          const days = rawDays.map((d) => ({
            date: d.date,
            slots: d.slots.map((s) => ({
              start: s.start,
              end: s.start + s.minutes * 60_000,
              therapistId: s.therapistId,
              therapistName: names[s.therapistId - 1]!,
            })),
          }));
          const objects = {
            chain,
            timeZone,
            days: days.map((d) => ({
              date: d.date,
              slots: d.slots.map((s) => ({
                start: toIsoWithOffset(s.start, timeZone),
                end: toIsoWithOffset(s.end, timeZone),
                therapist: { id: s.therapistId, name: s.therapistName },
              })),
            })),
          };
          expect(slotsJson({ chain, timeZone, days })).toBe(JSON.stringify(objects));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes both clock-change days of Berlin with the offset of each time', () => {
    const at = (h: number, m: number) => Date.UTC(2026, 9, 25, h, m);
    const body = JSON.parse(
      slotsJson({
        chain: { id: 1, name: 'Physiotherapie "Erstbefund"', durationMinutes: 30 },
        timeZone: 'Europe/Berlin',
        days: [
          {
            date: '2026-10-25',
            slots: [
              { start: at(0, 30), end: at(1, 0), therapistId: 2, therapistName: 'Jo Ä.' },
              { start: at(1, 30), end: at(2, 0), therapistId: 2, therapistName: 'Jo Ä.' },
            ],
          },
        ],
      }),
    );
    expect(body.chain.name).toBe('Physiotherapie "Erstbefund"');
    expect(body.days[0].slots).toEqual([
      {
        start: '2026-10-25T02:30:00+02:00',
        end: '2026-10-25T02:00:00+01:00',
        therapist: { id: 2, name: 'Jo Ä.' },
      },
      {
        start: '2026-10-25T02:30:00+01:00',
        end: '2026-10-25T03:00:00+01:00',
        therapist: { id: 2, name: 'Jo Ä.' },
      },
    ]);
  });
});

describe('the /starts answer as text', () => {
  it('is what JSON.stringify writes of the answer as objects: each start with its therapists as hex bits', () => {
    const answer = fc
      .uniqueArray(fc.record({ id: fc.nat(), name: text }), {
        minLength: 1,
        maxLength: 70,
        selector: (t) => t.id,
      })
      .chain((therapists) => {
        const words = Math.ceil(therapists.length / 32);
        const start = fc.record({
          minute: fc.integer({ min: Date.UTC(2000, 0, 1) / 60_000, max: Date.UTC(2050, 0, 1) / 60_000 }),
          // Any bits of the therapists listed, at least one set.
          free: fc
            .array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: words, maxLength: words })
            .map((w) =>
              w.map((x, i) =>
                i === words - 1 && therapists.length % 32 ? x & ((1 << (therapists.length % 32)) - 1) : x,
              ),
            )
            .filter((w) => w.some((x) => x !== 0)),
        });
        return fc.record({
          therapists: fc.constant(therapists),
          words: fc.constant(words),
          days: fc.array(
            fc.record({ date: fc.constantFrom('2026-03-29', '2026-10-25'), starts: fc.array(start) }),
          ),
        });
      });
    fc.assert(
      fc.property(zones, fc.integer({ min: 5, max: 480 }), answer, (timeZone, durationMinutes, a) => {
        const days = a.days.map((d) => ({
          date: d.date,
          starts: d.starts.map((s) => s.minute * 60_000),
          rooms: d.starts.map(() => null),
          free: d.starts.flatMap((s) => s.free),
        }));
        // The bits as one number, word 0 lowest.
        const hex = (free: number[]) =>
          free.reduce((sum, w, i) => sum + (BigInt(w >>> 0) << BigInt(32 * i)), 0n).toString(16);
        const objects = {
          timeZone,
          durationMinutes,
          therapists: a.therapists,
          days: a.days.map((d) => ({ date: d.date, starts: d.starts.map((s) => [s.minute, hex(s.free)]) })),
        };
        const answer = { timeZone, durationMinutes, therapists: a.therapists, words: a.words, days };
        expect(startsJson(answer)).toBe(JSON.stringify(objects));
      }),
      { numRuns: 300 },
    );
  });

  it('writes minutes before 1970 and beyond 2^31 minutes as JSON.stringify does', () => {
    const minutes = [-1, -60_000_001, 0, 9, 10, 2 ** 31 - 1, 2 ** 31, 8.64e15 / 60_000];
    const answer = {
      timeZone: 'UTC',
      durationMinutes: 30,
      therapists: [{ id: 1, name: 'A' }],
      words: 1,
      days: [
        {
          date: '2026-03-29',
          starts: minutes.map((m) => m * 60_000),
          rooms: minutes.map(() => null),
          free: minutes.map(() => 1),
        },
      ],
    };
    expect(startsJson(answer)).toBe(
      JSON.stringify({
        timeZone: 'UTC',
        durationMinutes: 30,
        therapists: [{ id: 1, name: 'A' }],
        days: [{ date: '2026-03-29', starts: minutes.map((m) => [m, '1']) }],
      }),
    );
  });
});
