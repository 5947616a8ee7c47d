/**
 * The widget as a practice embeds it: by keyboard alone, two on one page, as a button with a
 * dialog, on a hostile page under a strict Content-Security-Policy, in English, and for a visitor
 * in another time zone. axe-core at each step.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { check, describeBrowser, launch, newPage, type Stack, sitePage, startStack } from './harness.ts';

describeBrowser('embedding the widget', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** Where the keyboard is: tag and text of the focused element, through shadow roots. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      let el = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      const label = el?.getAttribute('aria-label') ?? el?.textContent ?? '';
      return `${el?.tagName.toLowerCase()} ${(el as HTMLInputElement | null)?.type ?? ''} ${label.trim()}`;
    });
  /** Presses Tab until the focused element matches (at most 60 times). */
  const tabTo = async (page: Page, match: RegExp) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (match.test(await focused(page))) return;
    }
    throw new Error(`Tab never reached ${match}; last: ${await focused(page)}`);
  };

  it('books a whole appointment by keyboard alone', async () => {
    const page = await newPage(browser);
    await page.goto(stack.page(sitePage(stack, 'practice="demo"')));
    await page.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
    await tabTo(page, /^button button Physiotherapie Erstbefund/);
    await check(page, 'keyboard-1-chain-focused');
    await page.keyboard.press('Enter');
    await page.locator('.sl button').first().waitFor();
    expect(await focused(page)).toMatch(/^h2 /);
    // Late in the day, today may have one time left: then a day with two or more, by keyboard too
    // (the week is one tab stop, the chosen day; the arrow keys go on to the next day with times).
    if ((await page.locator('.sl button').count()) < 2) {
      await tabTo(page, /^button button .*, \d+ freie Termine$/);
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => page.locator('.sl button').count()).toBeGreaterThan(1);
    }
    await tabTo(page, /^button button \w+, \d+\. \w+ \d{4}, \d\d:\d\d Uhr/);
    // The second time of the day (the first may be at the edge of the practice's notice).
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^button button \w+, \d+\. \w+ \d{4}, \d\d:\d\d Uhr/);
    await check(page, 'keyboard-2-time-focused');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    // The focus is on the new step's heading as soon as the step is there (not a frame later, when
    // it would take the focus from the field being typed into).
    expect(await focused(page)).toMatch(/^h2 +Ihre Angaben$/);
    await tabTo(page, /^input email/);
    const email = 'nur.tastatur@example.org';
    await page.keyboard.type(email);
    // (Once, under a loaded full run, the code field did not come: this says whether the address
    // was typed where it belongs, and the screenshot shows the step.)
    expect(await focused(page)).toMatch(/^input email/);
    expect(
      await page.evaluate(() => {
        let el = document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return (el as HTMLInputElement | null)?.value;
      }),
    ).toBe(email);
    await check(page, 'keyboard-2b-email-typed');
    await page.keyboard.press('Enter');
    await page.getByLabel('Code aus der E-Mail').waitFor();
    await tabTo(page, /^input text/);
    await page.keyboard.type(await stack.codeFor(email));
    await check(page, 'keyboard-3-code');
    await page.keyboard.press('Enter');
    await page.getByLabel('Vorname').waitFor();
    // Focus goes on to the first field of the next part.
    await expect.poll(() => focused(page)).toMatch(/^input text/);
    await page.keyboard.type('Tara');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Taste');
    await tabTo(page, /^input checkbox/);
    await page.keyboard.press('Space');
    await check(page, 'keyboard-4-details');
    await tabTo(page, /^button submit Verbindlich buchen/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Ihr Termin ist gebucht' }).waitFor();
    await check(page, 'keyboard-5-booked');
    expect(await stack.rows('SELECT first_name FROM clients WHERE email = ?', [email])).toEqual([
      { first_name: 'Tara' },
    ]);
  });

  it('the week is one tab stop: the arrow keys, Home and End choose a day, Page Down and Up change the week', async () => {
    const page = await newPage(browser);
    await page.goto(stack.page(sitePage(stack, 'practice="demo"')));
    await page.getByRole('button', { name: /^Physiotherapie Erstbefund/ }).click();
    await page.locator('.sl button').first().waitFor();
    const open = page.locator('.dy button:not([disabled])');
    const pressed = () => page.locator('.dy button[aria-pressed="true"] .sr').textContent();
    const days = await open.locator('.sr').allTextContents();
    expect(days.length).toBeGreaterThan(1);
    // Only the chosen day is in the tab order.
    expect(await page.locator('.dy button[tabindex="0"]').count()).toBe(1);
    await tabTo(page, /^button button .*, \d+ freie Termine$/);
    expect(await focused(page)).toContain(days[0]);
    await page.keyboard.press('ArrowRight');
    await expect.poll(pressed).toBe(days[1]);
    expect(await focused(page)).toContain(days[1]);
    // The times shown are the chosen day's.
    const dateOf = (day: string | undefined) => day?.replace(/, \d+ freie Termine$/, '');
    await expect.poll(() => page.locator('section h3').textContent()).toBe(dateOf(days[1]));
    await page.keyboard.press('End');
    await expect.poll(pressed).toBe(days.at(-1));
    await page.keyboard.press('Home');
    await expect.poll(pressed).toBe(days[0]);
    expect(await focused(page)).toContain(days[0]);
    // Page Down: the next week, the keyboard on its chosen day; Page Up: back.
    const legend = () => page.locator('.dy legend').textContent();
    const thisWeek = await legend();
    await page.keyboard.press('PageDown');
    await expect.poll(legend).not.toBe(thisWeek);
    // Once the new week's days are there, the keyboard is on its chosen day.
    await expect
      .poll(async () => {
        const day = await pressed();
        return day !== null && !days.includes(day) && (await focused(page)).includes(day);
      })
      .toBe(true);
    await page.keyboard.press('PageUp');
    await expect.poll(legend).toBe(thisWeek);
    await check(page, 'keyboard-week');
  });

  it('a page that changes an attribute later (language, chain) gets the widget started anew', async () => {
    const page = await newPage(browser);
    await page.goto(stack.page(sitePage(stack, 'practice="demo" id="w"')));
    const widget = page.locator('#w');
    await widget.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
    await page.evaluate('document.getElementById("w").setAttribute("lang", "en")');
    await widget.getByRole('heading', { name: 'Choose a service' }).waitFor();
    await page.evaluate('document.getElementById("w").setAttribute("chain", "hypnose-rauchfrei")');
    await widget.getByRole('heading', { name: 'Hypnose Raucherentwöhnung' }).waitFor();
    await widget.locator('.sl button').first().waitFor();
    expect(await widget.getByRole('button', { name: 'Next week →' }).count()).toBe(1);
    await check(page, 'attributes-changed');
  });

  it('two widgets on one page keep their own state', async () => {
    const page = await newPage(browser);
    await page.goto(
      stack.page(
        sitePage(
          stack,
          'practice="demo" id="one"',
          '<terminkette-booking practice="demo" lang="en" id="two"></terminkette-booking>',
        ),
      ),
    );
    const one = page.locator('#one');
    const two = page.locator('#two');
    await one.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
    await two.getByRole('heading', { name: 'Choose a service' }).waitFor();
    await one.getByRole('button', { name: /^Hypnose Raucherentwöhnung/ }).click();
    await one.getByRole('heading', { name: 'Hypnose Raucherentwöhnung' }).waitFor();
    // The other one has not moved.
    expect(await two.getByRole('heading', { name: 'Choose a service' }).count()).toBe(1);
    await two.getByRole('button', { name: /^Physiotherapie Erstbefund/ }).click();
    await two.getByRole('heading', { name: 'Physiotherapie Erstbefund' }).waitFor();
    expect(await one.getByRole('heading', { name: 'Hypnose Raucherentwöhnung' }).count()).toBe(1);
    await check(page, 'two-widgets');
  });

  it('mode="button" opens the widget in a dialog, keeps focus inside and returns it on close', async () => {
    const page = await newPage(browser);
    await page.goto(
      stack.page(sitePage(stack, 'practice="demo" mode="button"', '<a href="#">Impressum</a>')),
    );
    const opener = page.getByRole('button', { name: 'Termin buchen' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'Termin buchen' });
    await dialog.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
    await check(page, 'dialog-open');
    // Tab goes through the dialog only (past its end, to the browser's own controls at most):
    // the page behind it is never reached.
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const host = document.activeElement;
        if (host === document.body || host === null) return 'browser';
        return host.tagName === 'TERMINKETTE-BOOKING' && host.shadowRoot?.activeElement?.closest('dialog')
          ? 'dialog'
          : `page: ${host.outerHTML.slice(0, 60)}`;
      });
      expect(where).toMatch(/^(dialog|browser)$/);
    }
    // The steps inside the dialog.
    await dialog.getByRole('button', { name: /^Physiotherapie Erstbefund/ }).click();
    await dialog.locator('.sl button').first().waitFor();
    await check(page, 'dialog-times');
    await dialog.locator('.sl button').nth(1).click();
    await dialog.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    await check(page, 'dialog-details');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await focused(page)).toMatch(/^button button Termin buchen/);
  });

  it('a hostile host page and a strict CSP do not break it', async () => {
    const nonce = 'n0nce4widget';
    const page = await newPage(browser);
    const hostile = `<style nonce="${nonce}">* { all: unset !important; } button { display: none !important; } terminkette-booking { display: none; color: red; font-size: 4px; }</style>`;
    const csp = `default-src 'self'; script-src 'self' ${stack.api}; style-src 'self' 'nonce-${nonce}'; connect-src ${stack.api}`;
    const errors: string[] = [];
    // axe tries an inline style, which the policy refuses: what comes while it runs is its own.
    let axe = false;
    page.on('console', (m) => !axe && m.type() === 'error' && errors.push(m.text()));
    const checkHere = async (step: string) => {
      axe = true;
      await check(page, step);
      await page.evaluate(() => new Promise((done) => setTimeout(done, 100)));
      axe = false;
    };
    await page.goto(stack.page(sitePage(stack, `practice="demo" nonce="${nonce}"`, '', hostile), csp));
    const chain = page.getByRole('button', { name: /^Physiotherapie Erstbefund/ });
    await chain.waitFor();
    expect(await chain.isVisible()).toBe(true);
    // Its own look: a readable font size, its accent colour on the buttons.
    const style = await chain.evaluate((b) => {
      const s = getComputedStyle(b);
      return { size: Number.parseFloat(s.fontSize), display: s.display };
    });
    expect(style.size).toBeGreaterThanOrEqual(14);
    expect(style.display).not.toBe('none');
    await checkHere('hostile-1-chains');
    await chain.click();
    await page.locator('.sl button').first().waitFor();
    await checkHere('hostile-2-times');
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    await checkHere('hostile-3-details');
    expect(errors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
  });

  it('takes the look the page gives it through the documented custom properties', async () => {
    const page = await newPage(browser);
    const theme =
      '<style>terminkette-booking { --tk-accent: #8a1538; --tk-font: Georgia, serif; --tk-radius: 0px; --tk-space: 2rem; }</style>';
    await page.goto(stack.page(sitePage(stack, 'practice="demo"', '', theme)));
    const chain = page.getByRole('button', { name: /^Physiotherapie Erstbefund/ });
    await chain.waitFor();
    expect(
      await chain.evaluate((b) => {
        const s = getComputedStyle(b);
        const h2 = getComputedStyle((b.getRootNode() as ShadowRoot).querySelector('h2')!);
        return [s.color, s.borderTopLeftRadius, s.fontFamily, h2.marginTop];
      }),
    ).toEqual(['rgb(138, 21, 56)', '0px', 'Georgia, serif', '32px']);
    await check(page, 'themed');
  });

  it('speaks English with lang="en", and tells a visitor in another time zone whose times they see', async () => {
    const [anna] = await stack.rows<{ id: number }>("SELECT id FROM therapists WHERE name = 'Anna Berg'");
    const page = await newPage(browser, { locale: 'en-US', timezoneId: 'America/New_York' });
    const answer = page.waitForResponse((r) => r.url().includes('/starts?'));
    await page.goto(
      stack.page(
        sitePage(stack, `practice="demo" lang="en" chain="physio-erstbefund" therapist="${anna!.id}"`),
      ),
    );
    const { days } = (await (await answer).json()) as {
      days: { date: string; starts: [number, string][] }[];
    };
    await page.getByRole('heading', { name: 'Physiotherapie Erstbefund' }).waitFor();
    const first = page.locator('.sl button').first();
    await first.waitFor();
    expect(await page.getByText('All times in the practice’s time zone (Europe/Berlin).').count()).toBe(1);
    const name = (await first.getAttribute('aria-label'))!;
    expect(name).toMatch(/^\w+, \d{1,2} \w+ 20\d\d, \d\d:\d\d, 50 minutes, with Anna Berg$/);
    // The `therapist` attribute chose the filter.
    expect(await page.getByLabel('Therapist').inputValue()).toBe(String(anna!.id));
    // The practice's wall clock, not New York's: the first start the server gave, as read in Berlin.
    // The day the widget chose (the week's first with times: a Tuesday morning of the tests' clock).
    const shown = await page
      .locator('.dy button')
      .evaluateAll((b) => b.findIndex((x) => x.getAttribute('aria-pressed') === 'true'));
    const starts = days[shown]!.starts.map(([m]) => m * 60_000);
    expect(starts.length).toBeGreaterThan(1);
    const at = (timeZone: string, ms = starts[0]) =>
      new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' }).format(ms);
    expect(await first.textContent()).toBe(at('Europe/Berlin'));
    expect(at('Europe/Berlin')).not.toBe(at('America/New_York'));
    await check(page, 'english-other-zone-1-times');
    // The same note where the chosen time is shown again.
    await page.locator('.sl button').nth(1).click();
    await page.getByRole('heading', { name: 'Your details' }).waitFor();
    expect(await page.getByText('All times in the practice’s time zone (Europe/Berlin).').count()).toBe(1);
    await check(page, 'english-other-zone-2-details');
    // The whole booking in English.
    const email = 'in.english@example.org';
    await page.getByLabel('E-mail address').fill(email);
    await page.getByRole('button', { name: 'Send me a code by e-mail' }).click();
    await page.getByLabel('Code from the e-mail').fill(await stack.codeFor(email));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByLabel('First name').fill('Eve');
    await page.getByLabel('Last name').fill('English');
    await page.getByRole('checkbox', { name: /privacy notice/ }).check();
    await check(page, 'english-other-zone-3-names');
    await page.getByRole('button', { name: 'Book now' }).click();
    await page.getByRole('heading', { name: 'Your appointment is booked' }).waitFor();
    expect(await page.locator('.su').textContent()).toContain(
      `${at('Europe/Berlin', starts[1])}, 50 minutes, with Anna Berg`,
    );
    expect(await page.getByRole('link', { name: 'Add to calendar' }).count()).toBe(1);
    // Tomorrow's time is past the online cancel deadline (24 h before) already.
    expect(
      await page
        .getByText(
          /Cancel online until \w+, \d+ \w+ \d{4}, \d\d:\d\d\.|From now on, cancel through the practice\./,
        )
        .count(),
    ).toBe(1);
    await check(page, 'english-other-zone-4-booked');
  });

  for (const [what, viewport, scale] of [
    ['a 320 px wide screen', { width: 320, height: 640 }, 1],
    ['1280 px at 200 % zoom (640 CSS px)', { width: 640, height: 450 }, 2],
  ] as const) {
    it(`on ${what}: nothing scrolls sideways at any step, and the focus is always visible`, async () => {
      const page = await newPage(browser, { viewport, deviceScaleFactor: scale });
      await page.goto(stack.page(sitePage(stack, 'practice="demo"')));
      const step = `${viewport.width}px`;
      /** Wider than the screen: the page, and every element of the widget that overflows its own box. */
      const sideways = () =>
        page.evaluate(() => {
          const root = document.querySelector('terminkette-booking')!.shadowRoot!;
          const over = [...root.querySelectorAll<HTMLElement>('*')]
            .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent?.slice(0, 30)}`);
          return { page: document.documentElement.scrollWidth - document.documentElement.clientWidth, over };
        });
      const ring = () =>
        page.evaluate(() => {
          let el = document.activeElement;
          while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
          const s = getComputedStyle(el!);
          return `${s.outlineStyle} ${Number.parseFloat(s.outlineWidth) >= 2}`;
        });
      await page.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
      expect(await sideways()).toEqual({ page: 0, over: [] });
      await tabTo(page, /^button button Physiotherapie Erstbefund/);
      expect(await ring()).toBe('solid true');
      await check(page, `narrow-${step}-1-chains`);
      await page.keyboard.press('Enter');
      await page.locator('.sl button').first().waitFor();
      expect(await sideways()).toEqual({ page: 0, over: [] });
      await tabTo(page, /^button button .*, \d+ freie Termine$/);
      expect(await ring()).toBe('solid true');
      await check(page, `narrow-${step}-2-times`);
      await page.getByRole('button', { name: 'Liste' }).click();
      await page.locator('.ls button').first().waitFor();
      expect(await sideways()).toEqual({ page: 0, over: [] });
      await page.locator('.ls button').nth(1).click();
      await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
      expect(await sideways()).toEqual({ page: 0, over: [] });
      await tabTo(page, /^input email/);
      expect(await ring()).toBe('solid true');
      await check(page, `narrow-${step}-3-details`);
    });
  }

  it("leaves the focus and the scroll to the page when the page names the chain, and moves it at the client's first step", async () => {
    const page = await newPage(browser);
    // Below the fold, as on a practice's page with text above the booking.
    await page.goto(
      stack.page(
        sitePage(stack, 'practice="demo" chain="physio-erstbefund"', '<div style="height: 2000px"></div>'),
      ),
    );
    await page.locator('.sl button').first().waitFor();
    expect(await focused(page)).toMatch(/^body /);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    // The client's own step moves the focus to what changed, as everywhere.
    await page.locator('.sl button').first().click();
    await page.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
    expect(await focused(page)).toMatch(/^h2 +Ihre Angaben$/);
  });

  it('moves nothing for a visitor who asks for reduced motion, also what a later style would animate', async () => {
    /** How many of the widget's elements move, with a transition and a smooth scroll added to it. */
    const moving = async (reducedMotion: 'reduce' | 'no-preference') => {
      const page = await newPage(browser, { reducedMotion });
      await page.goto(stack.page(sitePage(stack, 'practice="demo" chain="physio-erstbefund"')));
      await page.locator('.sl button').first().waitFor();
      return page.evaluate(() => {
        const root = document.querySelector('terminkette-booking')!.shadowRoot!;
        const more = new CSSStyleSheet();
        more.replaceSync('button { transition: color 1s; } .r { scroll-behavior: smooth; }');
        root.adoptedStyleSheets = [...root.adoptedStyleSheets, more];
        return [...root.querySelectorAll('*')]
          .map((el) => getComputedStyle(el))
          .filter(
            (s) =>
              s.animationName !== 'none' ||
              s.transitionDuration.split(',').some((d) => Number.parseFloat(d) > 0) ||
              s.scrollBehavior === 'smooth',
          ).length;
      });
    };
    expect(await moving('no-preference')).toBeGreaterThan(0);
    expect(await moving('reduce')).toBe(0);
  });

  it('says so in its own words when the server cannot be reached', async () => {
    const page = await newPage(browser);
    await page.route('**/api/v1/p/demo/starts**', (route) => route.abort('connectionrefused'));
    await page.goto(stack.page(sitePage(stack, 'practice="demo" chain="physio-erstbefund"')));
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('Keine Verbindung zum Server. Bitte versuchen Sie es noch einmal.');
    await check(page, 'offline');
  });
});
