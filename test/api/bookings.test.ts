import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { regenerateAccessCode } from '../../server/auth/tokens.ts';
import { json } from '../../server/db/sql.ts';
import { renderContent } from '../../server/mail/bookingMail.ts';
import { bookingCalendar } from '../../server/mail/ics.ts';
import { importPractice } from '../../server/practice/import.ts';
import {
  allWeekPracticeDoc,
  bookVerified,
  call,
  type DemoApp,
  demoApp,
  demoStore,
  NOW,
  testConfig,
  verifiedToken,
} from '../helpers.ts';

const newClient = {
  firstName: 'Nora',
  lastName: 'Neu',
  email: 'nora.neu@example.org',
  phone: '+49 30 555 0101',
  birthDate: '1990-05-05',
  consent: true as const,
};

/** Monday 2026-11-30, 08:00 Berlin (UTC+1). */
const MONDAY_8 = '2026-11-30T08:00:00+01:00';

/** Cancels a booking through the API with the token of its cancel link. */
function cancelByLink(d: DemoApp, booking: { id: number; cancelUrl: string }) {
  const token = new URL(booking.cancelUrl).searchParams.get('token');
  return call(d.app, 'POST', `/api/v1/bookings/${booking.id}/cancel?token=${token}`);
}

/** Books as the widget does once the client confirmed their address (or with a client token). */
function book(d: DemoApp, body: Record<string, any>, key: string, token?: string) {
  return bookVerified(d, body, key, token);
}

describe('booking as a new client', () => {
  it('creates the file, the appointment and — for a first physiotherapy visit — the 6-session package', async () => {
    const d = await demoApp();
    const before = await d.count('SELECT count(*) AS n FROM appointments');
    const res = await book(
      d,
      { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8, client: newClient },
      'k1',
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'booked',
      start: '2026-11-30T07:00:00.000Z',
      end: '2026-11-30T07:50:00.000Z',
      chain: { name: 'Physiotherapie Erstbefund' },
      therapist: { name: 'Anna Berg' },
      room: { name: 'Behandlungsraum 1' },
      packageCreated: true,
    });
    expect(res.body.packages).toEqual([
      {
        id: expect.any(Number),
        name: 'Rezept KG 6×',
        created: true,
        remaining: [
          { criterion: 'appointments', limit: 6, remaining: 5, text: 'noch 5 von 6 Terminen' },
          { criterion: 'codeQuantity', code: 'KG', limit: 6, remaining: 5, text: 'noch 5 von 6 × KG' },
        ],
      },
    ]);
    expect(res.body.cancelUrl).toMatch(/^http:\/\/localhost:3000\/cancel\?booking=\d+&token=/);
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(before + 1);
    const file = (await d.client('nora.neu@example.org')) as any;
    // The chain has no age limit, so the birth date given is not kept (collect the minimum).
    expect(file).toMatchObject({ first_name: 'Nora', birth_date: null });
    expect(file.consent_at).toBe(Date.UTC(2026, 10, 27, 9));
    const pkg = await d.row('SELECT * FROM packages WHERE client_id = ?', [file.id]);
    expect(pkg).toMatchObject({ origin: 'booking', status: 'active', max_appointments: 6 });
    // Valid 90 days from the day of booking (2026-11-27 … 2027-02-24, Berlin).
    expect(new Date(pkg.valid_from).toISOString()).toBe('2026-11-26T23:00:00.000Z');
    expect(new Date(pkg.valid_until).toISOString()).toBe('2027-02-24T23:00:00.000Z');
    const ledger = await d.rows('SELECT action FROM package_ledger WHERE package_id = ? ORDER BY id', [
      pkg.id,
    ]);
    expect(ledger).toEqual([{ action: 'created' }, { action: 'assigned' }]);
  });

  it('writes the confirmation e-mail with its calendar file into the outbox', async () => {
    const d = await demoApp();
    await book(d, { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8, client: newClient }, 'k1');
    const mail = await d.row("SELECT * FROM outbox WHERE to_address = 'nora.neu@example.org'");
    expect(mail.kind).toBe('booking-confirmation');
    // The row keeps what the mail says; the mail is rendered from it when it is sent.
    const rendered = renderContent(json(mail.content));
    // Discreet by default: subject, opening lines and calendar entry say "Termin" and the practice.
    expect(rendered.subject).toMatch(
      /^Terminbestätigung: Termin bei Praxis am Lindenhof \(Demo\) am Montag, 30\. November 2026/,
    );
    expect(rendered.subject).not.toContain('Physiotherapie');
    expect(rendered.text.slice(0, 300)).not.toContain('Physiotherapie');
    expect(rendered.text).toContain('Gebucht ist:\n  Physiotherapie Erstbefund');
    expect(rendered.text).toContain('noch 5 von 6 Terminen');
    expect(rendered.text).toMatch(/http:\/\/localhost:3000\/cancel\?booking=/);
    const [ics] = rendered.attachments;
    expect(ics!.contentType).toBe('text/calendar; charset=utf-8; method=REQUEST');
    const content = bookingCalendar(ics!.calendar);
    expect(content).toContain('METHOD:REQUEST');
    expect(content).toContain('DTSTART;TZID=Europe/Berlin:20261130T080000');
    expect(content).toContain('SUMMARY:Termin – Praxis am Lindenhof (Demo)');
    expect(content).not.toContain('Physiotherapie');
  });

  it('returns the same booking for a retry with the same Idempotency-Key, and refuses the key for another request', async () => {
    const d = await demoApp();
    const body = { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8, client: newClient };
    const first = await book(d, body, 'same-key');
    const again = await book(d, body, 'same-key');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE source = 'online'")).toBe(1);
    const other = await book(d, { ...body, start: '2026-11-30T09:00:00+01:00' }, 'same-key');
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  it('needs an Idempotency-Key', async () => {
    const d = await demoApp();
    const res = await call(d.app, 'POST', '/api/v1/p/demo/bookings', {
      body: { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8, client: newClient },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_required');
  });

  it('books nothing without a confirmed address: 401 verification_required, nothing written', async () => {
    const d = await demoApp();
    const res = await call(d.app, 'POST', '/api/v1/p/demo/bookings', {
      headers: { 'idempotency-key': 'anon' },
      body: { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8, client: newClient },
    });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('verification_required');
    expect(await d.count('SELECT count(*) AS n FROM clients WHERE email = ?', [newClient.email])).toBe(0);
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE source = 'online'")).toBe(0);
  });

  it('books the confirmed owner of a file’s address onto that file, never a second file', async () => {
    const d = await demoApp();
    const lena = await d.client('lena.vogel@example.org');
    const files = await d.count('SELECT count(*) AS n FROM clients');
    // A follow-up of Lena's prescription: only her file may book it.
    const res = await book(
      d,
      {
        chain: await d.chainId('physio-folgetermin'),
        start: MONDAY_8,
        client: { ...newClient, email: 'LENA.VOGEL@example.org' },
      },
      'k2',
    );
    expect(res.status).toBe(201);
    expect(res.body.packages).toMatchObject([{ name: 'Rezept KG 6×', created: false }]);
    expect(await d.count('SELECT count(*) AS n FROM clients')).toBe(files);
    expect(await d.row('SELECT client_id FROM appointments WHERE id = ?', [res.body.id])).toEqual({
      client_id: lena.id,
    });
  });

  it('asks a confirmed address without a file for the names, in the client’s language: 400 client_required, nothing written', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const token = d.verified(newClient.email);
    for (const [lang, detail] of [
      ['de', 'Bitte geben Sie Ihren Vor- und Nachnamen an.'],
      ['en', 'Please give your first and last name.'],
    ]) {
      const res = await book(d, { chain, start: MONDAY_8, lang }, `names-${lang}`, token);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'client_required', detail });
    }
    expect(await d.count('SELECT count(*) AS n FROM clients WHERE email = ?', [newClient.email])).toBe(0);
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE source = 'online'")).toBe(0);
  });

  it('refuses an address other than the confirmed one', async () => {
    const d = await demoApp();
    const res = await book(
      d,
      { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8, client: newClient },
      'k3',
      d.verified('someone.else@example.org'),
    );
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('email_mismatch');
  });

  it('asks for a birth date where the chain has an age limit, and refuses those too young', async () => {
    const d = await demoApp();
    const hypnose = await d.chainId('hypnose-rauchfrei');
    // Tuesday 13:00; Jo sees Sara for coaching at 11:00 (until 12:10 with the buffer).
    const start = '2026-12-01T13:00:00+01:00';
    const { birthDate: _b, ...noBirthDate } = newClient;
    const missing = await book(d, { chain: hypnose, start, client: noBirthDate }, 'k3');
    expect(missing.body.code).toBe('birth_date_required');
    const young = await book(
      d,
      { chain: hypnose, start, client: { ...newClient, birthDate: '2009-12-02' } },
      'k4',
    );
    expect(young.status).toBe(422);
    expect(young.body.code).toBe('age_not_allowed');
    const adult = await book(
      d,
      { chain: hypnose, start, client: { ...newClient, birthDate: '2008-12-01' } },
      'k5',
    );
    expect(adult.status).toBe(201);
    expect(adult.body.packages[0]).toMatchObject({ name: 'Hypnose 5er', created: true });
  });

  it('refuses a slot that was just taken with 409 slot_taken', async () => {
    const d = await demoApp();
    const body = { chain: await d.chainId('physio-abschluss'), start: MONDAY_8 };
    const tom = await d.tokenFor('tom.becker@example.org');
    expect((await book(d, body, 'tom-1', tom)).status).toBe(201);
    const anna = await d.therapistId('Anna Berg');
    const res = await book(
      d,
      { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8, therapist: anna, client: newClient },
      'nora-1',
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('slot_taken');
  });

  it('refuses a start that is too soon, off the grid, or outside the hours', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const soon = await book(d, { chain, start: '2026-11-27T11:00:00+01:00', client: newClient }, 'a');
    expect(soon.body.code).toBe('too_soon');
    const offGrid = await book(d, { chain, start: '2026-11-30T08:07:00+01:00', client: newClient }, 'b');
    expect(offGrid.body.code).toBe('slot_unavailable');
    const sunday = await book(d, { chain, start: '2026-11-29T10:00:00+01:00', client: newClient }, 'c');
    expect(sunday.body.code).toBe('slot_unavailable');
    expect(await d.count("SELECT count(*) AS n FROM clients WHERE email = 'nora.neu@example.org'")).toBe(0);
  });
});

describe('booking as a returning client', () => {
  it('refuses a token whose access code was regenerated since, writing nothing, also for a retry', async () => {
    const d = await demoApp();
    const lena = await d.tokenFor('lena.vogel@example.org');
    const body = { chain: await d.chainId('physio-folgetermin'), start: MONDAY_8 };
    expect((await book(d, body, 'lena-before', lena)).status).toBe(201);
    const appointments = await d.count('SELECT count(*) AS n FROM appointments');
    await regenerateAccessCode(d.store, d.practiceId, (await d.client('lena.vogel@example.org')).id);
    const tuesday = { ...body, start: '2026-12-01T08:00:00+01:00' };
    for (const [req, key] of [
      [tuesday, 'lena-after'],
      [body, 'lena-before'], // the same request again: no replay for a token that no longer fits
    ] as const) {
      const res = await book(d, req, key, lena);
      expect(res.status, key).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    }
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(appointments);
  });

  it('assigns a follow-up to the running prescription and counts it down', async () => {
    const d = await demoApp();
    const lena = await d.tokenFor('lena.vogel@example.org');
    const res = await book(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: MONDAY_8 },
      'lena-1',
      lena,
    );
    expect(res.status).toBe(201);
    expect(res.body.packageCreated).toBe(false);
    expect(res.body.packages[0]).toMatchObject({ name: 'Rezept KG 6×', created: false });
    expect(res.body.packages[0].remaining[0].text).toBe('noch 1 von 6 Terminen');
  });

  it('refuses the follow-up once the last session is taken: 409 budget_exhausted', async () => {
    const d = await demoApp();
    const lena = await d.tokenFor('lena.vogel@example.org');
    const chain = await d.chainId('physio-folgetermin');
    expect((await book(d, { chain, start: MONDAY_8 }, 'l1', lena)).status).toBe(201);
    expect((await book(d, { chain, start: '2026-12-01T08:00:00+01:00' }, 'l2', lena)).status).toBe(201);
    const third = await book(d, { chain, start: '2026-12-02T08:00:00+01:00' }, 'l3', lena);
    expect(third.status).toBe(409);
    expect(third.body.code).toBe('budget_exhausted');
    expect(third.body.detail).toBe('Ihr Paket ist aufgebraucht.');
  });

  it('lets the insurer budget take one more manual therapy, then no more', async () => {
    const d = await demoApp();
    const jonas = await d.tokenFor('jonas.weber@example.org');
    const chain = await d.chainId('mt-zusatz');
    const first = await book(d, { chain, start: MONDAY_8 }, 'j1', jonas);
    expect(first.status).toBe(201);
    expect(first.body.packages[0].remaining[0].text).toBe('noch 22,00\u00a0€ von 600,00\u00a0€');
    const second = await book(d, { chain, start: '2026-12-01T08:00:00+01:00' }, 'j2', jonas);
    expect(second.body.code).toBe('budget_exhausted');
  });

  it('refuses a bad or foreign client token with 401 invalid_token', async () => {
    const d = await demoApp();
    const res = await book(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: MONDAY_8 },
      'x',
      'nonsense.token',
    );
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });
});

describe('cancelling', () => {
  async function booked(d: DemoApp) {
    const lena = await d.tokenFor('lena.vogel@example.org');
    const res = await book(d, { chain: await d.chainId('physio-folgetermin'), start: MONDAY_8 }, 'c1', lena);
    const url = new URL(res.body.cancelUrl);
    return {
      id: res.body.id as number,
      token: url.searchParams.get('token')!,
      icsUrl: res.body.icsUrl as string,
    };
  }

  it('releases the budget, queues a cancellation mail, and ends the link: the second time 410, nothing changed', async () => {
    const d = await demoApp();
    const { id, token } = await booked(d);
    const res = await call(d.app, 'POST', `/api/v1/bookings/${id}/cancel?token=${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'cancelled', cancellable: false });
    const again = await call(d.app, 'POST', `/api/v1/bookings/${id}/cancel?token=${token}`);
    expect(again.status).toBe(410);
    expect(again.body.code).toBe('link_expired');
    // The link shows nothing of the appointment any more.
    const view = await call(d.app, 'GET', `/api/v1/bookings/${id}?token=${token}`);
    expect(view.status).toBe(410);
    expect(JSON.stringify(view.body)).not.toMatch(/Physiotherapie|Anna/);
    expect(
      await d.count(
        "SELECT count(*) AS n FROM package_ledger WHERE appointment_id = ? AND action = 'released'",
        [id],
      ),
    ).toBe(1);
    const mails = await d.rows("SELECT kind FROM outbox WHERE kind = 'booking-cancellation'");
    expect(mails).toHaveLength(1);
    // The package has room again: two follow-ups fit.
    const lena = await d.tokenFor('lena.vogel@example.org');
    const chain = await d.chainId('physio-folgetermin');
    expect((await book(d, { chain, start: '2026-12-01T08:00:00+01:00' }, 'c2', lena)).status).toBe(201);
    expect((await book(d, { chain, start: '2026-12-02T08:00:00+01:00' }, 'c3', lena)).status).toBe(201);
  });

  it('refuses after the deadline (24 h before the start) with 409 cancel_deadline_passed', async () => {
    const d = await demoApp();
    const { id, token } = await booked(d);
    d.setNow(Date.UTC(2026, 10, 29, 7, 0, 1)); // 24 h minus a second before Monday 08:00 Berlin
    const res = await call(d.app, 'POST', `/api/v1/bookings/${id}/cancel?token=${token}`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('cancel_deadline_passed');
  });

  it('refuses a token of another booking', async () => {
    const d = await demoApp();
    const { id, token } = await booked(d);
    const res = await call(d.app, 'POST', `/api/v1/bookings/${id + 1}/cancel?token=${token}`);
    expect(res.status).toBe(403);
  });

  it('serves the calendar file while booked; the cancellation mail carries the same UID with METHOD:CANCEL and a higher SEQUENCE', async () => {
    const d = await demoApp();
    const { id, token, icsUrl } = await booked(d);
    const path = new URL(icsUrl).pathname + new URL(icsUrl).search;
    const before = await d.app.request(path);
    expect(before.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const a = await before.text();
    await call(d.app, 'POST', `/api/v1/bookings/${id}/cancel?token=${token}`);
    expect((await d.app.request(path)).status).toBe(410);
    const mail = await d.row("SELECT content FROM outbox WHERE kind = 'booking-cancellation'");
    const b = bookingCalendar(renderContent(json(mail.content)).attachments[0]!.calendar);
    const uid = (s: string) => /UID:(.*)/.exec(s)![1];
    expect(uid(a)).toBe(uid(b));
    expect(a).toContain('METHOD:REQUEST');
    expect(b).toContain('METHOD:CANCEL');
    expect(a).toContain('SEQUENCE:0');
    expect(b).toContain('SEQUENCE:1');
  });

  it('ends the link once the appointment is over', async () => {
    const d = await demoApp();
    const { id, token } = await booked(d);
    d.setNow(Date.UTC(2026, 10, 30, 7, 50)); // Monday 08:50 Berlin: the 40-minute follow-up is over
    const res = await call(d.app, 'GET', `/api/v1/bookings/${id}?token=${token}`);
    expect(res.status).toBe(410);
    expect(res.body.code).toBe('link_expired');
  });
});

describe('the cancel page the e-mail links to', () => {
  it('shows the booking with one button, and the button cancels it', async () => {
    const d = await demoApp();
    const lena = await d.tokenFor('lena.vogel@example.org');
    const res = await book(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: MONDAY_8 },
      'page-1',
      lena,
    );
    const link = new URL(res.body.cancelUrl);
    const shown = await d.app.request(link.pathname + link.search);
    expect(shown.status).toBe(200);
    const html = await shown.text();
    expect(html).toContain('Termin absagen?');
    expect(html).toContain('Physiotherapie Folgetermin');
    expect(html).toContain('Montag, 30. November 2026 um 08:00');
    const form = new URLSearchParams({
      booking: link.searchParams.get('booking')!,
      token: link.searchParams.get('token')!,
    });
    const done = await d.app.request('/cancel', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Ihr Termin ist abgesagt');
    expect(
      await d.count("SELECT count(*) AS n FROM appointments WHERE id = ? AND status = 'cancelled'", [
        res.body.id,
      ]),
    ).toBe(1);
  });

  it('says so when the link is not valid', async () => {
    const d = await demoApp();
    const res = await d.app.request('/cancel?booking=1&token=forged.token');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Link ungültig');
  });
});

describe('cancelling a first visit', () => {
  it('withdraws the package that booking created, so the file is as before: first visit again, no follow-up', async () => {
    const d = await demoApp();
    const mia = await d.tokenFor('mia.schulz@example.org');
    const first = await book(
      d,
      { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8 },
      'mia-1',
      mia,
    );
    expect(first.body.packageCreated).toBe(true);
    await cancelByLink(d, first.body);
    const pkg = await d.row('SELECT status FROM packages WHERE id = ?', [first.body.packages[0].id]);
    expect(pkg).toEqual({ status: 'withdrawn' });
    const ledger = await d.rows('SELECT action FROM package_ledger WHERE package_id = ? ORDER BY id', [
      first.body.packages[0].id,
    ]);
    expect(ledger.map((l: any) => l.action)).toEqual(['created', 'assigned', 'released', 'withdrawn']);
    const chains = await call(d.app, 'GET', '/api/v1/p/demo/chains', { token: mia });
    const byKey = Object.fromEntries(chains.body.chains.map((c: any) => [c.key, c.offered]));
    expect(byKey).toMatchObject({ 'physio-erstbefund': true, 'physio-folgetermin': false });
    const again = await book(
      d,
      { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8 },
      'mia-2',
      mia,
    );
    expect(again.status).toBe(201);
    expect(again.body.packageCreated).toBe(true);
  });

  it('withdraws it whichever is cancelled first, the first visit or the follow-up', async () => {
    const d = await demoApp();
    const mia = await d.tokenFor('mia.schulz@example.org');
    const first = await book(
      d,
      { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8 },
      'mia-1',
      mia,
    );
    const follow = await book(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: '2026-12-01T08:00:00+01:00' },
      'mia-f',
      mia,
    );
    await cancelByLink(d, first.body);
    await cancelByLink(d, follow.body);
    const pkg = await d.row('SELECT status FROM packages WHERE id = ?', [first.body.packages[0].id]);
    expect(pkg).toEqual({ status: 'withdrawn' });
    const again = await book(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: '2026-12-02T08:00:00+01:00' },
      'mia-g',
      mia,
    );
    expect(again.status).toBe(409);
  });

  it('keeps a created package that a follow-up already uses', async () => {
    const d = await demoApp();
    const mia = await d.tokenFor('mia.schulz@example.org');
    const first = await book(
      d,
      { chain: await d.chainId('physio-erstbefund'), start: MONDAY_8 },
      'mia-1',
      mia,
    );
    const follow = await book(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: '2026-12-01T08:00:00+01:00' },
      'mia-f',
      mia,
    );
    expect(follow.status).toBe(201);
    await cancelByLink(d, first.body);
    const pkg = await d.row('SELECT status FROM packages WHERE id = ?', [first.body.packages[0].id]);
    expect(pkg).toEqual({ status: 'active' });
  });
});

describe('edges of the input', () => {
  it('refuses dates far outside any calendar the practice uses with 400, not 500', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const slots = await call(
      d.app,
      'GET',
      `/api/v1/p/demo/slots?chain=${chain}&from=9999-12-31&to=9999-12-31`,
    );
    expect(slots.status).toBe(400);
    const booking = await book(d, { chain, start: '9999-12-31T23:00:00-05:00', client: newClient }, 'far');
    expect(booking.status).toBe(400);
  });

  it('answers a broken cancel form with the invalid-link page, not an error', async () => {
    const d = await demoApp();
    const res = await d.app.request('/cancel', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: 'garbage',
    });
    expect(res.status).toBe(403);
  });
});

describe('booking on the clock-change days', () => {
  /** A practice open every day 08:00–18:00 and bookable two years ahead. */
  async function allWeek() {
    const d = await demoApp();
    const { practiceId } = await importPractice(d.store, allWeekPracticeDoc(), { now: NOW });
    const chain = (await d.row<{ id: number }>('SELECT id FROM chains WHERE practice_id = ?', [practiceId]))!
      .id;
    return { ...d, chain, practiceIdOf: practiceId };
  }

  it.each([
    ['2027-03-28T08:00:00+02:00', '2027-03-28T06:00:00.000Z', '20270328T080000'],
    ['2027-10-31T08:00:00+01:00', '2027-10-31T07:00:00.000Z', '20271031T080000'],
  ])(
    'books %s at 08:00 local time, and the calendar file says 08:00 in Berlin',
    async (start, utc, local) => {
      const d = await allWeek();
      const res = await call(d.app, 'POST', '/api/v1/p/always/bookings', {
        token: d.verifiedAt(d.practiceIdOf, newClient.email),
        headers: { 'idempotency-key': `dst-${start}` },
        body: { chain: d.chain, start, client: newClient },
      });
      expect(res.status).toBe(201);
      expect(res.body.start).toBe(utc);
      const ics = await (
        await d.app.request(new URL(res.body.icsUrl).pathname + new URL(res.body.icsUrl).search)
      ).text();
      expect(ics).toContain(`DTSTART;TZID=Europe/Berlin:${local}`);
    },
  );

  it('refuses a start in the night of the spring clock change (02:30 +01:00 is 03:30 summer time, outside the hours)', async () => {
    const d = await allWeek();
    const res = await call(d.app, 'POST', '/api/v1/p/always/bookings', {
      token: d.verifiedAt(d.practiceIdOf, newClient.email),
      headers: { 'idempotency-key': 'dst-gap' },
      body: { chain: d.chain, start: '2027-03-28T02:30:00+01:00', client: newClient },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('slot_unavailable');
  });
});

describe('bookings from one address', () => {
  it('are limited per practice (10 an hour by default): then 429 with Retry-After, and nothing written', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const starts = ['08:00', '09:00', '10:00', '11:00', '12:00', '13:00', '14:00', '15:00', '16:00', '17:00'];
    const statuses: number[] = [];
    // A refused booking (taken start) gives its point back: it is not counted.
    const taken = await book(
      d,
      { chain, start: MONDAY_8, client: { ...newClient, email: 'a0@example.org' } },
      'a0',
    );
    expect(taken.status).toBe(201);
    const again = await book(
      d,
      { chain, start: MONDAY_8, client: { ...newClient, email: 'a1@example.org' } },
      'a1',
    );
    expect(again.status).toBe(409);
    for (const [i, time] of starts.entries()) {
      const res = await book(
        d,
        { chain, start: `2026-12-01T${time}:00+01:00`, client: { ...newClient, email: `b${i}@example.org` } },
        `b${i}`,
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(9).fill(201), 429]);
    const online = await d.count("SELECT count(*) AS n FROM appointments WHERE source = 'online'");
    expect(online).toBe(10);
    const over = await book(
      d,
      { chain, start: '2026-12-02T08:00:00+01:00', client: { ...newClient, email: 'c@example.org' } },
      'c',
    );
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('too_many_requests');
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await d.count("SELECT count(*) AS n FROM appointments WHERE source = 'online'")).toBe(10);
  });
});

describe('open online bookings of one client file', () => {
  it('are capped (3 by default): a fourth still to come is refused, and one over frees a place', async () => {
    const d = await demoApp();
    const chain = await d.chainId('physio-erstbefund');
    const first = await book(d, { chain, start: MONDAY_8, client: newClient }, 'o1');
    expect(first.status).toBe(201);
    // The first visit created the prescription: the follow-ups are booked on it.
    const token = await d.tokenFor(newClient.email);
    const follow = await d.chainId('physio-folgetermin');
    const at = (day: string) => `2026-12-0${day}T10:00:00+01:00`;
    expect((await book(d, { chain: follow, start: at('1') }, 'o2', token)).status).toBe(201);
    expect((await book(d, { chain: follow, start: at('2') }, 'o3', token)).status).toBe(201);
    const fourth = await book(d, { chain: follow, start: at('3') }, 'o4', token);
    expect(fourth.status).toBe(409);
    expect(fourth.body).toMatchObject({ code: 'too_many_open_bookings', limit: 3 });
    // Once the first is over, there is room for one more.
    d.setNow(Date.UTC(2026, 10, 30, 8, 0));
    const again = await book(d, { chain: follow, start: at('3') }, 'o5', await d.tokenFor(newClient.email));
    expect(again.status).toBe(201);
  });
});

describe('bookings from 50 addresses', () => {
  it('book at most what each address may (behind a proxy that says who is who)', async () => {
    const { store } = await demoStore();
    const doc = allWeekPracticeDoc() as Record<string, any>;
    doc.practice.slug = 'many';
    doc.practice.booking.limits = { bookingsPerAddress: { count: 2, minutes: 60 } };
    const { practiceId } = await importPractice(store, doc, { now: NOW });
    const app = createApp({ store, clock: () => NOW, config: { ...testConfig, trustProxy: 1 } });
    const chain = (await store.read((tx) =>
      tx.get<{ id: number }>('SELECT id FROM chains WHERE practice_id = ?', [practiceId]),
    ))!.id;
    const statuses: number[] = [];
    let hour = 0;
    for (let a = 0; a < 50; a++) {
      for (let i = 0; i < 3; i++) {
        const day = 1 + Math.floor(hour / 10);
        const start = `2026-12-${String(day).padStart(2, '0')}T${String(8 + (hour % 10)).padStart(2, '0')}:00:00+01:00`;
        hour++;
        const email = `a${a}-${i}@example.org`;
        const res = await call(app, 'POST', '/api/v1/p/many/bookings', {
          token: verifiedToken(practiceId, email),
          headers: { 'idempotency-key': `m-${a}-${i}`, 'x-forwarded-for': `192.0.2.${a + 1}` },
          body: { chain, start, client: { firstName: 'Viele', lastName: 'Adressen', email, consent: true } },
        });
        statuses.push(res.status);
      }
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    expect(
      await store.read(async (tx) =>
        Number(
          (await tx.get<{ n: number }>(
            "SELECT count(*) AS n FROM appointments WHERE practice_id = ? AND source = 'online'",
            [practiceId],
          ))!.n,
        ),
      ),
    ).toBe(100);
  });
});

describe('the re-check inside the booking transaction', () => {
  /** Two therapists, one room; a 45-minute chain with a 15-minute buffer that needs the room, on a 15-minute grid. */
  async function oneRoom() {
    const d = await demoApp();
    const doc = allWeekPracticeDoc() as Record<string, any>;
    doc.practice.slug = 'one-room';
    doc.practice.booking.slotStepMinutes = 15;
    doc.therapists.push({ ...doc.therapists[0], key: 'b', name: 'B' });
    doc.rooms = [{ key: 'r', name: 'Raum' }];
    doc.services[0].durationMinutes = 45;
    doc.chains[0] = { ...doc.chains[0], therapists: ['a', 'b'], needsRoom: true, bufferAfterMinutes: 15 };
    const { practiceId } = await importPractice(d.store, doc, { now: NOW });
    const chain = (await d.row<{ id: number }>('SELECT id FROM chains WHERE practice_id = ?', [practiceId]))!
      .id;
    const therapist = async (name: string) =>
      (await d.row<{ id: number }>('SELECT id FROM therapists WHERE practice_id = ? AND name = ?', [
        practiceId,
        name,
      ]))!.id;
    const bookAt = async (start: string, who: string, key: string) =>
      call(d.app, 'POST', '/api/v1/p/one-room/bookings', {
        headers: { 'idempotency-key': key },
        token: d.verifiedAt(practiceId, `${key}@example.org`),
        body: {
          chain,
          start,
          therapist: await therapist(who),
          client: { firstName: 'Rita', lastName: 'Raum', email: `${key}@example.org`, consent: true },
        },
      });
    return { bookAt };
  }

  it('refuses a start whose room is held by an appointment that began earlier, buffer included', async () => {
    const { bookAt } = await oneRoom();
    expect((await bookAt('2026-12-01T09:00:00+01:00', 'A', 'first')).status).toBe(201);
    // B is free, but the room is in use 09:00–09:45 and then 15 minutes of buffer.
    for (const [start, key] of [
      ['2026-12-01T09:30:00+01:00', 'during'],
      ['2026-12-01T09:45:00+01:00', 'buffer'],
      ['2026-12-01T08:30:00+01:00', 'ends-inside'],
    ] as const) {
      const res = await bookAt(start, 'B', key);
      expect(res.status, start).toBe(409);
      expect(res.body.code).toBe('slot_taken');
    }
    // Once the buffer is over, the room is free again.
    expect((await bookAt('2026-12-01T10:00:00+01:00', 'B', 'after')).status).toBe(201);
    // The same therapist, an hour earlier: ends 08:45, buffer to 09:00, so it fits exactly.
    expect((await bookAt('2026-12-01T08:00:00+01:00', 'A', 'before')).status).toBe(201);
  });
});
