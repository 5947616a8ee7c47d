/**
 * The booking widget on a practice's website, in Chromium: whole bookings as a new and a returning
 * client, the rules of the demo practice's prescription chain as the client sees them, taken
 * slots and holds that run out, axe-core at every step.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { directLinkForClient } from '../../server/auth/tokens.ts';
import { check, describeBrowser, launch, newPage, now, type Stack, sitePage, startStack } from './harness.ts';

/*
 * Times are chosen as the second of a day, never the first: the first may be right at the practice's
 * notice (2 hours from now) and become too soon while the test types.
 */

/** Records the widget's events on the page, for the test to read. */
const EVENTS = `<script>window.events=[];for(const n of ['ready','chain-selected','slot-selected','booked','cancelled','error'])document.addEventListener('terminkette:'+n,(e)=>events.push([n,e.detail]));</script>`;

describeBrowser('the booking widget on a practice website', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const open = async (attributes = 'practice="demo"', options = {}) => {
    const page = await newPage(browser, options);
    await page.goto(stack.page(sitePage(stack, attributes, '', EVENTS)));
    return page;
  };
  const events = (page: Page) => page.evaluate(() => (window as any).events as [string, any][]);
  const focused = (page: Page) =>
    page.evaluate(() => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el ? `${el.tagName.toLowerCase()}:${el.textContent?.trim()}` : '';
    });

  /**
   * Waits for the times and makes sure the chosen day has at least two (late in the day, today may
   * have one left; the tests take the second time, as the first may be at the notice's edge).
   */
  const dayWithTwoTimes = async (page: Page) => {
    await page.locator('.sl button').first().waitFor();
    const days = page.locator('.dy button:not([disabled])');
    for (let i = 0; (await page.locator('.sl button').count()) < 2 && i < (await days.count()); i++) {
      await days.nth(i).click();
    }
  };

  /** The e-mail → code steps, as a client types them. */
  const verify = async (page: Page, email: string) => {
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByRole('button', { name: 'Code per E-Mail senden' }).click();
    await page.getByLabel('Code aus der E-Mail').fill(await stack.codeFor(email));
    await page.getByRole('button', { name: 'Bestätigen' }).click();
  };

  it('a new client books "Physiotherapie Erstbefund" through code verification; the prescription package exists on the new file', async () => {
    const page = await open();
    await page.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
    await check(page, 'new-1-chains');
    expect((await events(page)).map(([n]) => n)).toEqual(['ready']);

    await page.getByRole('button', { name: /^Physiotherapie Erstbefund/ }).click();
    await page.getByRole('heading', { name: 'Physiotherapie Erstbefund' }).waitFor();
    await expect.poll(() => focused(page)).toBe('h2:Physiotherapie Erstbefund');
    await dayWithTwoTimes(page);
    const first = page.locator('.sl button').nth(1);
    await first.waitFor();
    // Names read well aloud: the full date and time and the duration, never a bare "9:30".
    const name = (await first.getAttribute('aria-label'))!;
    expect(name).toMatch(/^\w+, \d{1,2}\. \w+ 20\d\d, \d\d:\d\d Uhr, 50 Minuten/);
    await check(page, 'new-2-times');

    await first.click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    await expect.poll(() => focused(page)).toBe('h2:Ihre Angaben');
    await expect.poll(() => page.getByText(/Für Sie reserviert: noch \d+:\d\d/).count()).toBe(1);
    await check(page, 'new-3-hold');

    const email = 'neu.klienty@example.org';
    await verify(page, email);
    await page.getByLabel('Vorname').fill('Kim');
    await page.getByLabel('Nachname').fill('Neumann');
    // The consent links the practice's privacy notice.
    const [practice] = await stack.rows<{ privacy_notice_url: string }>(
      'SELECT privacy_notice_url FROM practices WHERE id = ?',
      [stack.practiceId],
    );
    expect(practice!.privacy_notice_url).toMatch(/^https:/);
    expect(await page.getByRole('link', { name: 'Datenschutzhinweise' }).getAttribute('href')).toBe(
      practice!.privacy_notice_url,
    );
    await check(page, 'new-4-details');
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Verbindlich buchen' }).click();

    await page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor();
    await expect.poll(() => focused(page)).toBe('h2:Ihr Termin ist gebucht');
    await expect.poll(() => page.getByText(/Rezept KG 6×: noch 5 von 6/).count()).toBe(1);
    await check(page, 'new-5-booked');
    // Date, time, therapist and room of the booking, as the server wrote it.
    const [row] = await stack.rows<{ starts_at: number; therapist: string; room: string }>(
      `SELECT a.starts_at, t.name AS therapist, r.name AS room FROM appointments a
         JOIN therapists t ON t.id = a.therapist_id JOIN rooms r ON r.id = a.room_id
         JOIN clients c ON c.id = a.client_id WHERE c.email = ?`,
      [email],
    );
    const time = new Intl.DateTimeFormat('de-DE', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
    }).format(row!.starts_at);
    expect(await page.locator('.su').textContent()).toContain(
      `${time} Uhr, 50 Minuten, bei ${row!.therapist}, ${row!.room}`,
    );

    const packages = await stack.rows(
      'SELECT p.name, p.origin FROM packages p JOIN clients c ON c.id = p.client_id WHERE c.email = ?',
      [email],
    );
    expect(packages).toEqual([{ name: 'Rezept KG 6×', origin: 'booking' }]);
    const booked = (await events(page)).find(([n]) => n === 'booked')![1];
    expect(Object.keys(booked).sort()).toEqual(['chain', 'id', 'start']);
    expect(booked.chain).toBe('physio-erstbefund');
    // The page learns each step, and nothing personal.
    expect((await events(page)).filter(([n]) => n !== 'booked')).toEqual([
      ['ready', { practice: 'demo' }],
      ['chain-selected', { chain: 'physio-erstbefund' }],
      ['slot-selected', { chain: 'physio-erstbefund', start: booked.start, therapist: expect.any(Number) }],
    ]);
    // The calendar file and the cancel link are the server's.
    expect(await page.getByRole('link', { name: 'In den Kalender' }).getAttribute('href')).toMatch(
      new RegExp(`^${stack.api}/api/v1/bookings/${booked.id}\\.ics\\?token=`),
    );
  });

  /** Signs in from the chains step with e-mail and access code. */
  const signIn = async (page: Page, email: string, accessCode: string) => {
    await page.getByText('Schon Klienty? Anmelden').click();
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Zugangscode oder Code aus der E-Mail').fill(accessCode);
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.getByText(/^Angemeldet als/).waitFor();
  };

  it('a returning client with 4 of 6 used books a Folgetermin and the success screen says 1 remains', async () => {
    const page = await open();
    await signIn(page, 'lena.vogel@example.org', 'LENA2345');
    await expect.poll(() => page.getByText('Angemeldet als Lena Vogel').count()).toBe(1);
    // The form she used is gone: the keyboard is on what replaced it.
    await expect.poll(() => focused(page)).toBe('p:Angemeldet als Lena Vogel Abmelden');
    // Only what her package allows, with what is left of it.
    await page.getByRole('button', { name: /^Physiotherapie Folgetermin/ }).waitFor();
    expect(await page.getByText(/Rezept KG 6×: noch 2 von 6 Terminen/).count()).toBeGreaterThan(0);
    await check(page, 'returning-1-chains');
    await page.getByRole('button', { name: /^Physiotherapie Folgetermin/ }).click();
    await page.locator('.sl button').first().waitFor();
    // Next week's last day with times: far enough ahead to be cancelled online (24 h before).
    await page.getByRole('button', { name: 'Nächste Woche →' }).click();
    await page.locator('.dy button:not([disabled])').last().click();
    await page.locator('.sl button').first().click();
    // Signed in: no e-mail step, no new-client fields.
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    expect(await page.getByLabel('Vorname').count()).toBe(0);
    await check(page, 'returning-2-confirm');
    await page.getByRole('button', { name: 'Verbindlich buchen' }).click();
    await page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor();
    expect(await page.getByText(/Rezept KG 6×: noch 1 von 6 Terminen/).count()).toBe(1);
    await check(page, 'returning-3-booked');
    expect(await page.getByText(/Online absagen bis \w+, \d+\. \w+ \d{4}, \d\d:\d\d Uhr\./).count()).toBe(1);
    // Cancelling from the success screen asks once more, then frees the budget again.
    await page.getByRole('button', { name: 'Termin absagen' }).click();
    await page.getByRole('button', { name: 'Ja, Termin wirklich absagen' }).click();
    await page.getByRole('heading', { name: 'Der Termin ist abgesagt.' }).waitFor();
    const booked = (await events(page)).find(([n]) => n === 'booked')![1];
    expect((await events(page)).filter(([n]) => n === 'cancelled').map(([, d]) => d)).toEqual([
      { id: booked.id },
    ]);
    expect(await stack.rows('SELECT status FROM appointments WHERE id = ?', [booked.id])).toEqual([
      { status: 'cancelled' },
    ]);
  });

  it('a returning client who signs in on the details step: the form is drawn for her at once, the keyboard on its first control', async () => {
    const page = await open();
    await page.getByRole('button', { name: /^Hypnose Raucherentwöhnung/ }).click();
    await dayWithTwoTimes(page);
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    // Counts what the form shows at each step it is drawn: the new-client fields must never come.
    await page.evaluate(() => {
      const root = document.querySelector('terminkette-booking')!.shadowRoot!;
      (window as any).nameFields = 0;
      new MutationObserver(() => {
        if ([...root.querySelectorAll('label')].some((l) => l.textContent?.trim() === 'Vorname'))
          (window as any).nameFields++;
      }).observe(root, { childList: true, subtree: true });
    });
    await verify(page, 'lena.vogel@example.org');
    await page.getByRole('button', { name: 'Verbindlich buchen' }).waitFor();
    const where = () =>
      page.evaluate(() => {
        let el = document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return `${el?.tagName.toLowerCase()}:${(el as HTMLInputElement).type}`;
      });
    // Known and of age: nothing to fill in, so the keyboard is on "Verbindlich buchen".
    await expect.poll(where).toBe('button:submit');
    expect(await page.evaluate(() => (window as any).nameFields)).toBe(0);
    await check(page, 'returning-on-details');
  });

  /** The personal direct link of Tom Becker, whose package is used up. */
  const tomsLink = async () => {
    const [tom] = await stack.rows<{ id: number }>('SELECT id FROM clients WHERE email = ?', [
      'tom.becker@example.org',
    ]);
    return directLinkForClient(stack.store, stack.secret, stack.practiceId, tom!.id);
  };

  it('an exhausted client (through the personal direct link) is offered the Abschlussbefund, not the Folgetermin, and told why', async () => {
    const link = await tomsLink();
    const page = await newPage(browser);
    const url = `${stack.page(sitePage(stack, 'practice="demo"', '', EVENTS))}?terminkette=${encodeURIComponent(link!)}`;
    await page.goto(url);
    await expect.poll(() => page.getByText('Angemeldet als Tom Becker').count()).toBe(1);
    // The token leaves the address bar (and the history) once used.
    expect(new URL(page.url()).search).toBe('');
    await page.getByRole('button', { name: /^Physiotherapie Abschlussbefund/ }).waitFor();
    expect(await page.getByRole('button', { name: /^Physiotherapie Folgetermin/ }).count()).toBe(0);
    const folge = page.locator('.off', { hasText: 'Physiotherapie Folgetermin' });
    await expect.poll(() => folge.textContent()).toMatch(/Zurzeit nicht buchbar: .+/);
    await check(page, 'exhausted-1-chains');
    // A direct link signs in as the page loads without taking the keyboard anywhere; signing out
    // puts it on the sign-in that replaces the line.
    expect(await focused(page)).toMatch(/^body:/);
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await expect.poll(() => focused(page)).toBe('summary:Schon Klienty? Anmelden');
    await check(page, 'exhausted-2-signed-out');
  });

  it('a personal direct link signs in every widget on the page, not only the first to start', async () => {
    const link = await tomsLink();
    const page = await newPage(browser);
    const second = '<terminkette-booking practice="demo"></terminkette-booking>';
    await page.goto(
      `${stack.page(sitePage(stack, 'practice="demo"', second, EVENTS))}?terminkette=${encodeURIComponent(link!)}`,
    );
    await expect.poll(() => page.getByText('Angemeldet als Tom Becker').count()).toBe(2);
    expect(new URL(page.url()).search).toBe('');
    await check(page, 'direct-link-two-widgets');
  });

  it('a visitor who signs in on the way to a chain their package rules out goes back to the chains, told why, the hold let go', async () => {
    const page = await open();
    await page.getByRole('button', { name: /^Physiotherapie Erstbefund/ }).click();
    await dayWithTwoTimes(page);
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    const [hold] = await stack.rows<{ id: number }>(
      "SELECT id FROM appointments WHERE status = 'held' ORDER BY id DESC LIMIT 1",
    );
    // Lena has a running prescription: a first visit is not hers to book.
    await verify(page, 'lena.vogel@example.org');
    await page.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
    await expect.poll(() => focused(page)).toBe('h2:Leistung wählen');
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe(
        'Sie haben bereits ein laufendes Paket für diese Leistung. Buchen Sie stattdessen „Physiotherapie Folgetermin“.',
      );
    expect(await page.getByText('Angemeldet als Lena Vogel').count()).toBe(1);
    await page.getByRole('button', { name: /^Physiotherapie Folgetermin/ }).waitFor();
    await check(page, 'signed-in-on-the-way-1-chains');
    // The start it held is free again at once.
    await expect
      .poll(() => stack.rows("SELECT id FROM appointments WHERE id = ? AND status = 'held'", [hold!.id]))
      .toEqual([]);
  });

  it('a package used up between choosing and confirming: back to the chains, told why, the Abschlussbefund offered instead', async () => {
    const [pkg] = await stack.rows<{ id: number; max_appointments: number }>(
      "SELECT p.id, p.max_appointments FROM packages p JOIN clients c ON c.id = p.client_id WHERE c.email = 'lena.vogel@example.org' AND p.status = 'active'",
    );
    const page = await open();
    await signIn(page, 'lena.vogel@example.org', 'LENA2345');
    await page.getByRole('button', { name: /^Physiotherapie Folgetermin/ }).click();
    await dayWithTwoTimes(page);
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    // Meanwhile the practice books her last sessions (here: the prescription ends at the 4 used).
    await stack.sql('UPDATE packages SET max_appointments = 4 WHERE id = ?', [pkg!.id]);
    try {
      await page.getByRole('button', { name: 'Verbindlich buchen' }).click();
      await page.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
      await expect.poll(() => page.getByRole('alert').textContent()).toBe('Ihr Paket ist aufgebraucht.');
      await expect.poll(() => focused(page)).toBe('h2:Leistung wählen');
      await page.getByRole('button', { name: /^Physiotherapie Abschlussbefund/ }).waitFor();
      expect(await page.getByRole('button', { name: /^Physiotherapie Folgetermin/ }).count()).toBe(0);
      await check(page, 'used-up-at-confirm-1-chains');
      expect((await events(page)).filter(([n]) => n === 'error').map(([, d]) => d.code)).toEqual([
        'budget_exhausted',
      ]);
    } finally {
      await stack.sql('UPDATE packages SET max_appointments = ? WHERE id = ?', [
        pkg!.max_appointments,
        pkg!.id,
      ]);
    }
  });

  it('a package that ends before the chosen start (shortened meanwhile): back to the times, told why, as the chain is still offered before then', async () => {
    const [pkg] = await stack.rows<{ id: number; valid_until: number | null }>(
      "SELECT p.id, p.valid_until FROM packages p JOIN clients c ON c.id = p.client_id WHERE c.email = 'lena.vogel@example.org' AND p.status = 'active'",
    );
    const page = await open();
    await signIn(page, 'lena.vogel@example.org', 'LENA2345');
    await page.getByRole('button', { name: /^Physiotherapie Folgetermin/ }).click();
    await page.locator('.sl button').first().waitFor();
    await page.getByRole('button', { name: 'Nächste Woche →' }).click();
    await page.locator('.dy button:not([disabled])').last().click();
    await page.locator('.sl button').first().click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    // The practice shortens the prescription: it now ends this Friday.
    await stack.sql('UPDATE packages SET valid_until = ? WHERE id = ?', [now() + 3 * 86_400_000, pkg!.id]);
    try {
      await page.getByRole('button', { name: 'Verbindlich buchen' }).click();
      await page.getByRole('heading', { name: 'Physiotherapie Folgetermin' }).waitFor();
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toBe('Ihr Paket ist zu diesem Zeitpunkt nicht mehr gültig.');
      await check(page, 'package-ends-1-back-to-times');
      expect((await events(page)).filter(([n]) => n === 'error').map(([, d]) => d.code)).toEqual([
        'package_expired',
      ]);
    } finally {
      await stack.sql('UPDATE packages SET valid_until = ? WHERE id = ?', [pkg!.valid_until, pkg!.id]);
    }
  });

  it('a start taken by someone else after the hold ran out: told in plain words, back to the times, nothing typed lost', async () => {
    const page = await open();
    await page.getByRole('button', { name: /^Hypnose Raucherentwöhnung/ }).click();
    await dayWithTwoTimes(page);
    const first = page.locator('.sl button').nth(1);
    await first.click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    const email = 'zu.spaet@example.org';
    await verify(page, email);
    await page.getByLabel('Vorname').fill('Alex');
    await page.getByLabel('Nachname').fill('Spät');
    // The chain has an age limit: the birth date in three numeric fields.
    await page.getByLabel('Tag').fill('27');
    await page.getByLabel('Monat').fill('3');
    await page.getByLabel('Jahr').fill('1985');
    await page.getByRole('checkbox').check();
    await check(page, 'taken-1-details');
    // The hold runs out, and another visitor holds the same start with the same therapist.
    const [held] = await stack.rows<{
      id: number;
      starts_at: number;
      therapist_id: number;
      chain_id: number;
    }>(
      "SELECT id, starts_at, therapist_id, chain_id FROM appointments WHERE status = 'held' ORDER BY id DESC LIMIT 1",
    );
    await stack.sql('UPDATE appointments SET hold_expires_at = ? WHERE id = ?', [now() - 1000, held!.id]);
    const other = await fetch(`${stack.api}/api/v1/p/demo/holds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        chain: held!.chain_id,
        start: new Date(held!.starts_at).toISOString(),
        therapist: held!.therapist_id,
      }),
    });
    expect(other.status).toBe(201);

    await page.getByRole('button', { name: 'Verbindlich buchen' }).click();
    await page.getByRole('heading', { name: 'Hypnose Raucherentwöhnung' }).waitFor();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/vergeben|nicht mehr frei/i);
    await check(page, 'taken-2-back-to-times');
    // Choosing again: the typed name is still there.
    await dayWithTwoTimes(page);
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    expect(await page.getByLabel('Vorname').inputValue()).toBe('Alex');
    await page.getByRole('button', { name: 'Verbindlich buchen' }).click();
    await page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor();
    await check(page, 'taken-3-booked');
    expect((await events(page)).filter(([n]) => n === 'error').map(([, d]) => d.code)).toEqual([
      'slot_taken',
    ]);
  });

  it('a hold that runs out while the client types: the time left is shown, announced two minutes before and at the end, and the start, still free, is booked all the same', async () => {
    const page = await newPage(browser);
    await page.goto(stack.page(sitePage(stack, 'practice="demo" chain="hp-erstgespraech"', '', EVENTS)));
    // Preselected by the `chain` attribute: the times come at once.
    await dayWithTwoTimes(page);
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    const [hold] = await stack.rows<{ id: number }>(
      "SELECT id FROM appointments WHERE status = 'held' ORDER BY id DESC LIMIT 1",
    );
    await expect.poll(() => page.getByText(/Für Sie reserviert: noch (10:00|9:5\d)/).count()).toBe(1);
    await check(page, 'hold-1-held');
    const email = 'lang.sam@example.org';
    await verify(page, email);
    await page.getByLabel('Vorname').fill('Sam');
    await page.clock.fastForward('08:01');
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe('Ihre Reservierung endet in 2 Minuten.');
    await check(page, 'hold-2-two-minutes-left');
    await page.getByLabel('Nachname').fill('Langsam');
    await page.clock.fastForward('02:00');
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toMatch(/Ihre Reservierung ist abgelaufen/);
    expect(await page.getByText(/Sie können trotzdem buchen/).count()).toBeGreaterThan(0);
    await check(page, 'hold-3-ran-out');
    // Typing goes on; the server lets the hold go too, and the start, still free, is booked.
    await page.getByLabel('Tag').fill('1');
    await page.getByLabel('Monat').fill('2');
    await page.getByLabel('Jahr').fill('1990');
    await page.getByRole('checkbox').check();
    expect(await page.getByLabel('Vorname').inputValue()).toBe('Sam');
    await stack.sql('UPDATE appointments SET hold_expires_at = ? WHERE id = ?', [now() - 1000, hold!.id]);
    await page.getByRole('button', { name: 'Verbindlich buchen' }).click();
    await page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor();
    await check(page, 'hold-4-booked-after-all');
    expect(
      await stack.rows(
        'SELECT c.first_name, c.last_name, c.birth_date, a.status FROM appointments a JOIN clients c ON c.id = a.client_id WHERE c.email = ?',
        [email],
      ),
    ).toEqual([{ first_name: 'Sam', last_name: 'Langsam', birth_date: '1990-02-01', status: 'booked' }]);
  });

  it('a week without free times says so; "Nächster freier Termin" jumps to the first week with one; the list shows the next free times', async () => {
    // Every therapist away for the next 15 days.
    const therapists = await stack.rows<{ id: number }>('SELECT id FROM therapists');
    const today = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(now());
    const day = (n: number) =>
      new Date(Date.parse(`${today}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    for (const t of therapists) {
      for (let n = 0; n < 15; n++) {
        await stack.sql(
          "INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind) VALUES (?, ?, ?, 'closed')",
          [stack.practiceId, t.id, day(n)],
        );
      }
    }
    await stack.sql('UPDATE practices SET config_version = config_version + 1');
    try {
      const page = await open('practice="demo" chain="physio-erstbefund"');
      await page.getByText('In dieser Woche ist kein Termin frei.').waitFor();
      const days = page.locator('.dy button');
      expect(await days.count()).toBe(7);
      // Days without times are there, named as such, and not clickable.
      expect(await days.first().isDisabled()).toBe(true);
      expect(await days.first().textContent()).toMatch(/keine freien Termine/);
      await check(page, 'next-free-1-empty-week');
      await page.getByRole('button', { name: 'Nächster freier Termin' }).click();
      const first = page.locator('.sl button').first();
      await first.waitFor();
      // The button is gone with the empty week: the keyboard is on the day the jump chose.
      await expect.poll(() => focused(page)).toMatch(/^button:.*, \d+ freie Termine$/);
      // The first time shown is on or after the 16th day.
      const label = (await first.getAttribute('aria-label'))!;
      const pressed = page.locator('.dy button[aria-pressed="true"]');
      expect(await pressed.textContent()).toMatch(/\d+ freie Termine/);
      expect(label).toMatch(/Uhr, 50 Minuten/);
      await check(page, 'next-free-2-jumped');
      // The plain list: the next free times, each with its full date.
      await page.getByRole('button', { name: 'Liste' }).click();
      await page.locator('.ls button').first().waitFor();
      expect(await page.locator('.ls button').first().textContent()).toMatch(
        /^\w+, \d+\. \w+ \d{4}, \d\d:\d\d Uhr, 50 Minuten/,
      );
      await check(page, 'next-free-3-list');
    } finally {
      await stack.sql('DELETE FROM availability_exceptions WHERE note IS NULL AND kind = ?', ['closed']);
      await stack.sql('UPDATE practices SET config_version = config_version + 1');
    }
  });

  it('a visitor who leaves the page frees the held start at once', async () => {
    const held = async () =>
      (await stack.rows<{ id: number }>("SELECT id FROM appointments WHERE status = 'held'")).map(
        (r) => r.id,
      );
    const before = await held();
    const page = await open('practice="demo" chain="hp-erstgespraech"');
    await dayWithTwoTimes(page);
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    await check(page, 'leave-1-held');
    expect((await held()).length).toBe(before.length + 1);
    await page.goto('about:blank');
    await expect.poll(held).toEqual(before);
  });
});
