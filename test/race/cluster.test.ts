/**
 * One server with WORKERS=2: two HTTP processes behind one port, taking turns at the write lock
 * (server/db/writeTurns.ts). Many parallel bookings all land, none overlaps, and the last free
 * slot still goes to exactly one client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/index.ts';
import { post, type ServerProcess, startServer } from '../support-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'terminkette-cluster-'));
const dbPath = join(dir, 'cluster.db');
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer(dbPath, { WORKERS: '2' });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function query<T>(sql: string): T[] {
  const db = openDatabase(dbPath).$client;
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

async function freeSlots(chain: number) {
  const from = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + 55 * 86_400_000).toISOString().slice(0, 10);
  const res = await fetch(`${server.url}/api/v1/p/demo/slots?chain=${chain}&from=${from}&to=${to}`);
  const body = (await res.json()) as any;
  return body.days.flatMap((d: any) => d.slots) as { start: string; therapist: { id: number } }[];
}

/** A new client; names take letters only, so the number is spelled in letters too. */
const newClient = (n: string) => ({
  firstName: 'Cluster',
  lastName: `Client ${n.replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!)}`,
  email: `cluster-${n}@example.org`,
  consent: true,
});

describe('a server with two worker processes', () => {
  it('books 40 distinct slots sent at once, every one exactly once, with no overlap', async () => {
    const chain = query<{ id: number }>("SELECT id FROM chains WHERE key = 'physio-erstbefund'")[0]!.id;
    // Starts at least an hour apart, so none competes with another for a therapist or a room.
    const picked: Awaited<ReturnType<typeof freeSlots>> = [];
    for (const s of await freeSlots(chain)) {
      if (picked.every((o) => Math.abs(Date.parse(o.start) - Date.parse(s.start)) >= 3_600_000))
        picked.push(s);
      if (picked.length === 40) break;
    }
    expect(picked).toHaveLength(40);
    const results = await Promise.all(
      picked.map((s, i) =>
        post(
          `${server.url}/api/v1/p/demo/bookings`,
          { chain, start: s.start, therapist: s.therapist.id, client: newClient(`d${i}`) },
          { 'idempotency-key': `cluster-distinct-${i}` },
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(40);
    const overlaps = query<{ n: number }>(`SELECT count(*) AS n FROM appointments a JOIN appointments b
      ON b.therapist_id = a.therapist_id AND b.id > a.id AND b.status != 'cancelled'
     AND b.starts_at < a.blocked_until AND a.starts_at < b.blocked_until WHERE a.status != 'cancelled'`)[0]!;
    expect(overlaps.n).toBe(0);
  }, 60_000);

  it('gives one slot to exactly one of 16 clients sending at once', async () => {
    const chain = query<{ id: number }>("SELECT id FROM chains WHERE key = 'physio-erstbefund'")[0]!.id;
    const slot = (await freeSlots(chain)).at(-1)!;
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        post(
          `${server.url}/api/v1/p/demo/bookings`,
          { chain, start: slot.start, therapist: slot.therapist.id, client: newClient(`s${i}`) },
          { 'idempotency-key': `cluster-same-${i}` },
        ),
      ),
    );
    expect(results.map((r) => r.body.code ?? r.status).sort()).toEqual([
      201,
      ...Array(15).fill('slot_taken'),
    ]);
  }, 60_000);

  it('logs each pending mail once (no SMTP), not once per worker', async () => {
    const ids = query<{ id: number }>("SELECT id FROM outbox WHERE to_address LIKE 'cluster-%'").map(
      (r) => r.id,
    );
    expect(ids.length).toBeGreaterThanOrEqual(41);
    const logged = () =>
      [...server.log().matchAll(/outbox #(\d+) \(booking-confirmation\) not sent/g)].map((m) => Number(m[1]));
    // The logger looks every 5 s.
    const deadline = Date.now() + 12_000;
    while (!ids.every((id) => logged().includes(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const counts = ids.map((id) => logged().filter((l) => l === id).length);
    expect(counts).toEqual(ids.map(() => 1));
  }, 30_000);
});
