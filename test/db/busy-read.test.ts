/**
 * The busy times a slot search and a booking read (db/queries/calendar.ts): every appointment and
 * running hold that blocks the window's therapists or rooms, however far into the window it lies,
 * in whole minutes — an interval off the minute widened to the minutes it touches, the same for
 * both reads.
 */
import { describe, expect, it } from 'vitest';
import { busyFromText, loadBusy, loadBusyAndHead } from '../../server/db/queries/calendar.ts';
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
  const SQLITE = { base: 0, lengths: false };
  const POSTGRES = { base: 28_900_000, lengths: true };

  it('reads SQLite’s form: minutes since 1970, start and end, "null" for no room', () => {
    expect(busyFromText('3,null,28900000,28900040,1,2,28900100,28900130', 4, SQLITE)).toEqual([
      { therapistId: 3, roomId: null, start: at(28_900_000), end: at(28_900_040) },
      { therapistId: 1, roomId: 2, start: at(28_900_100), end: at(28_900_130) },
    ]);
    // Before 1970 its minutes are negative.
    expect(busyFromText('3,2,-100,-60', 4, SQLITE)).toEqual([
      { therapistId: 3, roomId: 2, start: at(-100), end: at(-60) },
    ]);
  });

  it('reads PostgreSQL’s form: starts from the base minute, then the length; the fifth number the id', () => {
    expect(busyFromText('3,null,0,40,17,1,2,1440,30,18', 5, POSTGRES)).toEqual([
      { therapistId: 3, roomId: null, start: at(28_900_000), end: at(28_900_040), appointmentId: 17 },
      { therapistId: 1, roomId: 2, start: at(28_901_440), end: at(28_901_470), appointmentId: 18 },
    ]);
  });

  it('reads nothing as no intervals', () => {
    expect(busyFromText(null, 4, SQLITE)).toEqual([]);
    expect(busyFromText('', 5, POSTGRES)).toEqual([]);
  });

  it('refuses a text that is not whole intervals of numbers', () => {
    const bad: [string, 4 | 5, typeof SQLITE][] = [
      ['3,null,10', 4, SQLITE],
      ['3,1,2,4,', 4, SQLITE],
      ['3,,1,2', 4, SQLITE],
      ['3,1,2,x', 4, SQLITE],
      ['3,nul,1,2', 4, SQLITE],
      ['null,1,2,3', 4, SQLITE],
      ['3,5null,1,2', 4, SQLITE],
      ['3,null5,1,2', 4, SQLITE],
      ['-3,1,2,4', 4, SQLITE],
      ['3,1,--2,4', 4, SQLITE],
      ['3,1,2-,4', 4, SQLITE],
      ['3,1,-2,4', 4, POSTGRES],
      ['3,1,1234567890123456,4', 4, SQLITE],
      ['3,1,2,4,5,6', 5, POSTGRES],
      ['3,1,2,4,null', 5, POSTGRES],
    ];
    for (const [text, width, form] of bad) {
      expect(() => busyFromText(text, width, form), text).toThrow(/busy text/);
    }
  });
});
