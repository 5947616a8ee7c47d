import { describe, expect, it } from 'vitest';
import { call, demoApp } from '../helpers.ts';

async function chainsFor(d: ReturnType<typeof demoApp>, email: string) {
  const res = await call(d.app, 'GET', '/api/v1/p/demo/chains', { token: d.tokenFor(email) });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.chains.map((c: any) => [c.key, c]));
}

describe('what an identified client is offered, by the package rules of the demo practice', () => {
  it('offers follow-ups while the prescription has sessions left, with the remaining budget', async () => {
    const chains = await chainsFor(demoApp(), 'lena.vogel@example.org');
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
    const chains = await chainsFor(demoApp(), 'tom.becker@example.org');
    expect(chains['physio-abschluss'].offered).toBe(true);
    expect(chains['physio-folgetermin']).toMatchObject({
      offered: false,
      reason: 'Ihr Paket ist aufgebraucht.',
    });
  });

  it('hides what an exclusion bars', async () => {
    const chains = await chainsFor(demoApp(), 'sara.koch@example.org');
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
    const d = demoApp();
    const chains = await chainsFor(d, 'mia.schulz@example.org');
    const offered = Object.values(chains)
      .filter((c: any) => c.offered)
      .map((c: any) => c.key);
    expect(offered).toEqual(['physio-erstbefund', 'hypnose-rauchfrei', 'hp-erstgespraech']);
    expect(chains.coaching.reason).toBe('Für diese Leistung benötigen Sie ein passendes Paket.');
  });

  it('speaks English on request', async () => {
    const d = demoApp();
    const res = await call(d.app, 'GET', '/api/v1/p/demo/chains?lang=en', {
      token: d.tokenFor('tom.becker@example.org'),
    });
    const folge = res.body.chains.find((c: any) => c.key === 'physio-folgetermin');
    expect(folge.reason).toBe('Your package is used up.');
  });

  it('shows nothing of a file without its token', async () => {
    const d = demoApp();
    const res = await call(d.app, 'GET', '/api/v1/p/demo/chains');
    expect(JSON.stringify(res.body)).not.toMatch(/"offered"|remaining|Rezept KG/);
  });

  it('refuses a token with 401 once it is tampered with', async () => {
    const d = demoApp();
    const token = d.tokenFor('lena.vogel@example.org');
    const res = await call(d.app, 'GET', '/api/v1/p/demo/chains', { token: `${token.slice(0, -2)}xx` });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });
});

describe('slots for an identified client', () => {
  it('offers follow-up slots only while the prescription is valid', async () => {
    const d = demoApp();
    // Lena's prescription is valid through today+68 = 2027-02-03 (a Wednesday); mid-January
    // that is inside the booking window.
    d.setNow(Date.UTC(2027, 0, 15, 9));
    const res = await call(
      d.app,
      'GET',
      `/api/v1/p/demo/slots?chain=${d.chainId('physio-folgetermin')}&from=2027-02-01&to=2027-02-05`,
      { token: d.tokenFor('lena.vogel@example.org') },
    );
    expect(res.status).toBe(200);
    const withSlots = res.body.days.filter((day: any) => day.slots.length > 0).map((day: any) => day.date);
    expect(withSlots).toEqual(['2027-02-01', '2027-02-02', '2027-02-03']);
  });

  it('offers the final check to the client whose prescription is used up', async () => {
    const d = demoApp();
    const res = await call(
      d.app,
      'GET',
      `/api/v1/p/demo/slots?chain=${d.chainId('physio-abschluss')}&from=2026-11-30&to=2026-11-30`,
      { token: d.tokenFor('tom.becker@example.org') },
    );
    expect(res.body.days[0].slots.length).toBeGreaterThan(0);
  });
});

describe('a package that becomes valid later', () => {
  it('already offers its follow-ups, as the slots do', async () => {
    const d = demoApp();
    // Lena's prescription starts in four days instead.
    d.db.$client
      .prepare(
        "UPDATE packages SET valid_from = ? WHERE name = 'Rezept KG 6×' AND client_id = (SELECT id FROM clients WHERE email = 'lena.vogel@example.org')",
      )
      .run(Date.UTC(2026, 11, 1, 0));
    const chains = await chainsFor(d, 'lena.vogel@example.org');
    expect(chains['physio-folgetermin'].offered).toBe(true);
  });
});
