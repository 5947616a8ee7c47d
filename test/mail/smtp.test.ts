import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailsOf } from '../../server/db/queries/outbox.ts';
import type { Store } from '../../server/db/store.ts';
import { bookingCalendar, icsAttachment } from '../../server/mail/ics.ts';
import { createOutboxWorker, enqueueMail, type NewMail, smtpSender } from '../../server/mail/outbox.ts';
import { decodeHeader, leafParts, NOW, parseMime, startSmtp, storeWithPractice } from './helpers.ts';

/** Writes a mail to the outbox in a transaction of its own; its id. */
function enqueue(store: Store, mail: NewMail): Promise<number> {
  return store.write((tx) => enqueueMail(tx, mail, NOW));
}

/** The outbox row `id` of the practice. */
async function outboxRow(store: Store, practiceId: number, id: number) {
  const found = (await store.read((tx) => mailsOf(tx, practiceId))).find((m) => m.id === id);
  if (!found) throw new Error(`outbox #${id} is gone`);
  return found;
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const cancelUrl =
  'https://praxis.example/api/v1/bookings/42/cancel?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MDEyMzQ1Njc4OTA';
const from = 'Physio Weber <termine@physio-weber.example>';

describe('confirmation over a real SMTP server', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let busy: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    smtp = await startSmtp();
    busy = await startSmtp({ rejectRecipients: true });
  });
  afterAll(async () => {
    await Promise.all([smtp?.close(), busy?.close()]);
  });

  it('arrives with subject, text, the cancel link and the .ics attached', async () => {
    const { store, practiceId } = await storeWithPractice();
    const start = Date.UTC(2026, 9, 26, 9, 0); // Monday after the autumn change, 10:00 CET
    const ics = bookingCalendar({
      uid: 'appointment-42@physio-weber.terminkette',
      sequence: 0,
      method: 'REQUEST',
      start,
      end: start + 30 * 60_000,
      timeZone: 'Europe/Berlin',
      summary: 'Krankengymnastik bei Frau Weber',
      description: 'Bitte bringen Sie ein Handtuch mit.',
      organizer: { name: 'Physio Weber', email: 'termine@physio-weber.example' },
      attendee: { name: 'Max Müller', email: 'max@example.org' },
      url: cancelUrl,
      stamp: NOW,
    });
    const text = [
      'Guten Tag Herr Müller,',
      '',
      'Ihr Termin am Montag, 26. Oktober 2026 um 10:00 Uhr ist gebucht.',
      `Absagen können Sie bis 24 Stunden vorher hier: ${cancelUrl}`,
      '',
      'Ihre Praxis Physio Weber',
    ].join('\n');
    const id = await enqueue(store, {
      practiceId,
      kind: 'booking-confirmation',
      to: 'max@example.org',
      subject: 'Terminbestätigung: Mo 26.10. 10:00 Uhr',
      text,
      attachments: [icsAttachment(ics, 'REQUEST')],
    });

    const worker = createOutboxWorker({
      store,
      send: smtpSender(smtp.url, from),
      clock: () => NOW,
      workerId: 'w',
    });
    expect(await worker.runOnce()).toEqual({ sent: 1, failed: 0 });

    expect(smtp.received).toHaveLength(1);
    const message = smtp.received[0]!;
    expect(message.from).toBe('termine@physio-weber.example');
    expect(message.to).toEqual(['max@example.org']);

    const mime = parseMime(message.raw);
    expect(decodeHeader(mime.headers.get('subject')!)).toBe('Terminbestätigung: Mo 26.10. 10:00 Uhr');
    expect(mime.headers.get('to')).toBe('max@example.org');
    const row = await outboxRow(store, practiceId, id);
    expect(row.status).toBe('sent');
    expect(mime.headers.get('message-id')).toBe(row.messageId);

    const parts = leafParts(mime);
    const plain = parts.find((p) => p.headers.get('content-type')?.startsWith('text/plain'));
    expect(plain?.body.replace(/\r\n/g, '\n')).toBe(text);
    // The link arrives whole, not cut by the transfer encoding's line breaks.
    expect(plain?.body.match(/https:\/\/\S+/)?.[0]).toBe(cancelUrl);

    const calendarPart = parts.find((p) => p.headers.get('content-type')?.startsWith('text/calendar'));
    expect(calendarPart?.headers.get('content-type')).toMatch(/method=REQUEST/);
    expect(calendarPart?.headers.get('content-disposition')).toMatch(/attachment; filename="?termin\.ics"?/);
    const event = new ICAL.Event(
      new ICAL.Component(ICAL.parse(calendarPart!.body)).getFirstSubcomponent('vevent')!,
    );
    expect(event.uid).toBe('appointment-42@physio-weber.terminkette');
    expect(event.startDate.toUnixTime() * 1000).toBe(start);
    expect(event.description).toContain(cancelUrl);
  });

  it('keeps the mail pending with the server’s answer when the server refuses it for now', async () => {
    const { store, practiceId } = await storeWithPractice();
    const id = await enqueue(store, {
      practiceId,
      kind: 'booking-confirmation',
      to: 'max@example.org',
      subject: 'Termin',
      text: 'x',
    });
    const worker = createOutboxWorker({
      store,
      send: smtpSender(busy.url, from),
      clock: () => NOW,
      workerId: 'w',
      log: () => {},
    });
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 1 });
    const row = await outboxRow(store, practiceId, id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: NOW + 30_000 });
    expect(row.lastError).toMatch(/451/);
    expect(busy.received).toEqual([]);
  });

  it('keeps the mail pending when no SMTP server answers', async () => {
    const { store, practiceId } = await storeWithPractice();
    const id = await enqueue(store, {
      practiceId,
      kind: 'booking-confirmation',
      to: 'max@example.org',
      subject: 'Termin',
      text: 'x',
    });
    const url = `smtp://127.0.0.1:${await closedPort()}`;
    const worker = createOutboxWorker({
      store,
      send: smtpSender(url, from),
      clock: () => NOW,
      workerId: 'w',
      log: () => {},
    });
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 1 });
    const row = await outboxRow(store, practiceId, id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.lastError).toMatch(/ECONNREFUSED/);
  });
});
