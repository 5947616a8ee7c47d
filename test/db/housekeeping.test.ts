/**
 * Data retention: the server keeps what it knows of clients only as long as it needs it. One round
 * of housekeeping scrubs old sent mails (the row stays), deletes holds that ran out, dead codes,
 * idempotency records past a day and rate-limit counters whose window ended — and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { runHousekeeping } from '../../server/booking/housekeeping.ts';
import { enqueueMail } from '../../server/mail/outbox.ts';
import { bookVerified, call, demoApp, NOW } from '../helpers.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('housekeeping', () => {
  it('scrubs sent mails after the retention time, keeping kind, status and times', async () => {
    const d = await demoApp();
    const write = (to: string, at: number) =>
      d.store.write((tx) =>
        enqueueMail(
          tx,
          {
            practiceId: d.practiceId,
            kind: 'booking-confirmation',
            to,
            subject: 'Ihr Termin',
            text: 'Guten Tag Nora Neu',
          },
          at,
        ),
      );
    const old = await write('old@example.org', NOW - 31 * DAY);
    const recent = await write('recent@example.org', NOW - 29 * DAY);
    const waiting = await write('waiting@example.org', NOW - 40 * DAY);
    await d.exec("UPDATE outbox SET status = 'sent', sent_at = created_at + 1000 WHERE id IN (?, ?)", [
      old,
      recent,
    ]);
    const counts = await runHousekeeping(d.store, NOW, { mailRetentionDays: 30 });
    expect(counts.mailsScrubbed).toBe(1);
    const rows = await d.rows(
      'SELECT id, kind, status, to_address, subject, text_body, content, sent_at FROM outbox WHERE id IN (?, ?, ?) ORDER BY id',
      [old, recent, waiting],
    );
    expect(rows[0]).toMatchObject({
      id: old,
      kind: 'booking-confirmation',
      status: 'sent',
      to_address: '',
      subject: '',
      text_body: '',
      content: null,
    });
    expect(Number(rows[0].sent_at)).toBe(NOW - 31 * DAY + 1000);
    expect(rows[1]).toMatchObject({
      id: recent,
      to_address: 'recent@example.org',
      text_body: 'Guten Tag Nora Neu',
    });
    // A mail still to be sent keeps what it has to say, however old.
    expect(rows[2]).toMatchObject({ id: waiting, status: 'pending', to_address: 'waiting@example.org' });
    // Again: nothing left to do.
    expect((await runHousekeeping(d.store, NOW, { mailRetentionDays: 30 })).mailsScrubbed).toBe(0);
  });

  it('deletes holds that ran out, dead codes, day-old idempotency records and ended counters — nothing else', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const hold = (start: string) => call(d.app, 'POST', '/api/v1/p/demo/holds', { body: { chain, start } });
    expect((await hold('2026-11-30T08:00:00+01:00')).status).toBe(201);
    const booked = await bookVerified(
      d,
      {
        chain,
        start: '2026-11-30T10:00:00+01:00',
        client: { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true },
      },
      'kept-a-day',
    );
    expect(booked.status).toBe(201);
    await call(d.app, 'POST', '/api/v1/p/demo/auth/code', { body: { email: 'nora@example.org' } });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the code is made after the answer
    expect(await d.count('SELECT count(*) AS n FROM email_codes')).toBe(1);

    // Eleven minutes on: the hold ran out; the code (15 minutes) and the record (a day) are kept.
    const soon = await runHousekeeping(d.store, NOW + 11 * MINUTE, { mailRetentionDays: 30 });
    expect(soon).toMatchObject({ holdsDeleted: 1, codesDeleted: 0, bookingRequestsDeleted: 0 });
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE status = 'held'")).toBe(0);

    // A day on: code, idempotency record and the counters of the booking and the code are gone;
    // the booking itself is not.
    const later = await runHousekeeping(d.store, NOW + DAY + MINUTE, { mailRetentionDays: 30 });
    expect(later).toMatchObject({ codesDeleted: 1, bookingRequestsDeleted: 1 });
    expect(later.countersDeleted).toBeGreaterThan(0);
    expect(await d.count('SELECT count(*) AS n FROM email_codes')).toBe(0);
    expect(await d.count('SELECT count(*) AS n FROM booking_requests')).toBe(0);
    expect(await d.count("SELECT count(*) AS n FROM rate_limits WHERE key <> 'health'")).toBe(0);
    expect(await d.count('SELECT count(*) AS n FROM appointments WHERE id = ?', [booked.body.id])).toBe(1);
  });
});
