/**
 * Crash safety: kill -9 the server in the middle of a booking load, start it again. Every booking
 * that was answered 201 is there, with its lines, package and confirmation e-mail; nothing is
 * half-written; the database passes its integrity check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/db/sqlite/store.ts';
import { NOW, row, rows } from '../helpers.ts';
import { LOAD_TEST_LIMITS, type ServerProcess, startServer, verifiedAs } from '../support-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'terminkette-crash-'));
const dbPath = join(dir, 'crash.db');
const started: ServerProcess[] = [];
/** The server's clock starts at NOW: the dates below are fixed. */
const env = { CLOCK_START: new Date(NOW).toISOString() };

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

/** Free first-visit slots over the coming weeks, from the running server. */
async function freeSlots(url: string) {
  const store = openSqliteStore(dbPath);
  const chain = (await row<{ id: number }>(store, "SELECT id FROM chains WHERE key = 'physio-erstbefund'"))!
    .id;
  const practiceId = (await row<{ id: number }>(store, "SELECT id FROM practices WHERE slug = 'demo'"))!.id;
  // Many bookings from one address (loopback): the practice allows them.
  await store.write((tx) =>
    tx.run('UPDATE practices SET online_limits = ? WHERE id = ?', [LOAD_TEST_LIMITS, practiceId]),
  );
  await store.close();
  const [from, to] = ['2026-11-30', '2027-01-20'];
  const res = await fetch(`${url}/api/v1/p/demo/slots?chain=${chain}&from=${from}&to=${to}`);
  const slots = ((await res.json()) as any).days.flatMap((d: any) => d.slots) as {
    start: string;
    therapist: { id: number };
  }[];
  return { chain, practiceId, slots };
}

/** Eight clients booking distinct slots one after the other until told to stop. */
function bookingLoad(
  url: string,
  practiceId: number,
  chain: number,
  slots: { start: string; therapist: { id: number } }[],
) {
  const acknowledged: number[] = [];
  let next = 0;
  let stopped = false;
  const client = async (w: number) => {
    while (!stopped && next < slots.length) {
      const slot = slots[next++]!;
      const email = `crash-${next}-${w}@example.org`;
      try {
        const res = await fetch(`${url}/api/v1/p/demo/bookings`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': `crash-${slot.start}-${slot.therapist.id}`,
            authorization: `Bearer ${verifiedAs(practiceId, email, NOW)}`,
          },
          body: JSON.stringify({
            chain,
            start: slot.start,
            therapist: slot.therapist.id,
            client: {
              firstName: 'Crash',
              lastName: `Test ${String.fromCharCode(65 + w)}`,
              email,
              consent: true,
            },
          }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status === 201) acknowledged.push(((await res.json()) as { id: number }).id);
        else await res.arrayBuffer();
      } catch {
        // The connection died with the process: not acknowledged.
      }
    }
  };
  const done = Promise.all(Array.from({ length: 8 }, (_, w) => client(w)));
  return {
    acknowledged,
    /** Resolves once at least `n` bookings more than now were acknowledged (or 20 s passed). */
    async more(n: number) {
      const target = acknowledged.length + n;
      const deadline = Date.now() + 20_000;
      while (acknowledged.length < target && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      expect(acknowledged.length).toBeGreaterThanOrEqual(target);
    },
    stop() {
      stopped = true;
      return done;
    },
  };
}

/** Every acknowledged booking is there, whole; the file is sound. */
async function expectNothingLostOrHalfWritten(acknowledged: number[]) {
  const store = openSqliteStore(dbPath);
  try {
    expect(store.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(store.sqlite.pragma('foreign_key_check')).toEqual([]);
    const present = new Set(
      (await rows<{ id: number }>(store, "SELECT id FROM appointments WHERE source = 'online'")).map(
        (r) => r.id,
      ),
    );
    for (const id of acknowledged) expect(present.has(id)).toBe(true);
    // Nothing half-written: every online appointment has its lines, its package, its ledger entries,
    // its confirmation e-mail and its idempotency record.
    const incomplete = await rows(
      store,
      `SELECT a.id FROM appointments a WHERE a.source = 'online' AND (
           NOT EXISTS (SELECT 1 FROM appointment_lines l WHERE l.appointment_id = a.id)
        OR NOT EXISTS (SELECT 1 FROM appointment_packages p WHERE p.appointment_id = a.id)
        OR NOT EXISTS (SELECT 1 FROM package_ledger g WHERE g.appointment_id = a.id AND g.action = 'assigned')
        OR NOT EXISTS (SELECT 1 FROM booking_requests b WHERE b.appointment_id = a.id))`,
    );
    expect(incomplete).toEqual([]);
    const mails = await row<{ n: number }>(
      store,
      "SELECT count(*) AS n FROM outbox WHERE kind = 'booking-confirmation'",
    );
    expect(mails!.n).toBe(present.size);
  } finally {
    await store.close();
  }
}

describe('a server killed with SIGKILL during a booking load', () => {
  it('loses no acknowledged booking and leaves nothing half-written', async () => {
    const server = await startServer(dbPath, env);
    started.push(server);
    const { chain, practiceId, slots } = await freeSlots(server.url);
    expect(slots.length).toBeGreaterThan(200);
    const load = bookingLoad(server.url, practiceId, chain, slots);
    // Let the load run until a good number of bookings were acknowledged, then kill mid-flight.
    await load.more(60);
    server.child.kill('SIGKILL');
    await load.stop();

    // Start again on the same file: it opens, recovers the WAL and serves.
    const again = await startServer(dbPath, env);
    started.push(again);
    expect((await fetch(`${again.url}/health`)).status).toBe(200);
    await again.stop();
    await expectNothingLostOrHalfWritten(load.acknowledged);
  }, 90_000);
});
