import { describe, expect, it } from 'vitest';
import { call, type DemoApp, demoApp } from '../helpers.ts';

async function chainsFor(d: DemoApp, email: string) {
  const res = await call(d.app, 'GET', '/api/v1/p/demo/chains', { token: await d.tokenFor(email) });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.chains.map((c: any) => [c.key, c]));
}

describe('what an identified client is offered, by the package rules of the demo practice', () => {
  it('offers follow-ups while the prescription has sessions left, with the remaining budget', async () => {
    const chains = await chainsFor(await demoApp(), 'lena.vogel@example.org');
    expect(chains['physio-folgetermin']).toMatchObject({
      offered: true,
      packages: [{ name: 'Rezept KG 6×', remaining: ['noch 2 von 6 Terminen', 'noch 2 von 6 × KG'] }],
    });
    expect(chains['physio-erstbefund']).toMatchObject({
      offered: false,
      reason: expect.stringMatching(/laufendes Paket/),
    });
    expect(chains['physio-abschluss'].offered).toBe(false);
  });

  it('offers the final check only once the prescription is used up, and no more follow-ups', async () => {
    const chains = await chainsFor(await demoApp(), 'tom.becker@example.org');
    expect(chains['physio-abschluss'].offered).toBe(true);
    expect(chains['physio-folgetermin']).toMatchObject({
      offered: false,
      reason: 'Ihr Paket ist aufgebraucht.',
    });
  });

  it('hides what an exclusion bars', async () => {
    const chains = await chainsFor(await demoApp(), 'sara.koch@example.org');
    expect(chains['hypnose-rauchfrei']).toMatchObject({
      offered: false,
      reason: expect.stringMatching(/nicht online gebucht/),
    });
    expect(chains.coaching).toMatchObject({
      offered: true,
      packages: [{ name: 'Coaching 6er', remaining: ['noch 3 von 6 Terminen'] }],
    });
  });

  it('offers a client without packages what an anonymous visitor gets, and says why not the rest', async () => {
    const d = await demoApp();
    const chains = await chainsFor(d, 'mia.schulz@example.org');
    const offered = Object.values(chains)
      .filter((c: any) => c.offered)
      .map((c: any) => c.key);
    expect(offered).toEqual(['physio-erstbefund', 'hypnose-rauchfrei', 'hp-erstgespraech']);
    expect(chains.coaching.reason).toBe('Für diese Leistung benötigen Sie ein passendes Paket.');
  });

  it('speaks English on request', async () => {
    const d = await demoApp();
    const res = await call(d.app, 'GET', '/api/v1/p/demo/chains?lang=en', {
      token: await d.tokenFor('tom.becker@example.org'),
    });
    const folge = res.body.chains.find((c: any) => c.key === 'physio-folgetermin');
    expect(folge.reason).toBe('Your package is used up.');
  });

  it('shows nothing of a file without its token', async () => {
    const d = await demoApp();
    const res = await call(d.app, 'GET', '/api/v1/p/demo/chains');
    expect(JSON.stringify(res.body)).not.toMatch(/"offered"|remaining|Rezept KG/);
  });

  it('refuses a token with 401 once it is tampered with', async () => {
    const d = await demoApp();
    const token = await d.tokenFor('lena.vogel@example.org');
    const res = await call(d.app, 'GET', '/api/v1/p/demo/chains', { token: `${token.slice(0, -2)}xx` });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });
});

describe('slots for an identified client', () => {
  it('offers follow-up slots only while the prescription is valid', async () => {
    const d = await demoApp();
    // Lena's prescription is valid through today+68 = 2027-02-03 (a Wednesday); mid-January
    // that is inside the booking window.
    d.setNow(Date.UTC(2027, 0, 15, 9));
    const res = await call(
      d.app,
      'GET',
      `/api/v1/p/demo/slots?chain=${await d.chainId('physio-folgetermin')}&from=2027-02-01&to=2027-02-05`,
      { token: await d.tokenFor('lena.vogel@example.org') },
    );
    expect(res.status).toBe(200);
    const withSlots = res.body.days.filter((day: any) => day.slots.length > 0).map((day: any) => day.date);
    expect(withSlots).toEqual(['2027-02-01', '2027-02-02', '2027-02-03']);
  });

  it('offers the final check to the client whose prescription is used up', async () => {
    const d = await demoApp();
    const res = await call(
      d.app,
      'GET',
      `/api/v1/p/demo/slots?chain=${await d.chainId('physio-abschluss')}&from=2026-11-30&to=2026-11-30`,
      { token: await d.tokenFor('tom.becker@example.org') },
    );
    expect(res.body.days[0].slots.length).toBeGreaterThan(0);
  });
});

describe('a package that becomes valid later', () => {
  it('already offers its follow-ups, as the slots do', async () => {
    const d = await demoApp();
    // Lena's prescription starts in four days instead.
    await d.exec(
      "UPDATE packages SET valid_from = ? WHERE name = 'Rezept KG 6×' AND client_id = (SELECT id FROM clients WHERE email = 'lena.vogel@example.org')",
      [Date.UTC(2026, 11, 1, 0)],
    );
    const chains = await chainsFor(d, 'lena.vogel@example.org');
    expect(chains['physio-folgetermin'].offered).toBe(true);
  });
});

/** The start times (HH:MM, local) of a chain's slots per date, as the client with `token` is offered them. */
async function slotsFor(d: DemoApp, chainKey: string, from: string, to: string, token: string) {
  const res = await call(
    d.app,
    'GET',
    `/api/v1/p/demo/slots?chain=${await d.chainId(chainKey)}&from=${from}&to=${to}`,
    { token },
  );
  expect(res.status).toBe(200);
  return Object.fromEntries(
    res.body.days.map((day: any) => [day.date, day.slots.map((s: any) => s.start.slice(11, 16))]),
  ) as Record<string, string[]>;
}

describe('the order inside a package, through the API', () => {
  it('offers the follow-ups of a prescription booked online only after its first visit has ended', async () => {
    const d = await demoApp();
    // A new client books the first visit for Tuesday 2026-12-01 10:00–10:50 (four days ahead);
    // that creates the prescription, valid from today.
    const booked = await call(d.app, 'POST', '/api/v1/p/demo/bookings', {
      token: d.verified('olga@example.org'),
      headers: { 'idempotency-key': 'order-1' },
      body: {
        chain: await d.chainId('physio-erstbefund'),
        start: '2026-12-01T10:00:00+01:00',
        client: { firstName: 'Olga', lastName: 'Ordnung', email: 'olga@example.org', consent: true },
      },
    });
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ packageCreated: true, end: '2026-12-01T09:50:00.000Z' });
    const olga = await d.tokenFor('olga@example.org');
    const slots = await slotsFor(d, 'physio-folgetermin', '2026-11-27', '2026-12-02', olga);
    // Before the first visit's day there is no follow-up, though the prescription is valid and
    // the therapists are free (today, Saturday with Mika, Monday).
    for (const date of ['2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30']) {
      expect({ date, slots: slots[date] }).toEqual({ date, slots: [] });
    }
    // On its day: none before it has ended (also none in the free morning before it), some after.
    const tuesday = slots['2026-12-01']!;
    expect(tuesday.length).toBeGreaterThan(0);
    expect(tuesday.every((t) => t >= '10:50')).toBe(true);
    expect(slots['2026-12-02']!.length).toBeGreaterThan(0);
  });
});

describe('a new prescription once the last one is used up', () => {
  it('offers Tom both a new first visit and the final check; the first visit creates a second prescription', async () => {
    const d = await demoApp();
    const chains = await chainsFor(d, 'tom.becker@example.org');
    expect(chains['physio-erstbefund'].offered).toBe(true);
    expect(chains['physio-abschluss'].offered).toBe(true);
    const tom = await d.tokenFor('tom.becker@example.org');
    const booked = await call(d.app, 'POST', '/api/v1/p/demo/bookings', {
      headers: { 'idempotency-key': 'tom-new-rx' },
      token: tom,
      body: { chain: await d.chainId('physio-erstbefund'), start: '2026-11-30T08:00:00+01:00' },
    });
    expect(booked.status).toBe(201);
    expect(booked.body.packageCreated).toBe(true);
    expect(booked.body.packages).toEqual([expect.objectContaining({ name: 'Rezept KG 6×', created: true })]);
    const tomId = (await d.client('tom.becker@example.org')).id;
    expect(
      await d.count("SELECT count(*) AS n FROM packages WHERE client_id = ? AND name = 'Rezept KG 6×'", [
        tomId,
      ]),
    ).toBe(2);
  });
});

describe('age limits over the booking window', () => {
  it('offers a chain from 18 to a client who turns 18 in a few days, with slots from the birthday on', async () => {
    const d = await demoApp();
    // Mia turns 18 on Wednesday 2026-12-02, five days from now.
    await d.exec('UPDATE clients SET birth_date = ? WHERE practice_id = ? AND email = ?', [
      '2008-12-02',
      d.practiceId,
      'mia.schulz@example.org',
    ]);
    const chains = await chainsFor(d, 'mia.schulz@example.org');
    expect(chains['hp-erstgespraech'].offered).toBe(true);
    const mia = await d.tokenFor('mia.schulz@example.org');
    const slots = await slotsFor(d, 'hp-erstgespraech', '2026-11-27', '2026-12-03', mia);
    // Jo works Tuesday to Friday: today and Tuesday the 1st are working days, but Mia is 17 then.
    for (const date of ['2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01']) {
      expect({ date, slots: slots[date] }).toEqual({ date, slots: [] });
    }
    expect(slots['2026-12-02']!.length).toBeGreaterThan(0);
    expect(slots['2026-12-03']!.length).toBeGreaterThan(0);
  });
});

describe('pointing from a chain not offered to one that is', () => {
  const runningPackage = 'Sie haben bereits ein laufendes Paket für diese Leistung.';

  it('tells Lena to book the follow-up instead of a first visit, while the follow-up is offered to her', async () => {
    const chains = await chainsFor(await demoApp(), 'lena.vogel@example.org');
    expect(chains['physio-folgetermin'].offered).toBe(true);
    expect(chains['physio-erstbefund'].reason).toBe(
      `${runningPackage} Buchen Sie stattdessen „Physiotherapie Folgetermin“.`,
    );
  });

  it('does not point to the follow-up once it is not offered (switched off for online booking)', async () => {
    const d = await demoApp();
    await d.exec(
      "UPDATE chains SET online_bookable = FALSE WHERE practice_id = ? AND key = 'physio-folgetermin'",
      [d.practiceId],
    );
    const chains = await chainsFor(d, 'lena.vogel@example.org');
    expect(chains['physio-folgetermin']).toBeUndefined();
    expect(chains['physio-erstbefund']).toMatchObject({ offered: false, reason: runningPackage });
  });
});
