/**
 * Benchmark data: a practice with 20 therapists and 5 rooms, and as many appointments or returning
 * clients as asked, written through the store (SQLite or PostgreSQL alike). The practice goes through
 * the importer; the bulk rows go straight in with multi-row INSERTs (the importer writes one row per
 * statement, which is for people, not for 100 000 rows).
 */
import type { Store, Tx } from '../server/db/store.ts';
import { importPractice } from '../server/practice/import.ts';
import { addDays, localToInstant, weekdayOf } from '../shared/time.ts';

export const TZ = 'Europe/Berlin';
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

/**
 * Rows per INSERT statement: a few hundred, far below either database's limit on parameters
 * (SQLite 32 766, PostgreSQL 65 535), and few enough distinct statement texts to prepare.
 */
const BATCH = 400;

/** Rows per write transaction: a 100 000-row table is written in a few dozen transactions. */
const ROWS_PER_TRANSACTION = 10_000;

/** A deterministic pseudo-random sequence, so every run measures the same data. */
export function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Inserts `rows` (values in the order of `columns`) with `INSERT … VALUES (?, …), (?, …), …` of
 * BATCH rows each, inside the caller's transaction. With `returning`, resolves with those columns
 * of every row written (in no promised order: look rows up by what they hold, not by position).
 */
async function insertRows<R = never>(
  tx: Tx,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  returning?: string,
): Promise<R[]> {
  const out: R[] = [];
  const row = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => row).join(', ')}${
      returning ? ` RETURNING ${returning}` : ''
    }`;
    const params = chunk.flat();
    if (returning) out.push(...(await tx.all<R>(sql, params)));
    else await tx.run(sql, params);
  }
  return out;
}

export interface BenchPractice {
  practiceId: number;
  slug: string;
  therapistIds: number[];
  roomIds: number[];
  chainId: number;
  bookingChainId: number;
}

/** 20 therapists working Mon–Fri 08:00–18:00, 5 rooms, a room chain and a package chain. */
export async function createBenchPractice(store: Store, now: number, slug = 'bench'): Promise<BenchPractice> {
  const therapists = Array.from({ length: 20 }, (_, i) => ({
    key: `t${i + 1}`,
    name: `Therapeuty ${String.fromCharCode(65 + i)}`,
    hours: WEEKDAYS.map((weekday) => ({ weekday, from: '08:00', to: '18:00' })),
  }));
  const { practiceId } = await importPractice(
    store,
    {
      practice: {
        slug,
        name: 'Benchmark-Praxis',
        plan: 'XL',
        booking: {
          minNoticeMinutes: 0,
          bookingWindowDays: 730,
          slotStepMinutes: 10,
          // The load comes from one address (loopback), as from a thousand clients behind one
          // proxy: the practice lets it through, and each returning client may hold ten bookings.
          maxOpenOnlineBookings: 100,
          limits: {
            bookingsPerAddress: { count: 1_000_000, minutes: 60 },
            holdsPerAddress: { count: 1_000_000, minutes: 60 },
            holdsPerPractice: { count: 1_000_000, minutes: 60 },
            codeRequestsPerAddress: { count: 1_000_000, minutes: 60 },
            verifyPerAddress: { count: 1_000_000, minutes: 60 },
          },
        },
      },
      therapists,
      rooms: Array.from({ length: 5 }, (_, i) => ({ key: `r${i + 1}`, name: `Raum ${i + 1}` })),
      services: [
        { code: 'KG', name: 'Krankengymnastik', priceCents: 2800, durationMinutes: 30 },
        { code: 'MT', name: 'Manuelle Therapie', priceCents: 3400, durationMinutes: 30 },
      ],
      packageTemplates: [
        {
          key: 'serie10',
          name: 'Serie 10×',
          limits: { maxAppointments: 10 },
          validity: { kind: 'days', days: 730 },
        },
      ],
      chains: [
        {
          key: 'kg-raum',
          name: 'KG mit Raum',
          lines: [{ code: 'KG' }],
          bufferAfterMinutes: 10,
          needsRoom: true,
          therapists: therapists.map((t) => t.key),
        },
        {
          key: 'mt-serie',
          name: 'MT Serie',
          lines: [{ code: 'MT' }],
          bufferAfterMinutes: 10,
          therapists: therapists.map((t) => t.key),
          packageRules: [{ template: 'serie10', offeredWhen: ['absent', 'present'], createOnBooking: true }],
        },
      ],
      // One client file per therapist for the appointments below: a file holds no two that overlap.
      clients: therapists.map((_, i) => ({
        key: `c${i + 1}`,
        firstName: 'Bench',
        lastName: `Client ${String.fromCharCode(65 + i)}`,
      })),
    },
    { now },
  );
  return store.read(async (tx) => {
    const ids = async (sql: string) => (await tx.all<{ id: number }>(sql, [practiceId])).map((r) => r.id);
    return {
      practiceId,
      slug,
      therapistIds: await ids('SELECT id FROM therapists WHERE practice_id = ? ORDER BY id'),
      roomIds: await ids('SELECT id FROM rooms WHERE practice_id = ? ORDER BY id'),
      chainId: (await ids("SELECT id FROM chains WHERE practice_id = ? AND key = 'kg-raum'"))[0]!,
      bookingChainId: (await ids("SELECT id FROM chains WHERE practice_id = ? AND key = 'mt-serie'"))[0]!,
    };
  });
}

/**
 * Writes `count` appointments (30 min + 10 min buffer, on the hour, never overlapping for a
 * therapist, a room or a client file: each therapist's are of one file) on the working days from `firstDate` on, `perDay` per therapist and day,
 * each with its service line. Returns the day after the last local date used.
 */
export async function addAppointments(
  store: Store,
  p: BenchPractice,
  opts: { count: number; firstDate: string; perDay: number; seed: number; now: number },
): Promise<string> {
  const random = prng(opts.seed);
  const { clients, service } = await store.read(async (tx) => ({
    // The practice's own files, one per therapist (see createBenchPractice).
    clients: (
      await tx.all<{ id: number }>('SELECT id FROM clients WHERE practice_id = ? ORDER BY id', [p.practiceId])
    ).map((c) => c.id),
    service: (await tx.get<{ id: number }>("SELECT id FROM services WHERE practice_id = ? AND code = 'KG'", [
      p.practiceId,
    ]))!.id,
  }));
  // The rows first, in the order (and from the random sequence) the data has always been made in.
  const rows: unknown[][] = [];
  let date = opts.firstDate;
  const hours = 10; // starts on the hour 08:00 … 17:00; 40 minutes blocked each, so none overlap
  while (rows.length < opts.count) {
    if (weekdayOf(date) <= 5) {
      const roomTaken = new Set<number>();
      for (const [index, therapistId] of p.therapistIds.entries()) {
        const slots = new Set<number>();
        while (slots.size < Math.min(opts.perDay, hours)) slots.add(Math.floor(random() * hours));
        for (const s of slots) {
          if (rows.length >= opts.count) break;
          const start = localToInstant(date, (8 + s) * 60, TZ)!;
          // A room for a quarter of them, when one is free in that hour.
          let roomId: number | null = null;
          if (random() < 0.25) {
            const free = p.roomIds.find((r) => !roomTaken.has(r * 100 + s));
            if (free !== undefined) {
              roomId = free;
              roomTaken.add(free * 100 + s);
            }
          }
          const end = start + 30 * 60_000;
          rows.push([
            p.practiceId,
            clients[index]!,
            therapistId,
            roomId,
            p.chainId,
            start,
            end,
            10,
            end + 10 * 60_000,
            'booked',
            'staff',
            opts.now,
          ]);
        }
      }
    }
    date = addDays(date, 1);
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_TRANSACTION) {
    const chunk = rows.slice(i, i + ROWS_PER_TRANSACTION);
    await store.write(async (tx) => {
      const written = await insertRows<{ id: number }>(
        tx,
        'appointments',
        [
          'practice_id',
          'client_id',
          'therapist_id',
          'room_id',
          'chain_id',
          'starts_at',
          'ends_at',
          'buffer_after_minutes',
          'blocked_until',
          'status',
          'source',
          'created_at',
        ],
        chunk,
        'id',
      );
      await insertRows(
        tx,
        'appointment_lines',
        ['practice_id', 'appointment_id', 'service_id', 'code', 'quantity', 'unit_price_cents'],
        written.map((a) => [p.practiceId, a.id, service, 'KG', 1, 2800]),
      );
      tx.touch(p.practiceId);
    });
  }
  return date;
}

/**
 * `count` client files, each with an active package of the booking chain's template (10
 * sessions, valid for a year from `now`), written as staff would. Returns what a client token
 * names, client `i` at index `i`: the file and its access-code version.
 */
export async function addReturningClients(
  store: Store,
  p: BenchPractice,
  count: number,
  now: number,
): Promise<{ clientId: number; codeVersion: number; email: string }[]> {
  return store.write(async (tx) => {
    const template = (await tx.get<{ id: number; name: string }>(
      "SELECT id, name FROM package_templates WHERE practice_id = ? AND key = 'serie10'",
      [p.practiceId],
    ))!;
    const email = (i: number) => `returning${i}@example.org`;
    const clients = await insertRows<{ id: number; email: string; codeVersion: number }>(
      tx,
      'clients',
      [
        'practice_id',
        'first_name',
        'last_name',
        'email',
        'phone',
        'birth_date',
        'access_code',
        'consent_at',
        'created_at',
      ],
      Array.from({ length: count }, (_, i) => [
        p.practiceId,
        'Wieder',
        'Kehrend',
        email(i),
        null,
        null,
        `CODE${String(i).padStart(6, '0')}`,
        now,
        now,
      ]),
      'id, email, access_code_version AS "codeVersion"',
    );
    await insertRows(
      tx,
      'packages',
      [
        'practice_id',
        'client_id',
        'template_id',
        'name',
        'max_appointments',
        'max_amount_cents',
        'code_limits',
        'valid_from',
        'valid_until',
        'status',
        'origin',
        'created_at',
      ],
      clients.map((c) => [
        p.practiceId,
        c.id,
        template.id,
        template.name,
        10,
        null,
        '[]',
        now,
        now + 365 * 86_400_000,
        'active',
        'booking',
        now,
      ]),
    );
    tx.touch(p.practiceId);
    const byEmail = new Map(clients.map((c) => [c.email, c]));
    return Array.from({ length: count }, (_, i) => {
      const c = byEmail.get(email(i))!;
      return { clientId: c.id, codeVersion: c.codeVersion, email: c.email };
    });
  });
}
