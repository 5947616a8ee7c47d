import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { importPractice } from '../../server/practice/import.ts';
import { StartsResponse } from '../../server/routes/contract.ts';
import { allWeekPracticeDoc, demoApp, exec, freshStore, NOW, row, testConfig } from '../helpers.ts';

async function get(app: ReturnType<typeof createApp>, url: string) {
  const res = await app.request(url);
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
}

/** A practice open every day 08:00–18:00, booking far ahead, for the clock-change days; with its one chain. */
async function allWeekPractice() {
  const store = await freshStore();
  const { practiceId } = await importPractice(store, allWeekPracticeDoc(), { now: NOW });
  const chain = (await row<{ id: number }>(store, 'SELECT id FROM chains WHERE practice_id = ?', [
    practiceId,
  ]))!.id;
  return { app: createApp({ store, clock: () => NOW, config: testConfig }), chain };
}

describe('GET /api/v1/p/:practice/chains', () => {
  it('offers an anonymous visitor the chains whose rules admit a file without packages', async () => {
    const { app } = await demoApp();
    const { status, body } = await get(app, '/api/v1/p/demo/chains');
    expect(status).toBe(200);
    expect(body.practice).toEqual({
      slug: 'demo',
      name: 'Praxis am Lindenhof (Demo)',
      timeZone: 'Europe/Berlin',
      privacyNoticeUrl: 'https://lindenhof.example/datenschutz',
    });
    expect(body.chains.map((c: any) => c.key)).toEqual([
      'physio-erstbefund',
      'hypnose-rauchfrei',
      'hp-erstgespraech',
    ]);
  });

  it('gives each chain its duration, price and whether a birth date is needed', async () => {
    const { app } = await demoApp();
    const { body } = await get(app, '/api/v1/p/demo/chains');
    const erst = body.chains.find((c: any) => c.key === 'physio-erstbefund');
    expect(erst).toMatchObject({ durationMinutes: 50, priceCents: 6800, needsBirthDate: false });
    expect(body.chains.find((c: any) => c.key === 'hp-erstgespraech').needsBirthDate).toBe(true);
  });

  it('names the therapists who give each chain, for the widget’s therapist filter', async () => {
    const { app } = await demoApp();
    const { body } = await get(app, '/api/v1/p/demo/chains');
    const names = (key: string) =>
      body.chains.find((c: any) => c.key === key).therapists.map((t: any) => t.name);
    expect(names('physio-erstbefund')).toContain('Anna Berg');
    expect(names('physio-erstbefund').length).toBeGreaterThan(1);
    for (const chain of body.chains) {
      for (const t of chain.therapists)
        expect(t).toEqual({ id: expect.any(Number), name: expect.any(String) });
    }
  });

  it('does not offer chains with package rules on a plan below L', async () => {
    const { app, exec } = await demoApp();
    await exec("UPDATE practices SET plan = 'M'");
    const { body } = await get(app, '/api/v1/p/demo/chains');
    expect(body.chains.map((c: any) => c.key)).toEqual(['hp-erstgespraech']);
  });

  it('answers 404 practice_not_found for an unknown practice and 403 when online booking is off', async () => {
    const { app, exec } = await demoApp();
    expect((await get(app, '/api/v1/p/nobody/chains')).body.code).toBe('practice_not_found');
    await exec('UPDATE practices SET online_booking_enabled = FALSE');
    const off = await get(app, '/api/v1/p/demo/chains');
    expect(off.status).toBe(403);
    expect(off.type).toBe('application/problem+json');
    expect(off.body.code).toBe('online_booking_disabled');
  });
});

describe('GET /api/v1/p/:practice/slots', () => {
  it('lists slots by local date with offsets and therapists, and every date of the range', async () => {
    const { app, chainId } = await demoApp();
    // Monday 2026-11-30 to Sunday 2026-12-06.
    const { status, body } = await get(
      app,
      `/api/v1/p/demo/slots?chain=${await chainId('physio-erstbefund')}&from=2026-11-30&to=2026-12-06`,
    );
    expect(status).toBe(200);
    expect(body.days.map((d: any) => d.date)).toEqual([
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-05',
      '2026-12-06',
    ]);
    const monday = body.days[0].slots;
    expect(monday[0]).toEqual({
      start: '2026-11-30T08:00:00+01:00',
      end: '2026-11-30T08:50:00+01:00',
      therapist: { id: expect.any(Number), name: 'Anna Berg' },
    });
    // Sunday: nobody works.
    expect(body.days[6].slots).toEqual([]);
  });

  it('gives the same starts in the compact form of /starts: each start once, [epoch minute, therapists as hex bits]', async () => {
    const { app, chainId } = await demoApp();
    const q = `chain=${await chainId('physio-erstbefund')}&from=2026-11-30&to=2026-12-06`;
    const full = await get(app, `/api/v1/p/demo/slots?${q}`);
    const compact = await get(app, `/api/v1/p/demo/starts?${q}`);
    expect(compact.status).toBe(200);
    expect(StartsResponse.parse(compact.body)).toEqual(compact.body);
    expect(compact.body.timeZone).toBe('Europe/Berlin');
    expect(compact.body.durationMinutes).toBe(50);
    const therapists: { id: number; name: string }[] = compact.body.therapists;
    expect(therapists.map((t) => t.name)).toEqual(['Anna Berg', 'Mika Sommer']);
    expect(compact.body.days.map((d: any) => d.date)).toEqual(full.body.days.map((d: any) => d.date));
    const expanded = compact.body.days.map((d: any) =>
      d.starts.flatMap(([minute, bits]: [number, string]) =>
        therapists
          .filter((_, i) => (BigInt(`0x${bits}`) >> BigInt(i)) & 1n)
          .map((t) => ({ start: new Date(minute * 60_000).toISOString(), therapist: t })),
      ),
    );
    // Both on Monday at 09:00 (Mika from 09:00): one start, both bits; Anna alone at 08:00.
    const monday = compact.body.days[0].starts;
    expect(monday).toContainEqual([Date.parse('2026-11-30T08:00:00Z') / 60_000, '3']);
    expect(monday).toContainEqual([Date.parse('2026-11-30T07:00:00Z') / 60_000, '1']);
    expect(expanded).toEqual(
      full.body.days.map((d: any) =>
        d.slots.map((s: any) => ({ start: new Date(s.start).toISOString(), therapist: s.therapist })),
      ),
    );
    // A fifth of the size or less.
    expect(JSON.stringify(compact.body).length * 5).toBeLessThan(JSON.stringify(full.body).length);
  });

  it("no longer answers at /times, the widget's earlier form (deprecated since 2026-12-01, past the day its cached copies may live)", async () => {
    const { app, chainId } = await demoApp();
    const q = `chain=${await chainId('physio-erstbefund')}&from=2026-11-30&to=2026-12-06`;
    const times = await get(app, `/api/v1/p/demo/times?${q}`);
    expect(times.status).toBe(404);
    expect(times.body.code).toBe('not_found');
  });

  it('leaves out a therapist on a closed day', async () => {
    const { app, chainId } = await demoApp();
    // The demo closes Anna on today+7 (2026-12-04, a Friday).
    const { body } = await get(
      app,
      `/api/v1/p/demo/slots?chain=${await chainId('physio-abschluss')}&from=2026-12-04&to=2026-12-04`,
    );
    expect(body.code).toBe('chain_not_offered');
    const erst = await get(
      app,
      `/api/v1/p/demo/slots?chain=${await chainId('physio-erstbefund')}&from=2026-12-04&to=2026-12-04`,
    );
    expect(erst.body.days[0].slots.filter((s: any) => s.therapist.name === 'Anna Berg')).toEqual([]);
  });

  it('filters by therapist and by time of day', async () => {
    const { app, chainId, therapistId } = await demoApp();
    const anna = await therapistId('Anna Berg');
    const url = `/api/v1/p/demo/slots?chain=${await chainId('physio-erstbefund')}&from=2026-11-30&to=2026-11-30`;
    const afternoon = await get(app, `${url}&daypart=afternoon&therapist=${anna}`);
    const starts = afternoon.body.days[0].slots.map((s: any) => s.start.slice(11, 16));
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.every((t: string) => t >= '12:00' && t < '17:00')).toBe(true);
    expect(afternoon.body.days[0].slots.every((s: any) => s.therapist.id === anna)).toBe(true);
  });

  it('keeps wall-clock hours 08:00–18:00 on both clock-change days', async () => {
    const { app, chain } = await allWeekPractice();
    for (const [date, offset] of [
      ['2027-03-28', '+02:00'],
      ['2027-10-31', '+01:00'],
    ] as const) {
      const { body } = await get(app, `/api/v1/p/always/slots?chain=${chain}&from=${date}&to=${date}`);
      const starts = body.days[0].slots.map((s: any) => s.start);
      expect(starts).toHaveLength(10);
      expect(starts[0]).toBe(`${date}T08:00:00${offset}`);
      expect(starts[9]).toBe(`${date}T17:00:00${offset}`);
    }
  });

  it.each([
    ['an unknown chain', 'chain=UNKNOWN&from=2026-11-30&to=2026-11-30', 404, 'chain_not_found'],
    ['reversed dates', 'chain=ERST&from=2026-12-02&to=2026-11-30', 400, 'invalid_range'],
    ['a range over 62 days', 'chain=ERST&from=2026-12-01&to=2027-02-01', 400, 'range_too_long'],
    ['a malformed date', 'chain=ERST&from=2026-02-30&to=2026-03-01', 400, 'invalid_request'],
    ['a chain that is not a number', 'chain=abc&from=2026-12-01&to=2026-12-01', 400, 'invalid_request'],
    ['an unknown parameter', 'chain=ERST&from=2026-12-01&to=2026-12-01&sort=asc', 400, 'invalid_request'],
    ['a missing parameter', 'chain=ERST&from=2026-12-01', 400, 'invalid_request'],
    [
      'an unknown time of day',
      'chain=ERST&from=2026-12-01&to=2026-12-01&daypart=night',
      400,
      'invalid_request',
    ],
  ])('answers %s with %i %s as problem+json', async (_what, query, status, code) => {
    // ERST: the demo's first-visit chain; UNKNOWN: an id no practice's chain has.
    const { app, chainId, row } = await demoApp();
    const unknown = (await row<{ id: number }>('SELECT max(id) + 1 AS id FROM chains'))!.id;
    const q = query
      .replace('UNKNOWN', String(unknown))
      .replace('ERST', String(await chainId('physio-erstbefund')));
    const res = await get(app, `/api/v1/p/demo/slots?${q}`);
    expect(res.status).toBe(status);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.code).toBe(code);
  });

  it('accepts exactly 62 days', async () => {
    const { app, chainId } = await demoApp();
    const res = await get(
      app,
      `/api/v1/p/demo/slots?chain=${await chainId('physio-erstbefund')}&from=2026-12-01&to=2027-01-31`,
    );
    expect(res.status).toBe(200);
    expect(res.body.days).toHaveLength(62);
  });

  it('refuses a chain that is not online-bookable', async () => {
    const { app, chainId } = await demoApp();
    const res = await get(
      app,
      `/api/v1/p/demo/slots?chain=${await chainId('kg-hausbesuch')}&from=2026-12-01&to=2026-12-01`,
    );
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('chain_not_bookable');
  });

  it("refuses another practice's chain as unknown", async () => {
    const { app, store, row } = await demoApp();
    const other = await importPractice(
      store,
      {
        practice: { slug: 'other', name: 'Other', plan: 'S' },
        therapists: [{ key: 'a', name: 'A' }],
        services: [{ code: 'X', name: 'X', priceCents: 1, durationMinutes: 30 }],
        chains: [{ key: 'x', name: 'X', lines: [{ code: 'X' }], therapists: ['a'] }],
      },
      { now: NOW },
    );
    const otherChain = (await row<{ id: number }>('SELECT id FROM chains WHERE practice_id = ?', [
      other.practiceId,
    ]))!.id;
    const res = await get(app, `/api/v1/p/demo/slots?chain=${otherChain}&from=2026-12-01&to=2026-12-01`);
    expect(res.body.code).toBe('chain_not_found');
  });
});

describe('a room in use is not offered, whoever uses it', () => {
  /**
   * One room; therapists A, B and C work every day 08:00–18:00, on a 60-minute grid; chain `ab`
   * (A and B) and chain `all` (all three) need the room. C's and B's appointments below are in it.
   */
  async function oneRoom() {
    const store = await freshStore();
    const doc = allWeekPracticeDoc() as Record<string, any>;
    const hours = doc.therapists[0].hours;
    doc.therapists = ['a', 'b', 'c'].map((key) => ({ key, name: key.toUpperCase(), hours }));
    doc.rooms = [{ key: 'r', name: 'Raum' }];
    doc.clients = [{ key: 'k', firstName: 'Kim', lastName: 'Klient' }];
    doc.chains = [
      { key: 'ab', name: 'AB', lines: [{ code: 'X' }], therapists: ['a', 'b'], needsRoom: true },
      { key: 'all', name: 'Alle', lines: [{ code: 'X' }], therapists: ['a', 'b', 'c'], needsRoom: true },
    ];
    const { practiceId } = await importPractice(store, doc, { now: NOW });
    const app = createApp({ store, clock: () => NOW, config: testConfig });
    const id = async (sql: string) => (await row<{ id: number }>(store, sql, [practiceId]))!.id;
    const therapist = (key: string) =>
      id(`SELECT id FROM therapists WHERE practice_id = ? AND key = '${key}'`);
    const chain = (key: string) => id(`SELECT id FROM chains WHERE practice_id = ? AND key = '${key}'`);
    const room = await id('SELECT id FROM rooms WHERE practice_id = ?');
    const client = await id('SELECT id FROM clients WHERE practice_id = ?');
    /** An appointment in the room, 60 minutes from `start` (UTC ISO). */
    const inRoom = async (who: number, start: string) => {
      const at = Date.parse(start);
      await exec(
        store,
        `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, starts_at, ends_at, blocked_until, status, source, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'booked', 'staff', ?)`,
        [practiceId, client, who, room, at, at + 3_600_000, at + 3_600_000, NOW],
      );
    };
    /** The UTC hours offered on Wednesday 2026-12-02 (Berlin is UTC+1). */
    const hoursOffered = async (query: string) => {
      const { status, body } = await get(
        app,
        `/api/v1/p/always/starts?${query}&from=2026-12-02&to=2026-12-02`,
      );
      expect(status).toBe(200);
      return body.days[0].starts.map(([minute]: [number]) => new Date(minute * 60_000).getUTCHours());
    };
    return { store, practiceId, therapist, chain, inRoom, hoursOffered };
  }

  it('by a therapist who does not give the chain', async () => {
    const p = await oneRoom();
    await p.inRoom(await p.therapist('c'), '2026-12-02T09:00:00Z');
    const offered = await p.hoursOffered(`chain=${await p.chain('ab')}`);
    expect(offered).toContain(8);
    expect(offered).not.toContain(9);
  });

  it('by a therapist who has been archived since', async () => {
    const p = await oneRoom();
    await p.inRoom(await p.therapist('c'), '2026-12-02T09:00:00Z');
    await exec(p.store, "UPDATE therapists SET active = FALSE WHERE practice_id = ? AND key = 'c'", [
      p.practiceId,
    ]);
    // Chain `all` is now offered by A and B only; C's appointment still holds the room.
    const offered = await p.hoursOffered(`chain=${await p.chain('all')}`);
    expect(offered).toContain(8);
    expect(offered).not.toContain(9);
  });

  it('by one of the chain’s therapists, when the visitor asks for another one or for anyone', async () => {
    const p = await oneRoom();
    await p.inRoom(await p.therapist('b'), '2026-12-02T09:00:00Z');
    const chain = await p.chain('all');
    for (const query of [`chain=${chain}`, `chain=${chain}&therapist=${await p.therapist('a')}`]) {
      const offered = await p.hoursOffered(query);
      expect(offered, query).toContain(8);
      expect(offered, query).not.toContain(9);
    }
  });

  it('by a therapist added after the configuration was read', async () => {
    const p = await oneRoom();
    const chain = await p.chain('all');
    expect(await p.hoursOffered(`chain=${chain}`)).toContain(10);
    const added = await exec(
      p.store,
      "INSERT INTO therapists (practice_id, key, name) VALUES (?, 'd', 'D')",
      [p.practiceId],
    );
    expect(added).toBe(1);
    await p.inRoom(await p.therapist('d'), '2026-12-02T10:00:00Z');
    const offered = await p.hoursOffered(`chain=${chain}`);
    expect(offered).toContain(9);
    expect(offered).not.toContain(10);
  });
});

describe('CORS for the embedded widget', () => {
  it('answers the origins the practice allows, without credentials, and no others', async () => {
    const { app } = await demoApp();
    const allowed = await app.request('/api/v1/p/demo/chains', {
      headers: { origin: 'http://localhost:3000' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await app.request('/api/v1/p/demo/chains', {
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives a request without Origin no CORS headers, and tells caches the answer depends on Origin', async () => {
    const { app } = await demoApp();
    const res = await app.request('/api/v1/p/demo/chains');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toBeNull();
    expect(res.headers.get('vary')).toBe('Origin');
    const allowed = await app.request('/api/v1/p/demo/chains', {
      headers: { origin: 'http://localhost:3000' },
    });
    expect(allowed.headers.get('vary')).toContain('Origin');
  });

  it('lets the widget send its booking headers in a preflight', async () => {
    const { app } = await demoApp();
    const res = await app.request('/api/v1/p/demo/bookings', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,idempotency-key,authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('idempotency-key');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('the API contract', () => {
  it('is an OpenAPI 3.1 document listing every public endpoint, with a reference page linked from /', async () => {
    const { app } = await demoApp();
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/p/{practice}/chains',
        '/api/v1/p/{practice}/slots',
        '/api/v1/p/{practice}/starts',
        '/api/v1/p/{practice}/bookings',
        '/api/v1/p/{practice}/auth/code',
        '/api/v1/p/{practice}/auth/verify',
        '/api/v1/p/{practice}/auth/link',
        '/api/v1/bookings/{id}',
        '/api/v1/bookings/{id}/cancel',
        '/api/v1/bookings/{id}.ics',
      ]),
    );
    // The widget's earlier form (/times) is gone, and nothing listed is deprecated.
    expect(doc.paths['/api/v1/p/{practice}/times']).toBeUndefined();
    expect(
      Object.values(doc.paths)
        .flatMap((p: any) => Object.values(p))
        .some((op: any) => op.deprecated),
    ).toBe(false);
    // An independent validator agrees that it is a valid OpenAPI document.
    expect(await validate(structuredClone(doc))).toMatchObject({ valid: true });
    const page = await (await app.request('/api/v1/reference')).text();
    expect(page).toContain('/api/v1/p/{practice}/bookings');
    expect(await (await app.request('/')).text()).toContain('href="/api/v1/reference"');
  });
});

describe('the icon', () => {
  it('is served where pages name it and where browsers look unasked, and every page names it', async () => {
    const { app } = await demoApp();
    for (const path of ['/favicon.svg', '/favicon.ico']) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/svg+xml');
      expect(await res.text()).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>$/);
    }
    for (const page of [
      '/',
      '/demo',
      '/api/v1/reference',
      '/cancel?booking=1&token=x',
      '/admin/password?token=x',
    ]) {
      const html = await (await app.request(page)).text();
      expect(html, page).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    }
  });
});
