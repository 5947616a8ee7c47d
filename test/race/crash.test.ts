/**
 * Crash safety: kill -9 the server in the middle of a booking load, start it again. Every booking
 * that was answered 201 is there, with its lines, package and confirmation e-mail; nothing is
 * half-written; the database passes its integrity check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/index.ts';
import { type ServerProcess, startServer } from '../support-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'terminkette-crash-'));
const dbPath = join(dir, 'crash.db');
const started: ServerProcess[] = [];

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

describe('a server killed with SIGKILL during a booking load', () => {
  it('loses no acknowledged booking and leaves nothing half-written', async () => {
    const server = await startServer(dbPath);
    started.push(server);
    const chainRow = (() => {
      const db = openDatabase(dbPath).$client;
      const row = db.prepare("SELECT id FROM chains WHERE key = 'physio-erstbefund'").get() as { id: number };
      db.close();
      return row;
    })();
    const from = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.now() + 55 * 86_400_000).toISOString().slice(0, 10);
    const slotsRes = await fetch(
      `${server.url}/api/v1/p/demo/slots?chain=${chainRow.id}&from=${from}&to=${to}`,
    );
    const slots = ((await slotsRes.json()) as any).days.flatMap((d: any) => d.slots) as {
      start: string;
      therapist: { id: number };
    }[];
    expect(slots.length).toBeGreaterThan(200);

    const acknowledged: number[] = [];
    let next = 0;
    let killed = false;
    // Eight clients book distinct slots one after the other until the server dies under them.
    const worker = async (w: number) => {
      while (!killed && next < slots.length) {
        const slot = slots[next++]!;
        try {
          const res = await fetch(`${server.url}/api/v1/p/demo/bookings`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `crash-${slot.start}-${slot.therapist.id}`,
            },
            body: JSON.stringify({
              chain: chainRow.id,
              start: slot.start,
              therapist: slot.therapist.id,
              client: {
                firstName: 'Crash',
                lastName: `Test ${String.fromCharCode(65 + w)}`,
                email: `crash-${next}-${w}@example.org`,
                consent: true,
              },
            }),
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status === 201) acknowledged.push(((await res.json()) as { id: number }).id);
          else await res.arrayBuffer();
        } catch {
          // The connection died with the server: not acknowledged.
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    // Let the load run until a good number of bookings were acknowledged, then kill mid-flight.
    const deadline = Date.now() + 20_000;
    while (acknowledged.length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGKILL');
    killed = true;
    await load;
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    // Start again on the same file: it opens, recovers the WAL and serves.
    const again = await startServer(dbPath);
    started.push(again);
    expect((await fetch(`${again.url}/health`)).status).toBe(200);

    const db = openDatabase(dbPath).$client;
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const present = new Set(
      (db.prepare("SELECT id FROM appointments WHERE source = 'online'").all() as { id: number }[]).map(
        (r) => r.id,
      ),
    );
    for (const id of acknowledged) expect(present.has(id)).toBe(true);
    // Nothing half-written: every online appointment has its lines, its package, its ledger entries,
    // its confirmation e-mail and its idempotency record.
    const incomplete = db
      .prepare(
        `SELECT a.id FROM appointments a WHERE a.source = 'online' AND (
           NOT EXISTS (SELECT 1 FROM appointment_lines l WHERE l.appointment_id = a.id)
        OR NOT EXISTS (SELECT 1 FROM appointment_packages p WHERE p.appointment_id = a.id)
        OR NOT EXISTS (SELECT 1 FROM package_ledger g WHERE g.appointment_id = a.id AND g.action = 'assigned')
        OR NOT EXISTS (SELECT 1 FROM booking_requests b WHERE b.appointment_id = a.id))`,
      )
      .all();
    expect(incomplete).toEqual([]);
    const mails = db
      .prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'booking-confirmation'")
      .get() as { n: number };
    expect(mails.n).toBe(present.size);
    db.close();
  }, 90_000);
});
