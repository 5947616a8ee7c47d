import { describe, expect, it, onTestFinished } from 'vitest';
import { mailsOf } from '../../server/db/queries/outbox.ts';
import { json } from '../../server/db/sql.ts';
import type { Store } from '../../server/db/store.ts';
import {
  createMailDelivery,
  createOutboxWorker,
  createPendingMailLogger,
  enqueueMail,
  LOG_CHUNK,
  type NewMail,
  type OutgoingMail,
  retryDelayMs,
  type SendMail,
} from '../../server/mail/outbox.ts';
import { count, exec, row as one } from '../helpers.ts';
import { addPractice, NOW, ownDatabase, prng, storeWithPractice } from './helpers.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

function confirmation(practiceId: number, n = 1): NewMail {
  return {
    practiceId,
    kind: 'booking-confirmation',
    to: `client${n}@example.org`,
    subject: `Ihr Termin #${n}`,
    text: `Guten Tag, Ihr Termin ist gebucht. Absagen: https://praxis.example/cancel/${n}`,
    attachments: [
      { filename: 'termin.ics', contentType: 'text/calendar; method=REQUEST', content: 'BEGIN:…' },
    ],
  };
}

/** Writes a mail to the outbox in a transaction of its own; its id. */
function enqueue(store: Store, mail: NewMail, now: number): Promise<number> {
  return store.write((tx) => enqueueMail(tx, mail, now));
}

/** The outbox row `id`. */
async function row(store: Store, id: number) {
  const found = await one(
    store,
    `SELECT status, attempts, next_attempt_at AS "nextAttemptAt", created_at AS "createdAt", to_address AS "toAddress",
            claimed_by AS "claimedBy", claimed_until AS "claimedUntil", last_error AS "lastError",
            message_id AS "messageId", sent_at AS "sentAt", attachments
       FROM outbox WHERE id = ?`,
    [id],
  );
  if (!found) throw new Error(`outbox #${id} is gone`);
  return { ...found, attachments: json(found.attachments) };
}

/** A clock the test moves by hand. */
function fakeClock(start = NOW) {
  let now = start;
  return {
    now: () => now,
    set(t: number) {
      now = t;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A sender that records what it got and fails while `failing` is set. */
function recordingSender() {
  const delivered: OutgoingMail[] = [];
  const state = { failing: false, tries: 0 };
  const send: SendMail = async (mail) => {
    state.tries++;
    if (state.failing) throw new Error('421 mail.example.org Service not available');
    delivered.push(mail);
    return { messageId: `<${mail.id}.${delivered.length}@test>` };
  };
  return { send, delivered, state };
}

describe('outbox', () => {
  it('enqueues a pending mail, due at once, with its attachments', async () => {
    const { store, practiceId } = await storeWithPractice();
    const id = await enqueue(store, confirmation(practiceId), NOW);
    expect(await row(store, id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      nextAttemptAt: NOW,
      createdAt: NOW,
      toAddress: 'client1@example.org',
      claimedBy: null,
      attachments: [
        { filename: 'termin.ics', contentType: 'text/calendar; method=REQUEST', content: 'BEGIN:…' },
      ],
    });
  });

  it('writes the mail in the caller’s transaction: rolled back with it, kept with it', async () => {
    const { store, practiceId } = await storeWithPractice();
    await expect(
      store.write(async (tx) => {
        await enqueueMail(tx, confirmation(practiceId), NOW);
        throw new Error('slot taken');
      }),
    ).rejects.toThrow('slot taken');
    expect(await count(store, 'SELECT count(*) AS n FROM outbox')).toBe(0);

    const id = await store.write((tx) => enqueueMail(tx, confirmation(practiceId), NOW));
    expect((await row(store, id)).status).toBe('pending');
  });

  it('sends a due mail once and marks it sent with the time and message id', async () => {
    const { store, practiceId } = await storeWithPractice();
    const clock = fakeClock();
    const sender = recordingSender();
    const worker = createOutboxWorker({
      store,
      send: sender.send,
      clock: clock.now,
      workerId: 'w1',
      log: () => {},
    });
    const id = await enqueue(store, confirmation(practiceId), NOW);

    clock.advance(2 * SECOND);
    expect(await worker.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect(sender.delivered.map((m) => [m.id, m.to, m.subject])).toEqual([
      [id, 'client1@example.org', 'Ihr Termin #1'],
    ]);
    expect(sender.delivered[0]!.attachments[0]!.filename).toBe('termin.ics');
    expect(await row(store, id)).toMatchObject({
      status: 'sent',
      sentAt: NOW + 2 * SECOND,
      messageId: `<${id}.1@test>`,
      attempts: 1,
      claimedBy: null,
      claimedUntil: null,
    });

    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(sender.delivered).toHaveLength(1);
  });

  it('does not send a mail before it is due', async () => {
    const { store, practiceId } = await storeWithPractice();
    const sender = recordingSender();
    const worker = createOutboxWorker({ store, send: sender.send, clock: () => NOW - 1, workerId: 'w1' });
    await enqueue(store, confirmation(practiceId), NOW);
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(sender.state.tries).toBe(0);
  });

  it('backs off exponentially: 30 s, 1 min, 2 min, 4 min, … capped at 1 h', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => retryDelayMs(n) / SECOND)).toEqual([
      30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600,
    ]);
  });

  it('retries a failed send after the backoff and never loses the mail', async () => {
    const { store, practiceId } = await storeWithPractice();
    const clock = fakeClock();
    const sender = recordingSender();
    const logged: string[] = [];
    const worker = createOutboxWorker({
      store,
      send: sender.send,
      clock: clock.now,
      workerId: 'w1',
      log: (m) => logged.push(m),
    });
    const id = await enqueue(store, confirmation(practiceId), NOW);
    sender.state.failing = true;

    for (const [attempt, delay] of [
      [1, 30 * SECOND],
      [2, MINUTE],
      [3, 2 * MINUTE],
    ] as const) {
      const triedAt = clock.now();
      expect(await worker.runOnce()).toEqual({ sent: 0, failed: 1 });
      expect(await row(store, id)).toMatchObject({
        status: 'pending',
        attempts: attempt,
        nextAttemptAt: triedAt + delay,
        lastError: '421 mail.example.org Service not available',
        claimedBy: null,
      });
      // Not before the backoff is over …
      clock.set(triedAt + delay - 1);
      expect(await worker.runOnce()).toEqual({ sent: 0, failed: 0 });
      // … then again.
      clock.set(triedAt + delay);
    }
    expect(sender.state.tries).toBe(3);
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatch(/attempt 1 failed, retry in 30 s/);

    sender.state.failing = false;
    expect(await worker.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect(await row(store, id)).toMatchObject({ status: 'sent', attempts: 4, sentAt: clock.now() });
    expect(sender.delivered.map((m) => m.id)).toEqual([id]);
  });

  it('gives a mail up as failed after maxAttempts, and keeps the row with its last error', async () => {
    const { store, practiceId } = await storeWithPractice();
    const clock = fakeClock();
    const sender = recordingSender();
    sender.state.failing = true;
    const worker = createOutboxWorker({
      store,
      send: sender.send,
      clock: clock.now,
      workerId: 'w1',
      maxAttempts: 4,
      log: () => {},
    });
    const id = await enqueue(store, confirmation(practiceId), NOW);

    for (let i = 0; i < 10; i++) {
      await worker.runOnce();
      clock.advance(HOUR);
    }
    expect(sender.state.tries).toBe(4);
    expect(await row(store, id)).toMatchObject({
      status: 'failed',
      attempts: 4,
      lastError: '421 mail.example.org Service not available',
      sentAt: null,
    });
  });

  it('defaults to ten attempts before giving up', async () => {
    const { store, practiceId } = await storeWithPractice();
    const clock = fakeClock();
    const sender = recordingSender();
    sender.state.failing = true;
    const worker = createOutboxWorker({
      store,
      send: sender.send,
      clock: clock.now,
      workerId: 'w1',
      log: () => {},
    });
    const id = await enqueue(store, confirmation(practiceId), NOW);
    for (let i = 0; i < 20; i++) {
      await worker.runOnce();
      clock.advance(HOUR);
    }
    expect(await row(store, id)).toMatchObject({ status: 'failed', attempts: 10 });
  });

  it('leaves a mail alone while another worker’s claim holds, and takes it over when the claim ran out', async () => {
    const { store, practiceId } = await storeWithPractice();
    const clock = fakeClock();
    const sender = recordingSender();
    const id = await enqueue(store, confirmation(practiceId), NOW);
    // A worker claimed the mail and then died before sending it.
    await exec(store, 'UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?', [
      'dead-worker',
      NOW + 5 * MINUTE,
      id,
    ]);
    const worker = createOutboxWorker({ store, send: sender.send, clock: clock.now, workerId: 'w2' });

    clock.set(NOW + 5 * MINUTE);
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 0 });
    clock.set(NOW + 5 * MINUTE + 1);
    expect(await worker.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect((await row(store, id)).status).toBe('sent');
  });

  it('claims at most batchSize mails per run, oldest due first', async () => {
    const { store, practiceId } = await storeWithPractice();
    const sender = recordingSender();
    const ids: number[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push(await enqueue(store, confirmation(practiceId, n), NOW + n));
    const worker = createOutboxWorker({
      store,
      send: sender.send,
      clock: () => NOW + HOUR,
      workerId: 'w',
      batchSize: 2,
    });
    expect(await worker.runOnce()).toEqual({ sent: 2, failed: 0 });
    expect(await worker.runOnce()).toEqual({ sent: 2, failed: 0 });
    expect(await worker.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect(sender.delivered.map((m) => m.id)).toEqual(ids);
  });

  it('stops a batch whose claim ran out during slow sends, and another run sends the rest', async () => {
    const { store, practiceId } = await storeWithPractice();
    const clock = fakeClock();
    const ids: number[] = [];
    for (const n of [1, 2, 3]) ids.push(await enqueue(store, confirmation(practiceId, n), NOW));
    const sent: number[] = [];
    const slow: SendMail = async (mail) => {
      sent.push(mail.id);
      clock.advance(3 * MINUTE); // every send takes three minutes
      return {};
    };
    const worker = createOutboxWorker({
      store,
      send: slow,
      clock: clock.now,
      workerId: 'w',
      claimMs: 5 * MINUTE,
    });
    expect(await worker.runOnce()).toEqual({ sent: 2, failed: 0 });
    expect(await row(store, ids[2]!)).toMatchObject({ status: 'pending', claimedBy: 'w' });
    clock.advance(1);
    expect(await worker.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect(sent).toEqual(ids);
  });

  it('start() sends in the background; stop() waits for the send in flight', async () => {
    const { store, practiceId } = await storeWithPractice();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started: () => void = () => {};
    const sending = new Promise<void>((resolve) => {
      started = resolve;
    });
    const send: SendMail = async () => {
      started();
      await gate;
      return { messageId: '<gated@test>' };
    };
    const id = await enqueue(store, confirmation(practiceId), NOW);
    const worker = createOutboxWorker({ store, send, clock: () => NOW, workerId: 'w' });
    worker.start(10);
    await sending;

    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await row(store, id)).toMatchObject({ status: 'sent', messageId: '<gated@test>' });
  });

  describe('without SMTP', () => {
    /** The ids of the mails a log message names. */
    const idsIn = (messages: string[]) =>
      messages.flatMap((m) => [...m.matchAll(/^outbox #(\d+) /gm)].map((x) => Number(x[1])));

    it('logs each pending mail once, by id, kind and practice only, and leaves it pending', async () => {
      const { store, practiceId } = await storeWithPractice();
      const logged: string[] = [];
      const logger = createPendingMailLogger({ store, log: (m) => logged.push(m), clock: () => NOW });
      const first = await enqueue(store, confirmation(practiceId, 1), NOW);
      expect(await logger.runOnce()).toBe(1);
      expect(await logger.runOnce()).toBe(0);
      await enqueue(store, confirmation(practiceId, 2), NOW);
      expect(await logger.runOnce()).toBe(1);
      expect(logged).toEqual([
        `outbox #${first} (booking-confirmation, practice ${practiceId}) not sent: no SMTP_URL set`,
        `outbox #${first + 1} (booking-confirmation, practice ${practiceId}) not sent: no SMTP_URL set`,
      ]);
      // Nothing of what the mail says: recipient, subject, text, links, attachments.
      const all = logged.join('\n');
      for (const secret of [
        'client1@example.org',
        'Ihr Termin',
        'Guten Tag',
        'praxis.example',
        'termin.ics',
      ]) {
        expect(all).not.toContain(secret);
      }
      expect(await row(store, first)).toMatchObject({ status: 'pending', attempts: 0, sentAt: null });
    });

    it('logs a long queue a chunk at a time, each mail once, without waiting for the next interval', async () => {
      const { store, practiceId } = await storeWithPractice();
      const total = 2 * LOG_CHUNK + 50;
      await store.write(async (tx) => {
        for (let n = 1; n <= total; n++) await enqueueMail(tx, confirmation(practiceId, n), NOW);
      });
      const logged: string[] = [];
      const logger = createPendingMailLogger({ store, log: (m) => logged.push(m), clock: () => NOW });
      expect(await logger.runOnce()).toBe(LOG_CHUNK);
      // One message per chunk, in the order of the ids.
      expect(logged).toHaveLength(1);
      expect(idsIn(logged)).toHaveLength(LOG_CHUNK);
      expect(idsIn(logged)).toEqual([...idsIn(logged)].sort((a, b) => a - b));
      logger.start(60_000);
      // The rest follows on the next turns of the event loop, long before the 60 s interval.
      for (let turns = 0; idsIn(logged).length < total && turns < 200; turns++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await logger.stop();
      expect(idsIn(logged)).toHaveLength(total);
      expect(new Set(idsIn(logged)).size).toBe(total);
    });

    it('logs each mail once across servers on one database and across restarts', async () => {
      const database = ownDatabase('terminkette-log-');
      onTestFinished(() => database.remove());
      const setup = await database.open();
      const practiceId = await addPractice(setup);
      const total = 3 * LOG_CHUNK;
      await setup.write(async (tx) => {
        for (let n = 1; n <= total; n++) await enqueueMail(tx, confirmation(practiceId, n), NOW);
      });
      // Two servers, each with its own connection(s), log at the same time.
      const a = await database.open();
      const b = await database.open();
      const logged: string[] = [];
      const loggerA = createPendingMailLogger({ store: a, log: (m) => logged.push(m), clock: () => NOW });
      const loggerB = createPendingMailLogger({ store: b, log: (m) => logged.push(m), clock: () => NOW });
      for (let round = 0; round < 10; round++) {
        const counts = await Promise.all([loggerA.runOnce(), loggerB.runOnce(), loggerA.runOnce()]);
        if (counts.every((n) => n === 0)) break;
      }
      expect(idsIn(logged)).toHaveLength(total);
      expect(new Set(idsIn(logged)).size).toBe(total);
      // A restart: a new logger on a new connection finds nothing left to log, until a new mail.
      await a.close();
      const restarted = await database.open();
      const after: string[] = [];
      const loggerC = createPendingMailLogger({
        store: restarted,
        log: (m) => after.push(m),
        clock: () => NOW,
      });
      expect(await loggerC.runOnce()).toBe(0);
      const fresh = await enqueue(setup, confirmation(practiceId, total + 1), NOW);
      expect(await loggerC.runOnce()).toBe(1);
      expect(idsIn(after)).toEqual([fresh]);
      await Promise.all([b.close(), restarted.close(), setup.close()]);
    });

    it('logs a booking confirmation (stored as content) without its recipient, names or service', async () => {
      const { store, practiceId } = await storeWithPractice();
      await enqueue(
        store,
        {
          practiceId,
          kind: 'booking-confirmation',
          to: 'nora@example.org',
          subject: '',
          text: '',
          content: {
            template: 'booking',
            mail: {
              practice: {
                id: practiceId,
                slug: 'p',
                name: 'Praxis',
                timeZone: 'Europe/Berlin',
                contactEmail: null,
              },
              appointmentId: 7,
              sequence: 0,
              method: 'REQUEST',
              start: Date.UTC(2026, 10, 30, 7),
              end: Date.UTC(2026, 10, 30, 7, 50),
              chainName: 'Hypnose Raucherentwöhnung',
              therapistName: 'Anna Berg',
              roomName: null,
              to: { email: 'nora@example.org', name: 'Nora Neu' },
              cancelUrl: 'https://praxis.example/cancel?booking=7&token=t',
              packages: [],
              lang: 'de',
              now: NOW,
            },
          },
        },
        NOW,
      );
      const logged: string[] = [];
      await createPendingMailLogger({ store, log: (m) => logged.push(m), clock: () => NOW }).runOnce();
      expect(logged).toHaveLength(1);
      for (const secret of ['nora@example.org', 'Nora', 'Hypnose', 'Anna Berg', 'token=t']) {
        expect(logged[0]).not.toContain(secret);
      }
    });

    it('keeps e-mail addresses out of the errors it stores and logs', async () => {
      const { store, practiceId } = await storeWithPractice();
      const id = await enqueue(store, confirmation(practiceId, 1), NOW);
      const logged: string[] = [];
      const send: SendMail = async () => {
        throw new Error('550 5.1.1 <client1@example.org>: Recipient address rejected: User unknown');
      };
      const worker = createOutboxWorker({
        store,
        send,
        clock: () => NOW,
        workerId: 'w',
        log: (m) => logged.push(m),
      });
      expect(await worker.runOnce()).toEqual({ sent: 0, failed: 1 });
      expect((await row(store, id)).lastError).toBe(
        '550 5.1.1 <[e-mail]>: Recipient address rejected: User unknown',
      );
      expect(logged.join('\n')).not.toContain('client1@example.org');
      expect(logged.join('\n')).toContain('[e-mail]');
    });

    it('picks the logger when no SMTP URL is configured, the SMTP worker otherwise', async () => {
      const { store } = await storeWithPractice();
      const base = { store, from: 'Praxis <p@example.org>', clock: () => NOW, workerId: 'w', log: () => {} };
      expect(createMailDelivery({ ...base, smtpUrl: null }).mode).toBe('log');
      expect(createMailDelivery({ ...base, smtpUrl: 'smtp://127.0.0.1:2525' }).mode).toBe('smtp');
    });
  });

  describe('two workers on one database, each with its own connection (SQLite: to one file; PostgreSQL: a pool each)', () => {
    it('send every mail exactly once, through failures and retries, however their runs interleave', async () => {
      const database = ownDatabase('terminkette-outbox-');
      onTestFinished(() => database.remove());
      const setup = await database.open();
      const a = await database.open();
      const b = await database.open();
      const practiceId = await addPractice(setup);
      const MAILS = 300;
      for (let n = 1; n <= MAILS; n++) await enqueue(setup, confirmation(practiceId, n), NOW);

      const random = prng(4);
      const clock = fakeClock();
      const deliveries = new Map<number, number>();
      // Every send waits a little (so runs interleave at their awaits) and one in five fails.
      const send: SendMail = async (mail) => {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
        if (random() < 0.2) throw new Error('451 try again later');
        deliveries.set(mail.id, (deliveries.get(mail.id) ?? 0) + 1);
        return { messageId: `<${mail.id}@test>` };
      };
      const sentBy = { a: 0, b: 0 };
      const via =
        (worker: 'a' | 'b'): SendMail =>
        async (mail) => {
          const info = await send(mail);
          sentBy[worker]++;
          return info;
        };
      const options = { clock: clock.now, batchSize: 7, maxAttempts: 6, log: () => {} };
      const workerA = createOutboxWorker({ ...options, send: via('a'), store: a, workerId: 'a' });
      const workerB = createOutboxWorker({ ...options, send: via('b'), store: b, workerId: 'b' });

      let totals = { sent: 0, failed: 0 };
      for (let round = 0; round < 200; round++) {
        const results = await Promise.all([
          workerA.runOnce(),
          workerB.runOnce(),
          workerA.runOnce(),
          workerB.runOnce(),
        ]);
        for (const r of results) totals = { sent: totals.sent + r.sent, failed: totals.failed + r.failed };
        const open = await count(setup, "SELECT count(*) AS n FROM outbox WHERE status = 'pending'");
        if (open === 0) break;
        clock.advance(5 * MINUTE);
      }

      const rows = await setup.read((tx) => mailsOf(tx, practiceId));
      expect(rows).toHaveLength(MAILS);
      expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
      for (const r of rows) {
        if (r.status === 'sent') {
          expect(deliveries.get(r.id), `mail #${r.id}`).toBe(1);
          expect(r.messageId).toBe(`<${r.id}@test>`);
        } else {
          expect(r).toMatchObject({ status: 'failed', attempts: 6, lastError: '451 try again later' });
          expect(deliveries.has(r.id)).toBe(false);
        }
      }
      expect([...deliveries.values()].every((count) => count === 1)).toBe(true);
      expect(totals.sent).toBe(deliveries.size);
      expect(totals.failed).toBeGreaterThan(0); // the retry path was exercised
      expect(deliveries.size).toBeGreaterThan(MAILS * 0.95);
      expect(sentBy.a).toBeGreaterThan(MAILS / 4); // both really took part
      expect(sentBy.b).toBeGreaterThan(MAILS / 4);
    });
  });
});
