/**
 * The booking widget on a practice's website, in Chromium: whole bookings as a new and a returning
 * client, the rules of the demo practice's prescription chain as the client sees them, taken
 * slots and holds that run out, axe-core at every step.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { check, describeBrowser, launch, newPage, type Stack, sitePage, startStack } from './harness.ts';

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
    const first = page.locator('.sl button').first();
    await first.waitFor();
    // Names read well aloud: the full date and time and the duration, never a bare "9:30".
    const name = (await first.getAttribute('aria-label'))!;
    expect(name).toMatch(/^\w+, \d{1,2}\. \w+ 20\d\d, \d\d:\d\d Uhr, 50 Minuten/);
    expect(await focused(page)).toBe('h2:Physiotherapie Erstbefund');
    await check(page, 'new-2-times');

    await first.click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    expect(await focused(page)).toBe('h2:Ihre Angaben');
    await expect.poll(() => page.getByText(/Für Sie reserviert: noch \d+:\d\d/).count()).toBe(1);
    await check(page, 'new-3-hold');

    const email = 'neu.klienty@example.org';
    await verify(page, email);
    await page.getByLabel('Vorname').fill('Kim');
    await page.getByLabel('Nachname').fill('Neumann');
    await check(page, 'new-4-details');
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Verbindlich buchen' }).click();

    await page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor();
    expect(await focused(page)).toBe('h2:Ihr Termin ist gebucht');
    await expect.poll(() => page.getByText(/Rezept KG 6×: noch 5 von 6/).count()).toBe(1);
    await check(page, 'new-5-booked');

    const packages = await stack.rows(
      'SELECT p.name, p.origin FROM packages p JOIN clients c ON c.id = p.client_id WHERE c.email = ?',
      [email],
    );
    expect(packages).toEqual([{ name: 'Rezept KG 6×', origin: 'booking' }]);
    const booked = (await events(page)).find(([n]) => n === 'booked')![1];
    expect(Object.keys(booked).sort()).toEqual(['chain', 'id', 'start']);
    expect(booked.chain).toBe('physio-erstbefund');
    // The calendar file and the cancel link are the server's.
    expect(await page.getByRole('link', { name: 'In den Kalender' }).getAttribute('href')).toMatch(
      new RegExp(`^${stack.api}/api/v1/bookings/${booked.id}\\.ics\\?token=`),
    );
  });
});
