/**
 * The typed contract: `hc<AppType>` from hono/client knows every public route's parameters, body
 * and answers, so the widget and the back office call the API without hand-written fetch wrappers.
 * The types are checked by `tsc` (part of `npm test`); the calls below run against the app.
 */
import { hc, type InferRequestType, type InferResponseType } from 'hono/client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AppType } from '../../server/app.ts';
import { type DemoApp, demoApp } from '../helpers.ts';

function clientFor(d: DemoApp) {
  return hc<AppType>('http://localhost', {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => d.app.request(input, init),
  });
}

type Client = ReturnType<typeof clientFor>;
type Practice = Client['api']['v1']['p'][':practice'];

describe('the typed client', () => {
  it('knows the chains answer and the slots query', async () => {
    const d = await demoApp();
    const api = clientFor(d).api.v1.p[':practice'];
    const chains = await api.chains.$get({ param: { practice: 'demo' }, query: { lang: 'en' } });
    expect(chains.status).toBe(200);
    if (chains.status !== 200) return;
    const body = await chains.json();
    expectTypeOf(body.chains[0]!.name).toEqualTypeOf<string>();
    expectTypeOf(body.chains[0]!.priceCents).toEqualTypeOf<number>();
    expect(body.chains.map((c) => c.key)).toContain('physio-erstbefund');

    type SlotsQuery = InferRequestType<Practice['slots']['$get']>['query'];
    expectTypeOf<SlotsQuery['from']>().toEqualTypeOf<string>();
    const chain = body.chains.find((c) => c.key === 'physio-erstbefund')!;
    const slots = await api.slots.$get({
      param: { practice: 'demo' },
      query: { chain: String(chain.id), from: '2026-11-30', to: '2026-11-30' },
    });
    if (slots.status !== 200) throw new Error(`slots: ${slots.status}`);
    const days = (await slots.json()).days;
    expectTypeOf(days[0]!.slots[0]!.therapist.name).toEqualTypeOf<string>();
    expect(days[0]!.slots.length).toBeGreaterThan(0);
  });

  it('knows the booking body, its answer and its problems', async () => {
    const d = await demoApp();
    const api = clientFor(d).api.v1.p[':practice'];
    type Body = InferRequestType<Practice['bookings']['$post']>['json'];
    expectTypeOf<Body['chain']>().toEqualTypeOf<number>();
    // @ts-expect-error a chain is given by its id, a number
    const wrong: Body = { chain: 'physio-erstbefund', start: '2026-11-30T08:00:00+01:00' };
    expect(wrong).toBeDefined();
    type Booked = InferResponseType<Practice['bookings']['$post'], 201>;
    expectTypeOf<Booked['packages'][number]['remaining'][number]['text']>().toEqualTypeOf<string>();

    const res = await api.bookings.$post(
      {
        param: { practice: 'demo' },
        header: { 'idempotency-key': 'typed-1' },
        json: {
          chain: await d.chainId('physio-erstbefund'),
          start: '2026-11-30T08:00:00+01:00',
          client: { firstName: 'Tina', lastName: 'Typ', email: 'tina@example.org', consent: true },
        },
      },
      { headers: { authorization: `Bearer ${d.verified('tina@example.org')}` } },
    );
    expect(res.status).toBe(201);
    if (res.status !== 201) return;
    const booked = await res.json();
    expect(booked.packages[0]!.remaining[0]!.text).toBe('noch 5 von 6 Terminen');

    const again = await api.bookings.$post(
      {
        param: { practice: 'demo' },
        header: { 'idempotency-key': 'typed-2' },
        json: {
          chain: await d.chainId('physio-erstbefund'),
          start: '2026-11-30T08:00:00+01:00',
          client: { firstName: 'Tom', lastName: 'Typ', email: 'tom-typ@example.org', consent: true },
        },
      },
      { headers: { authorization: `Bearer ${d.verified('tom-typ@example.org')}` } },
    );
    expect(again.status).toBe(409);
    if (again.status === 409) {
      const problem = await again.json();
      expectTypeOf(problem.code).toEqualTypeOf<string>();
      expect(problem.code).toBe('slot_taken');
    }
  });
});
