/**
 * The busy times a slot search and a booking read (db/queries/calendar.ts): every appointment and
 * running hold that blocks the window's therapists or rooms, however far into the window it lies,
 * in whole minutes — an interval off the minute widened to the minutes it touches, the same for
 * both reads.
 */
import { describe, expect, it } from 'vitest';
import { busyFromHex, busyFromText, loadBusy, loadBusyAndHead } from '../../server/db/queries/calendar.ts';
import type { Store } from '../../server/db/store.ts';
import { importPractice } from '../../server/practice/import.ts';
import { allWeekPracticeDoc, exec, freshStore, NOW, row, STORE_KIND } from '../helpers.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function practice(store?: Store, slug = 'always') {
  store ??= await freshStore();
  const doc = allWeekPracticeDoc() as Record<string, any>;
  doc.practice.slug = slug;
  const hours = doc.therapists[0].hours;
  doc.therapists = ['a', 'b'].map((key) => ({ key, name: key.toUpperCase(), hours }));
  doc.rooms = [{ key: 'r', name: 'Raum' }];
  // A file per therapist: a file holds no two appointments at once.
  doc.clients = ['a', 'b'].map((key) => ({ key, firstName: 'Kim', lastName: key.toUpperCase() }));
  const { practiceId } = await importPractice(store, doc, { now: NOW });
  const id = async (sql: string) => (await row<{ id: number }>(store, sql, [practiceId]))!.id;
  const a = await id("SELECT id FROM therapists WHERE practice_id = ? AND key = 'a'");
  const b = await id("SELECT id FROM therapists WHERE practice_id = ? AND key = 'b'");
  const room = await id('SELECT id FROM rooms WHERE practice_id = ?');
  const clientOf = new Map([
    [a, await id("SELECT id FROM clients WHERE practice_id = ? AND last_name = 'A'")],
    [b, await id("SELECT id FROM clients WHERE practice_id = ? AND last_name = 'B'")],
  ]);
  const version = Number(
    (await row<{ v: number }>(store, 'SELECT config_version AS v FROM practices WHERE id = ?', [practiceId]))!
      .v,
  );
  const add = async (
    therapist: number,
    roomId: number | null,
    start: number,
    blockedUntil: number,
    status = 'booked',
    holdExpiresAt: number | null = null,
  ) => {
    await exec(
      store,
      `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, starts_at, ends_at, blocked_until, status, source, hold_expires_at, cancelled_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'online', ?, ?, ?)`,
      [
        practiceId,
        status === 'held' ? null : clientOf.get(therapist), // a hold has no file yet
        therapist,
        roomId,
        start,
        blockedUntil,
        blockedUntil,
        status,
        holdExpiresAt,
        status === 'cancelled' ? NOW : null,
        NOW,
      ],
    );
    return Number((await row<{ id: number }>(store, 'SELECT max(id) AS id FROM appointments'))!.id);
  };
  return { store, practiceId, version, a, b, room, add };
}

describe(`the busy read (${STORE_KIND})`, () => {
  it('gives every blocking appointment and running hold in the minutes it touches, also 40 days into the window', async () => {
    const p = await practice();
    const from = Date.UTC(2027, 0, 4, 23); // a window of 60 days from here
    const window = { therapistIds: [p.a], roomIds: [p.room], from, to: from + 60 * DAY, now: NOW };
    const early = await p.add(p.a, null, from - 2 * HOUR + 7, from + 1_234); // began before, blocks into it
    const far = await p.add(p.a, p.room, from + 40 * DAY + 59_999, from + 40 * DAY + HOUR + 1); // 2^31 ms is 24.9 days
    const otherInRoom = await p.add(p.b, p.room, from + 3 * DAY + 1, from + 3 * DAY + HOUR - 1);
    const held = await p.add(p.a, null, from + DAY, from + DAY + HOUR, 'held', NOW + 10 * 60_000);
    // Not blocking: ended as the window starts, cancelled, an expired hold, another therapist's without the room.
    await p.add(p.b, p.room, from - HOUR, from);
    await p.add(p.a, null, from + 2 * DAY, from + 2 * DAY + HOUR, 'cancelled');
    await p.add(p.a, null, from + 4 * DAY, from + 4 * DAY + HOUR, 'held', NOW - 1);
    await p.add(p.b, null, from + 5 * DAY, from + 5 * DAY + HOUR);

    // Widened to whole minutes: the start rounded down, the end up.
    const expected = [
      { appointmentId: early, therapistId: p.a, roomId: null, start: from - 2 * HOUR, end: from + MINUTE },
      { appointmentId: held, therapistId: p.a, roomId: null, start: from + DAY, end: from + DAY + HOUR },
      {
        appointmentId: otherInRoom,
        therapistId: p.b,
        roomId: p.room,
        start: from + 3 * DAY,
        end: from + 3 * DAY + HOUR,
      },
      {
        appointmentId: far,
        therapistId: p.a,
        roomId: p.room,
        start: from + 40 * DAY,
        end: from + 40 * DAY + HOUR + MINUTE,
      },
    ];
    const byStart = (x: { start: number }, y: { start: number }) => x.start - y.start;
    const busy = await p.store.read((tx) => loadBusy(tx, window));
    expect(busy.sort(byStart)).toEqual(expected);

    // The slot search's read: the same intervals, without their ids.
    const { head, busy: withHead } = await p.store.read((tx) => loadBusyAndHead(tx, 'always', window));
    expect(head).toEqual({ id: p.practiceId, version: p.version });
    expect(withHead.sort(byStart)).toEqual(expected.map(({ appointmentId: _, ...b }) => b));
  });

  it('reads the same for every therapist of the practice as for them one by one, and no other practice’s', async () => {
    const p = await practice();
    const other = await practice(p.store, 'nebenan');
    const from = Date.UTC(2027, 0, 4, 23);
    await p.add(p.a, p.room, from - 2 * HOUR, from + 30 * MINUTE + 1);
    await p.add(p.b, null, from + HOUR + 1, from + 2 * HOUR);
    await p.add(p.b, p.room, from + DAY, from + DAY + HOUR, 'held', NOW + 10 * MINUTE);
    await p.add(p.a, null, from + 6 * DAY + 23 * HOUR, from + 7 * DAY + HOUR); // runs past the window
    // Not blocking: cancelled, an expired hold, before and after the window, another practice's.
    await p.add(p.a, null, from + 2 * DAY, from + 2 * DAY + HOUR, 'cancelled');
    await p.add(p.b, null, from + 3 * DAY, from + 3 * DAY + HOUR, 'held', NOW - 1);
    await p.add(p.b, null, from - 3 * HOUR, from);
    await p.add(p.b, null, from + 7 * DAY, from + 7 * DAY + HOUR);
    await other.add(other.a, other.room, from + 4 * DAY, from + 4 * DAY + HOUR);
    const window = { therapistIds: [p.a, p.b], roomIds: [p.room], from, to: from + 7 * DAY, now: NOW };
    const byStart = (x: { start: number }, y: { start: number }) => x.start - y.start;
    const read = async (everyTherapist: boolean) =>
      (await p.store.read((tx) => loadBusyAndHead(tx, 'always', { ...window, everyTherapist }))).busy.sort(
        byStart,
      );
    const expected = [
      { therapistId: p.a, roomId: p.room, start: from - 2 * HOUR, end: from + 31 * MINUTE },
      { therapistId: p.b, roomId: null, start: from + HOUR, end: from + 2 * HOUR },
      { therapistId: p.b, roomId: p.room, start: from + DAY, end: from + DAY + HOUR },
      { therapistId: p.a, roomId: null, start: from + 6 * DAY + 23 * HOUR, end: from + 7 * DAY + HOUR },
    ];
    expect(await read(false)).toEqual(expected);
    expect(await read(true)).toEqual(expected);
    // The other practice's read has its own appointment only.
    const theirs = await other.store.read((tx) =>
      loadBusyAndHead(tx, 'nebenan', { ...window, therapistIds: [other.a, other.b], everyTherapist: true }),
    );
    expect(theirs).toEqual({
      head: { id: other.practiceId, version: other.version },
      busy: [{ therapistId: other.a, roomId: other.room, start: from + 4 * DAY, end: from + 4 * DAY + HOUR }],
    });
  });

  it('reads the longest block there is, off the minute: 24 hours and an 8-hour buffer, 1 921 minutes as widened', async () => {
    const p = await practice();
    const from = Date.UTC(2027, 0, 4, 23);
    const start = from + 3 * DAY + 1;
    const client = await row<{ id: number }>(
      p.store,
      "SELECT id FROM clients WHERE practice_id = ? AND last_name = 'A'",
      [p.practiceId],
    );
    await exec(
      p.store,
      `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, starts_at, ends_at, buffer_after_minutes, blocked_until, status, source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 480, ?, 'booked', 'staff', ?)`,
      [p.practiceId, client!.id, p.a, p.room, start, start + DAY, start + DAY + 8 * HOUR, NOW],
    );
    const window = { therapistIds: [p.a], roomIds: [p.room], from, to: from + 7 * DAY, now: NOW };
    const { busy } = await p.store.read((tx) => loadBusyAndHead(tx, 'always', window));
    expect(busy).toEqual([
      { therapistId: p.a, roomId: p.room, start: from + 3 * DAY, end: from + 3 * DAY + 32 * HOUR + MINUTE },
    ]);
  });

  it('reads a window of a century, as a staff series of 100 yearly dates reads it', async () => {
    const p = await practice();
    const from = Date.UTC(2027, 0, 4, 23);
    await p.add(p.a, p.room, from + HOUR, from + 2 * HOUR);
    await p.add(p.a, null, from + 36_000 * DAY, from + 36_000 * DAY + HOUR);
    const century = { therapistIds: [p.a], roomIds: [p.room], from, to: from + 36_500 * DAY, now: NOW };
    expect(await p.store.read((tx) => loadBusy(tx, century))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          therapistId: p.a,
          roomId: p.room,
          start: from + HOUR,
          end: from + 2 * HOUR,
        }),
        expect.objectContaining({
          therapistId: p.a,
          roomId: null,
          start: from + 36_000 * DAY,
          end: from + 36_000 * DAY + HOUR,
        }),
      ]),
    );
    expect((await p.store.read((tx) => loadBusyAndHead(tx, 'always', century))).busy).toHaveLength(2);
  });

  it('knows no head for a slug that names no practice', async () => {
    const p = await practice();
    const from = Date.UTC(2027, 0, 4, 23);
    const window = { therapistIds: [p.a], roomIds: [], from, to: from + DAY, now: NOW, everyTherapist: true };
    expect(await p.store.read((tx) => loadBusyAndHead(tx, 'niemand', window))).toEqual({
      head: undefined,
      busy: [],
    });
  });

  it('leaves the rooms to the therapists’ own rows when the window has every therapist', async () => {
    const p = await practice();
    const from = Date.UTC(2027, 0, 4, 23);
    await p.add(p.b, p.room, from + HOUR, from + 2 * HOUR);
    const window = { therapistIds: [p.a, p.b], roomIds: [p.room], from, to: from + 7 * DAY, now: NOW };
    for (const everyTherapist of [false, true]) {
      const { busy } = await p.store.read((tx) =>
        loadBusyAndHead(tx, 'always', { ...window, everyTherapist }),
      );
      // Once, not once per half of the read.
      expect(busy).toEqual([{ therapistId: p.b, roomId: p.room, start: from + HOUR, end: from + 2 * HOUR }]);
    }
  });
});

describe('the busy text as read', () => {
  const at = (minute: number) => minute * MINUTE;

  it('reads SQLite’s form: minutes since 1970, start and end, "null" for no room', () => {
    expect(busyFromText('3,null,28900000,28900040,1,2,28900100,28900130', 4)).toEqual([
      { therapistId: 3, roomId: null, start: at(28_900_000), end: at(28_900_040) },
      { therapistId: 1, roomId: 2, start: at(28_900_100), end: at(28_900_130) },
    ]);
    // Before 1970 its minutes are negative.
    expect(busyFromText('3,2,-100,-60', 4)).toEqual([
      { therapistId: 3, roomId: 2, start: at(-100), end: at(-60) },
    ]);
    expect(busyFromText('3,2,-100,-60,7', 5)).toEqual([
      { therapistId: 3, roomId: 2, start: at(-100), end: at(-60), appointmentId: 7 },
    ]);
  });

  it('reads PostgreSQL’s packed bytes: therapist and room in one int8, start from the base minute and length in another; the id after them', () => {
    // Therapist 3, no room, start 0, 40 minutes, id 17; therapist 1, room 2, start 1 440, 30 minutes (1 440·2¹¹ + 30), id 18.
    const hex =
      '00000003' +
      '00000000' +
      '00000000' +
      '00000028' +
      '00000011' +
      '00000001' +
      '00000002' +
      '00000000' +
      '002d001e' +
      '00000012';
    expect(busyFromHex(hex, 5, 28_900_000)).toEqual([
      { therapistId: 3, roomId: null, start: at(28_900_000), end: at(28_900_040), appointmentId: 17 },
      { therapistId: 1, roomId: 2, start: at(28_901_440), end: at(28_901_470), appointmentId: 18 },
    ]);
    // The largest of each: ids of 2³¹ − 1, a start of 2⁴⁰ + 2²¹ − 1 minutes (bits in both halves of the int8), the longest length of 11 bits.
    expect(busyFromHex('7fffffff' + '7fffffff' + '00080000' + 'ffffffff', 4, 0)).toEqual([
      {
        therapistId: 2 ** 31 - 1,
        roomId: 2 ** 31 - 1,
        start: at(2 ** 40 + 2 ** 21 - 1),
        end: at(2 ** 40 + 2 ** 21 - 1 + 2047),
      },
    ]);
  });

  it('reads a text larger than its decoding buffer (4 000 intervals), and a small one after it', () => {
    const word = (n: number) => n.toString(16).padStart(8, '0');
    // Interval i: therapist i + 1, room i mod 7 (0: none), start i·60 minutes, 30 minutes long.
    const many = Array.from(
      { length: 5_000 },
      (_, i) => word(i + 1) + word(i % 7) + word(0) + word(((i * 60) << 11) | 30),
    ).join('');
    const read = busyFromHex(many, 4, 0);
    expect(read).toHaveLength(5_000);
    expect(read[0]).toEqual({ therapistId: 1, roomId: null, start: 0, end: at(30) });
    expect(read[4_999]).toEqual({
      therapistId: 5_000,
      roomId: 1,
      start: at(4_999 * 60),
      end: at(4_999 * 60 + 30),
    });
    expect(busyFromHex(word(9) + word(2) + word(0) + word(40), 4, 10)).toEqual([
      { therapistId: 9, roomId: 2, start: at(10), end: at(50) },
    ]);
  });

  it('reads nothing as no intervals', () => {
    expect(busyFromText(null, 4)).toEqual([]);
    expect(busyFromText('', 5)).toEqual([]);
    expect(busyFromHex(null, 4, 0)).toEqual([]);
    expect(busyFromHex('', 5, 0)).toEqual([]);
  });

  it('refuses a text that is not whole intervals of numbers', () => {
    const bad: [string, 4 | 5][] = [
      ['3,null,10', 4],
      ['3,1,2,4,', 4],
      ['3,,1,2', 4],
      ['3,1,2,x', 4],
      ['3,nul,1,2', 4],
      ['null,1,2,3', 4],
      ['3,5null,1,2', 4],
      ['3,null5,1,2', 4],
      ['-3,1,2,4', 4],
      ['3,1,--2,4', 4],
      ['3,1,2-,4', 4],
      ['3,1,1234567890123456,4', 4],
      ['3,1,2,4,5,6', 5],
      ['3,1,2,4,null', 5],
      ['3,1,2,4,-5', 5],
    ];
    for (const [text, width] of bad) {
      expect(() => busyFromText(text, width), text).toThrow(/busy text/);
    }
    const one = '00000003000000000000000000000028';
    const badHex: [string, 4 | 5][] = [
      [one.slice(1), 4], // a digit short
      [one, 5], // an interval without its id
      [`${one}00`, 4],
      [`${one.slice(0, -2)}g8`, 4],
      [`${one.slice(0, 8)} ${one.slice(9)}`, 4],
      [`${one.slice(0, -1)}-`, 4],
      [`-${one.slice(1)}`, 4],
    ];
    for (const [text, width] of badHex) {
      expect(() => busyFromHex(text, width, 0), text).toThrow(/busy text/);
    }
  });
});
