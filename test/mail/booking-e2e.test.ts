/**
 * The whole confirmation path: a booking through the API, the outbox worker sending over a real
 * SMTP server on loopback, the calendar file read back by an independent parser (ical.js), the
 * cancel link from the e-mail working, and the cancellation arriving with METHOD:CANCEL.
 */
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxWorker, smtpSender } from '../../server/mail/outbox.ts';
import { call, demoApp, NOW } from '../helpers.ts';
import { decodeHeader, leafParts, parseMime, startSmtp } from './helpers.ts';

let smtp: Awaited<ReturnType<typeof startSmtp>>;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp?.close());

function calendarOf(raw: string) {
  const part = leafParts(parseMime(raw)).find((p) =>
    p.headers.get('content-type')?.startsWith('text/calendar'),
  )!;
  expect(part).toBeDefined();
  const cal = new ICAL.Component(ICAL.parse(part.body));
  const event = cal.getFirstSubcomponent('vevent')!;
  return {
    method: cal.getFirstPropertyValue('method'),
    uid: event.getFirstPropertyValue('uid'),
    sequence: event.getFirstPropertyValue('sequence'),
    start: (event.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().getTime(),
    tzid: event.getFirstProperty('dtstart')!.getParameter('tzid'),
  };
}

describe('a booking confirmation over SMTP', () => {
  it('arrives with the .ics attached and a cancel link that works', async () => {
    const d = await demoApp();
    const worker = createOutboxWorker({
      store: d.store,
      send: smtpSender(smtp.url, 'Praxis <praxis@lindenhof.example>'),
      clock: () => NOW,
      workerId: 'test',
    });
    const booked = await call(d.app, 'POST', '/api/v1/p/demo/bookings', {
      token: d.verified('emil@example.org'),
      headers: { 'idempotency-key': 'e2e-1' },
      body: {
        chain: await d.chainId('physio-erstbefund'),
        start: '2026-11-30T08:00:00+01:00',
        client: { firstName: 'Emil', lastName: 'Ende', email: 'emil@example.org', consent: true },
      },
    });
    expect(booked.status).toBe(201);
    // Confirmations of the demo's own import are in the outbox too; the worker sends all that is due.
    await worker.runOnce();
    const mail = smtp.received.find((m) => m.to.includes('emil@example.org'))!;
    expect(mail).toBeDefined();
    const message = parseMime(mail.raw);
    expect(decodeHeader(message.headers.get('subject')!)).toMatch(
      /^Terminbestätigung: Termin bei Praxis am Lindenhof \(Demo\) am /,
    );
    const text = leafParts(message).find((p) =>
      p.headers.get('content-type')?.startsWith('text/plain'),
    )!.body;
    const confirmation = calendarOf(mail.raw);
    expect(confirmation).toMatchObject({
      method: 'REQUEST',
      sequence: 0,
      tzid: 'Europe/Berlin',
      start: Date.parse('2026-11-30T07:00:00Z'),
    });

    // The link in the e-mail cancels the booking.
    const link = new URL(/http:\/\/localhost:3000\/cancel\?\S+/.exec(text)![0]);
    const id = link.searchParams.get('booking');
    const cancelled = await call(
      d.app,
      'POST',
      `/api/v1/bookings/${id}/cancel?token=${link.searchParams.get('token')}`,
    );
    expect(cancelled.body.status).toBe('cancelled');

    await worker.runOnce();
    const cancelMail = smtp.received.filter((m) => m.to.includes('emil@example.org'))[1]!;
    expect(decodeHeader(parseMime(cancelMail.raw).headers.get('subject')!)).toMatch(/^Abgesagt:/);
    const cancellation = calendarOf(cancelMail.raw);
    expect(cancellation).toMatchObject({ method: 'CANCEL', uid: confirmation.uid, sequence: 1 });
  });
});
