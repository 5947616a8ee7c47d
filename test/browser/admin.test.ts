/**
 * The back office in Chromium: an admin logs in, manages the practice's users (invites one, takes
 * another's access away); a therapist without admin rights logs in and is shown why users are not
 * theirs to manage. axe-core at every step.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_LOGINS, setDemoPasswords } from '../../server/demo/load.ts';
import { check, describeBrowser, launch, newPage, type Stack, startStack } from './harness.ts';

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
    await check(page, 'admin-5-staff');
    const refused = await page.evaluate(async () => {
      const res = await fetch('/api/v1/admin/users');
      return [res.status, ((await res.json()) as { code: string }).code];
    });
    expect(refused).toEqual([403, 'role_required']);
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
});
