/**
 * Benchmark data: a practice with 20 therapists and 5 rooms, and as many appointments as asked,
 * written straight into the database (the importer is for people, not for 100 000 rows).
 */
import type { Db } from '../server/db/index.ts';
import { insertClient, insertPackage } from '../server/db/writes.ts';
import { importPractice } from '../server/practice/import.ts';
import { addDays, localToInstant, weekdayOf } from '../shared/time.ts';

export const TZ = 'Europe/Berlin';
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

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

export interface BenchPractice {
  practiceId: number;
  slug: string;
  therapistIds: number[];
  roomIds: number[];
  chainId: number;
  bookingChainId: number;
}

/** 20 therapists working Mon–Fri 08:00–18:00, 5 rooms, a room chain and a package chain. */
export function createBenchPractice(db: Db, now: number, slug = 'bench'): BenchPractice {
  const therapists = Array.from({ length: 20 }, (_, i) => ({
    key: `t${i + 1}`,
    name: `Therapeuty ${String.fromCharCode(65 + i)}`,
    hours: WEEKDAYS.map((weekday) => ({ weekday, from: '08:00', to: '18:00' })),
  }));
  importPractice(
    db,
    {
      practice: {
        slug,
        name: 'Benchmark-Praxis',
        plan: 'XL',
        booking: { minNoticeMinutes: 0, bookingWindowDays: 730, slotStepMinutes: 10 },
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
      clients: [{ key: 'c', firstName: 'Bench', lastName: 'Client' }],
    },
    { now },
  );
  const q = (sql: string, ...args: unknown[]) => db.$client.prepare(sql).all(...args) as { id: number }[];
  const practiceId = q('SELECT id FROM practices WHERE slug = ?', slug)[0]!.id;
  return {
    practiceId,
    slug,
    therapistIds: q('SELECT id FROM therapists WHERE practice_id = ? ORDER BY id', practiceId).map(
      (r) => r.id,
    ),
    roomIds: q('SELECT id FROM rooms WHERE practice_id = ? ORDER BY id', practiceId).map((r) => r.id),
    chainId: q("SELECT id FROM chains WHERE practice_id = ? AND key = 'kg-raum'", practiceId)[0]!.id,
    bookingChainId: q("SELECT id FROM chains WHERE practice_id = ? AND key = 'mt-serie'", practiceId)[0]!.id,
  };
}

/**
 * Writes `count` appointments (30 min + 10 min buffer, on the hour, never overlapping for a
 * therapist or a room) on the working days from `firstDate` on, `perDay` per therapist and day.
 * Returns the last local date used.
 */
export function addAppointments(
  db: Db,
  p: BenchPractice,
  opts: { count: number; firstDate: string; perDay: number; seed: number; now: number },
): string {
  const random = prng(opts.seed);
  const client = (
    db.$client.prepare('SELECT id FROM clients WHERE practice_id = ? LIMIT 1').get(p.practiceId) as {
      id: number;
    }
  ).id;
  const service = (
    db.$client.prepare("SELECT id FROM services WHERE practice_id = ? AND code = 'KG'").get(p.practiceId) as {
      id: number;
    }
  ).id;
  const insert = db.$client.prepare(
    `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at, buffer_after_minutes, blocked_until, status, source, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 10, ?, 'booked', 'staff', ?)`,
  );
  const line = db.$client.prepare(
    'INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents) VALUES (?, ?, ?, ?, 1, 2800)',
  );
  let written = 0;
  let date = opts.firstDate;
  const hours = 10; // starts on the hour 08:00 … 17:00; 40 minutes blocked each, so none overlap
  db.$client.transaction(() => {
    while (written < opts.count) {
      if (weekdayOf(date) <= 5) {
        const roomTaken = new Set<number>();
        for (const therapistId of p.therapistIds) {
          const slots = new Set<number>();
          while (slots.size < Math.min(opts.perDay, hours)) slots.add(Math.floor(random() * hours));
          for (const s of slots) {
            if (written >= opts.count) break;
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
            const info = insert.run(
              p.practiceId,
              client,
              therapistId,
              roomId,
              p.chainId,
              start,
              end,
              end + 10 * 60_000,
              opts.now,
            );
            line.run(p.practiceId, info.lastInsertRowid, service, 'KG');
            written++;
          }
        }
      }
      date = addDays(date, 1);
    }
  })();
  return date;
}

/**
 * `count` client files, each with an active package of the booking chain's template (10
 * sessions, valid for a year from `now`), written as staff would. Returns what a client token
 * names: the file and its access-code version.
 */
export function addReturningClients(
  db: Db,
  p: BenchPractice,
  count: number,
  now: number,
): { clientId: number; codeVersion: number }[] {
  const template = db.$client
    .prepare("SELECT id, name FROM package_templates WHERE practice_id = ? AND key = 'serie10'")
    .get(p.practiceId) as { id: number; name: string };
  const version = db.$client.prepare('SELECT access_code_version AS v FROM clients WHERE id = ?');
  const out: { clientId: number; codeVersion: number }[] = [];
  db.$client.transaction(() => {
    for (let i = 0; i < count; i++) {
      const clientId = insertClient(db, {
        practiceId: p.practiceId,
        firstName: 'Wieder',
        lastName: 'Kehrend',
        email: `returning${i}@example.org`,
        phone: null,
        birthDate: null,
        accessCode: `CODE${String(i).padStart(6, '0')}`,
        consentAt: now,
        now,
      });
      insertPackage(db, {
        practiceId: p.practiceId,
        clientId,
        templateId: template.id,
        name: template.name,
        limits: { maxAppointments: 10, maxAmountCents: null, codeLimits: [] },
        validFrom: now,
        validUntil: now + 365 * 86_400_000,
        now,
      });
      out.push({ clientId, codeVersion: (version.get(clientId) as { v: number }).v });
    }
  })();
  return out;
}
