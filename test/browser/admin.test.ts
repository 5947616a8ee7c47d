/**
 * The back office in Chromium: an admin logs in, manages the practice's users (invites one, takes
 * another's access away); a therapist without admin rights logs in and is shown why users are not
 * theirs to manage. axe-core at every step.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_LOGINS, demoDocument, setDemoPasswords } from '../../server/demo/load.ts';
import { importPractice } from '../../server/practice/import.ts';
import { check, describeBrowser, launch, newPage, now, type Stack, startStack } from './harness.ts';

describeBrowser('the back office', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launch()]);
    await setDemoPasswords(stack.store, stack.practiceId);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const logIn = async (page: Page, login: (typeof DEMO_LOGINS)[number]) => {
    await page.goto(`${stack.api}/admin`);
    await page.getByLabel('E-Mail-Adresse').fill(login.email);
    await page.getByLabel('Passwort').fill(login.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('button', { name: 'Abmelden' }).waitFor();
  };

  it('an admin logs in, invites a user and takes another user’s access away', async () => {
    const page = await newPage(browser);
    await page.goto(`${stack.api}/admin`);
    await page.getByLabel('Passwort').waitFor();
    await check(page, 'admin-1-login');
    await logIn(page, DEMO_LOGINS[0]);
    expect(await page.getByText('Tarif XL').count()).toBe(1);
    await check(page, 'admin-2-home');

    await page.getByRole('button', { name: 'Benutzer' }).click();
    await page.getByRole('heading', { name: 'Benutzer', level: 1 }).waitFor();
    await page.getByRole('row', { name: /Anna Berg/ }).waitFor();
    await check(page, 'admin-3-users');

    await page.getByRole('textbox', { name: 'Name' }).fill('Lea Neu');
    await page.getByRole('textbox', { name: 'E-Mail-Adresse' }).fill('lea.neu@lindenhof.example');
    await page.getByRole('button', { name: 'Einladen' }).click();
    const link = page.locator('.link-out code');
    await link.waitFor();
    expect(await link.textContent()).toMatch(new RegExp(`^${stack.api}/admin/password\\?token=`));
    await page.getByRole('row', { name: /Lea Neu/ }).waitFor();

    await page
      .getByRole('row', { name: /Anna Berg/ })
      .getByRole('button', { name: /Deaktivieren/ })
      .click();
    await expect
      .poll(() => page.getByRole('row', { name: /Anna Berg/ }).textContent())
      .toMatch(/deaktiviert/);
    await check(page, 'admin-4-changed');
    expect(await stack.rows("SELECT active FROM users WHERE email = 'anna.berg@lindenhof.example'")).toEqual([
      { active: 0 },
    ]);
    await stack.sql("UPDATE users SET active = 1 WHERE email = 'anna.berg@lindenhof.example'");
  });

  it('a therapist without admin rights sees why the users are not theirs, and the server refuses them too', async () => {
    const page = await newPage(browser);
    await logIn(page, DEMO_LOGINS[1]);
    const users = page.getByRole('button', { name: 'Benutzer' });
    expect(await users.getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByText('(Benutzer: Nur für Admins)').count()).toBe(1);
    // Pressing it does nothing but say why.
    await users.focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('heading', { name: 'Benutzer', level: 1 }).count()).toBe(0);
    const config = page.getByRole('button', { name: 'Konfiguration' });
    expect(await config.getAttribute('aria-disabled')).toBe('true');
    expect(await page.getByText('(Konfiguration: Nur für Admins)').count()).toBe(1);
    await check(page, 'admin-5-staff');
    const refused = await page.evaluate(async () => {
      const res = await fetch('/api/v1/admin/users');
      return [res.status, ((await res.json()) as { code: string }).code];
    });
    expect(refused).toEqual([403, 'role_required']);
    const put = await page.evaluate(async () => {
      const me = (await (await fetch('/api/v1/admin/me')).json()) as { csrfToken: string };
      const res = await fetch('/api/v1/admin/practice/document', {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: '{}',
      });
      return [res.status, ((await res.json()) as { code: string }).code];
    });
    expect(put).toEqual([403, 'role_required']);
  });

  it('package templates: listed on plan XL; on plan M marked unavailable with the reason, and refused by the server', async () => {
    const page = await newPage(browser);
    await logIn(page, DEMO_LOGINS[0]);
    await page.getByRole('button', { name: 'Paketvorlagen' }).click();
    await page.getByRole('row', { name: /Rezept KG 6×/ }).waitFor();
    expect(await page.getByRole('row', { name: /Rezept KG 6×/ }).textContent()).toMatch(/6 Termine.*90 Tage/);
    await check(page, 'admin-6-templates');
    await stack.sql("UPDATE practices SET plan = 'M'");
    try {
      await page.reload();
      const templates = page.getByRole('button', { name: 'Paketvorlagen' });
      await templates.waitFor();
      expect(await templates.getAttribute('aria-disabled')).toBe('true');
      expect(await page.getByText('(Paketvorlagen: Pakete gibt es ab Tarif L)').count()).toBe(1);
      await check(page, 'admin-7-plan-m');
      const refused = await page.evaluate(async () => {
        const res = await fetch('/api/v1/admin/package-templates');
        return [res.status, ((await res.json()) as { code: string }).code];
      });
      expect(refused).toEqual([403, 'plan_required']);
    } finally {
      await stack.sql("UPDATE practices SET plan = 'XL'");
    }
  });

  it('an admin adds a service, a template and a chain that creates the package on booking; the widget on /demo offers it at once', async () => {
    // On plan L, the lowest with packages: its admin creates a template.
    await stack.sql("UPDATE practices SET plan = 'L'");
    const page = await newPage(browser);
    await logIn(page, DEMO_LOGINS[0]);
    await page.getByRole('button', { name: 'Konfiguration' }).click();
    await page.getByRole('heading', { name: 'Konfiguration: Praxis & Online-Buchung', level: 1 }).waitFor();
    await check(page, 'config-1-settings');
    const sub = page.getByRole('navigation', { name: 'Konfiguration' });
    // Every page, by keyboard-reachable buttons, checked by axe.
    for (const name of ['Therapeuty', 'Räume', 'Leistungen', 'Paketvorlagen', 'Leistungsketten']) {
      await sub.getByRole('button', { name, exact: true }).click();
      await page.getByRole('heading', { name: `Konfiguration: ${name}`, level: 1 }).waitFor();
      await page.locator('details.item summary').first().click();
      await check(page, `config-page-${name}`);
    }
    const saved = () => page.getByRole('status').textContent();

    // A service: first with a mistake the server names at its field, then right.
    await sub.getByRole('button', { name: 'Leistungen' }).click();
    await page.getByRole('button', { name: 'Leistung hinzufügen' }).click();
    const service = page.locator('details.item').last();
    await service.getByLabel('Leistungsziffer').fill('OSTEO');
    await service.getByLabel('Name').fill('Osteopathie');
    await service.getByLabel('Preis (€)').fill('95,00');
    await service.getByLabel('Dauer (Minuten)').fill('0');
    await page.getByRole('button', { name: 'Speichern' }).click();
    const duration = service.getByLabel('Dauer (Minuten)');
    await expect.poll(() => duration.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await duration.getAttribute('aria-describedby'))!;
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/>=1|1/);
    expect(await page.getByRole('alert').textContent()).toMatch(/Nicht gespeichert: 1 Problem/);
    await check(page, 'config-2-problem');
    expect(await stack.rows("SELECT code FROM services WHERE code = 'OSTEO'")).toEqual([]);
    await duration.fill('50');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(saved).toBe('Gespeichert: 1 Änderung.');
    expect(
      await stack.rows("SELECT price_cents, duration_minutes FROM services WHERE code = 'OSTEO'"),
    ).toEqual([{ price_cents: 9500, duration_minutes: 50 }]);

    // A package template of three appointments.
    await sub.getByRole('button', { name: 'Paketvorlagen' }).click();
    await page.getByRole('button', { name: 'Paketvorlage hinzufügen' }).click();
    const template = page.locator('details.item').last();
    await template.getByLabel('Kürzel').fill('osteo3');
    await template.getByLabel('Name').fill('Osteopathie 3er');
    await template.getByLabel('Höchstens Termine').fill('3');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(saved).toBe('Gespeichert: 1 Änderung.');

    // A chain of it, offered while the package is absent or present, creating it on the first booking.
    await sub.getByRole('button', { name: 'Leistungsketten' }).click();
    await page.getByRole('button', { name: 'Leistungskette hinzufügen' }).click();
    const chain = page.locator('details.item').last();
    await chain.getByLabel('Kürzel').fill('osteo');
    await chain.getByLabel('Name').fill('Osteopathie');
    await chain.getByLabel('Text im Widget').fill('Drei Termine, das Paket entsteht bei der ersten Buchung.');
    await chain.getByLabel('Leistungsziffer').selectOption('OSTEO');
    await chain.getByRole('checkbox', { name: 'Anna Berg' }).check();
    await chain.getByRole('button', { name: 'Paketregel hinzufügen' }).click();
    await chain.getByRole('combobox', { name: 'Paketvorlagen' }).selectOption('osteo3');
    await chain
      .getByRole('group', { name: 'Bei Buchung anlegen, wenn …' })
      .getByRole('checkbox', { name: 'fehlt' })
      .check();
    await check(page, 'config-3-chain');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(saved).toBe('Gespeichert: 1 Änderung.');
    const [rule] = await stack.rows(
      `SELECT r.when_absent, r.when_present, r.create_on_booking FROM chain_package_rules r
         JOIN chains c ON c.id = r.chain_id WHERE c.key = 'osteo'`,
    );
    expect(rule).toEqual({ when_absent: 1, when_present: 1, create_on_booking: 1 });

    // The change history names all three, by whom.
    await sub.getByRole('button', { name: 'Änderungen' }).click();
    await page.getByText('Leistungskette osteo hinzugefügt').waitFor();
    const entries = page.locator('.history > li');
    expect(await entries.nth(0).textContent()).toMatch(/Dana Admin.*Leistungskette osteo hinzugefügt/);
    expect(await entries.nth(1).textContent()).toMatch(/Dana Admin.*Paketvorlage osteo3 hinzugefügt/);
    expect(await entries.nth(2).textContent()).toMatch(/Dana Admin.*Leistung OSTEO hinzugefügt/);
    await check(page, 'config-4-history');

    // The embed page: the snippet, and the widget itself with the new chain.
    await sub.getByRole('button', { name: 'Einbetten' }).click();
    expect(await page.getByLabel('Code für Ihre Website').inputValue()).toContain(
      '<terminkette-booking practice="demo">',
    );
    await page.getByRole('button', { name: /^Osteopathie/ }).waitFor();
    await check(page, 'config-5-embed');

    // And the practice website's widget offers it.
    const site = await newPage(browser);
    await site.goto(`${stack.api}/demo`);
    await site.getByRole('button', { name: /^Osteopathie/ }).click();
    await site.getByRole('heading', { name: 'Osteopathie' }).waitFor();
    await site.locator('.sl button').first().waitFor();
    await stack.sql("UPDATE practices SET plan = 'XL'");
  });

  it('a therapist finds a client file, reads its budget bars, adds a package by hand and closes it; on plan L the page says only admins may', async () => {
    const page = await newPage(browser);
    await logIn(page, DEMO_LOGINS[1]);
    await page.getByRole('button', { name: 'Klienty' }).click();
    await page.getByLabel('Suchen').fill('vog');
    await page.getByRole('button', { name: 'Vogel, Lena' }).click();
    await page.getByRole('heading', { name: 'Lena Vogel', level: 1 }).waitFor();
    const rezept = page.locator('.package', { hasText: 'Rezept KG 6×' });
    expect(await rezept.locator('.bar').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^KG: 4 von 6 verbraucht/)]),
    );
    await check(page, 'clients-1-file');

    await page.getByText('Paket anlegen').click();
    await page.getByLabel('Paketvorlagen').first().selectOption('coaching6');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    const coaching = page.locator('.package', { hasText: 'coaching6' });
    await coaching.waitFor();
    expect(await coaching.locator('.bar').first().textContent()).toMatch(/^Termine: 0 von 6 verbraucht/);
    await coaching.getByText('Paket ändern').click();
    await coaching.getByLabel('Grund').fill('Auf Wunsch beendet');
    await coaching.getByRole('button', { name: 'Schließen' }).click();
    await expect.poll(() => coaching.textContent()).toMatch(/geschlossen: Auf Wunsch beendet/);
    await check(page, 'clients-2-package');
    const [pkg] = await stack.rows(
      "SELECT status, closed_reason FROM packages WHERE name = 'Coaching 6er' ORDER BY id DESC LIMIT 1",
    );
    expect(pkg).toEqual({ status: 'closed', closed_reason: 'Auf Wunsch beendet' });

    await stack.sql("UPDATE practices SET plan = 'L'");
    try {
      await page.reload();
      await page.getByRole('button', { name: 'Klienty' }).click();
      await page.getByRole('button', { name: 'Vogel, Lena' }).click();
      await page.getByText('Im Tarif L legen nur Admins Pakete an und ändern sie (ab XL alle).').waitFor();
      expect(await page.getByText('Paket ändern').count()).toBe(0);
      await check(page, 'clients-3-plan-l');
    } finally {
      await stack.sql("UPDATE practices SET plan = 'XL'");
    }
  });

  it('the calendar: a therapist books a Folgetermin; its package bars move while services are added, an overrun is refused with the numbers, a fitting change is saved', async () => {
    const page = await newPage(browser, { timezoneId: 'Europe/Berlin' });
    await logIn(page, DEMO_LOGINS[1]);
    // The next Tuesday at least two days ahead (Anna works 08:00–12:00), not her day off a week from now.
    const day = (n: number) =>
      new Date(now() + n * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });
    let n = 2;
    while (new Date(`${day(n)}T12:00:00Z`).getUTCDay() !== 2 || n === 7) n++;
    const tuesday = day(n);

    await page.getByRole('button', { name: 'Kalender' }).click();
    await page.getByRole('heading', { name: 'Kalender', level: 1 }).waitFor();
    await check(page, 'calendar-1-week');
    await page.getByText('Neuer Termin').click();
    await page.locator('#new-client-search').fill('vog');
    await expect.poll(() => page.locator('#new-client').locator('option').count()).toBe(1);
    await page.locator('#new-chain').selectOption({ label: 'Physiotherapie Folgetermin' });
    await page.locator('#new-date').fill(tuesday);
    await page.locator('#new-time').fill('08:00');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Gespeichert.');
    const appointment = page.locator('.appt', { hasText: 'Lena Vogel' });
    for (let i = 0; i < 3 && (await appointment.count()) === 0; i++) {
      await page.getByRole('button', { name: 'Nächste Woche →' }).click();
      await page.waitForTimeout(200);
    }
    await appointment.click();
    const editor = page.locator('.editor');
    await editor.waitFor();
    const kg = editor.locator('.bar', { hasText: 'KG:' });
    expect(await kg.textContent()).toBe('KG: 5 von 6');

    // A Fango line: another service, the KG bar stays.
    await editor.getByLabel('Leistung hinzufügen').selectOption({ label: 'FANGO – Fango' });
    expect(await editor.locator('.lines li').count()).toBe(2);
    expect(await kg.textContent()).toBe('KG: 5 von 6');

    // Two more KG: the bar turns red and names itself, before anything is saved.
    await editor.getByRole('button', { name: 'KG einmal mehr' }).click();
    await editor.getByRole('button', { name: 'KG einmal mehr' }).click();
    expect(await kg.textContent()).toBe('KG: 7 von 6 – über der Grenze');
    expect(await kg.getAttribute('class')).toContain('red');
    await check(page, 'calendar-2-over');
    await editor.getByRole('button', { name: 'Speichern' }).click();
    await expect
      .poll(() => editor.getByRole('alert').textContent())
      .toBe('Nicht gespeichert: Paket „Rezept KG 6×“ reicht nicht (KG: 7 von 6).');
    const lines = () =>
      stack.rows(
        `SELECT l.quantity FROM appointment_lines l JOIN appointments a ON a.id = l.appointment_id
           JOIN clients c ON c.id = a.client_id WHERE c.last_name = 'Vogel' AND a.status = 'booked' AND l.code = 'KG'`,
      );
    expect(await lines()).toEqual([{ quantity: 1 }]);

    await editor.getByRole('button', { name: 'KG einmal weniger' }).click();
    expect(await kg.textContent()).toBe('KG: 6 von 6');
    await editor.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(lines).toEqual([{ quantity: 2 }]);
    await check(page, 'calendar-3-saved');

    await page.locator('.editor').getByRole('button', { name: 'Termin absagen' }).click();
    await expect.poll(() => appointment.getAttribute('class')).toContain('cancelled');

    // A series of 8 weekly Folgetermine on the package with 2 left: each date that does not fit and
    // why; all of it refused; then the 2 that fit, on request.
    await page.locator('#new-client-search').fill('vog');
    await expect.poll(() => page.locator('#new-client option').count()).toBe(1);
    await page.locator('#new-chain').selectOption({ label: 'Physiotherapie Folgetermin' });
    await page.locator('#new-date').fill(tuesday);
    await page.locator('#new-time').fill('09:00');
    await page.getByLabel('Als Serie anlegen').check();
    await page.getByLabel('Anzahl Termine').fill('8');
    await page.getByRole('button', { name: 'Anlegen', exact: true }).click();
    const check8 = page.locator('.series');
    await expect.poll(() => check8.locator('h3').textContent()).toBe('2 von 8 Terminen passen');
    expect(await check8.locator('li.error').first().textContent()).toMatch(
      /Paket „Rezept KG 6×“ ist bis dahin aufgebraucht/,
    );
    expect(await check8.getByRole('button', { name: 'Alle anlegen' }).isDisabled()).toBe(true);
    await check(page, 'calendar-4-series');
    await check8.getByRole('button', { name: 'Nur die 2 passenden anlegen' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('2 Termine angelegt.');
    expect(
      await stack.rows(
        "SELECT count(*) AS n FROM appointments a JOIN clients c ON c.id = a.client_id WHERE c.last_name = 'Vogel' AND a.status = 'booked'",
      ),
    ).toEqual([{ n: 2 }]);

    // By keyboard: into the grid, then from appointment to appointment with the arrow keys.
    await page.locator('section.cal').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate('document.activeElement.textContent')).toMatch(/^08:00 Lena Vogel/);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate('document.activeElement.textContent')).toMatch(/^09:00 Lena Vogel/);
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.evaluate('document.activeElement.textContent')).toMatch(/^08:00 Lena Vogel/);
  });

  it('a session of one practice gets nothing of another practice, whatever ids the browser asks for', async () => {
    // Practice B on the same server: the demo's document under another slug and addresses.
    const doc = demoDocument() as any;
    doc.practice.slug = 'andere';
    doc.users = doc.users.map((u: any) => ({
      ...u,
      email: u.email.replace('@lindenhof.example', '@andere.example'),
    }));
    for (const t of doc.therapists)
      if (t.user) t.user = t.user.replace('@lindenhof.example', '@andere.example');
    for (const c of doc.clients ?? [])
      if (c.email) c.email = c.email.replace('@example.org', '@andere.example.org');
    const other = await importPractice(stack.store, doc, { now: now() });
    const [b] = await stack.rows(
      'SELECT min(id) AS client, (SELECT min(id) FROM appointments WHERE practice_id = ?) AS appointment FROM clients WHERE practice_id = ?',
      [other.practiceId, other.practiceId],
    );
    const page = await newPage(browser);
    await logIn(page, DEMO_LOGINS[0]);
    const answers = await page.evaluate(`(async () => {
      const get = async (path) => { const r = await fetch(path); return [r.status, await r.text()]; };
      return [
        await get('/api/v1/admin/clients/${b.client}'),
        await get('/api/v1/admin/clients/${b.client}/export'),
        await get('/api/v1/admin/appointments/${b.appointment}'),
        await get('/api/v1/admin/clients?limit=100'),
      ];
    })()`);
    const [file, exported, appointment, search] = answers as [number, string][];
    expect(file![0]).toBe(404);
    expect(exported![0]).toBe(404);
    expect(appointment![0]).toBe(404);
    expect(search![0]).toBe(200);
    const listed = JSON.parse(search![1]).clients as { id: number }[];
    const [{ n }] = await stack.rows('SELECT count(*) AS n FROM clients WHERE practice_id = ?', [
      stack.practiceId,
    ]);
    expect(listed.length).toBe(Math.min(100, n));
    for (const [, text] of answers as [number, string][]) expect(text).not.toContain('andere.example');
  });
});
