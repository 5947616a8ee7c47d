/**
 * Bad input of any shape at every public endpoint: wrong types, missing or unknown fields, huge
 * strings, invalid dates, SQL- and HTML-like text. Each gets a 4xx problem+json with a code, and
 * nothing is written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { call, demoApp } from '../helpers.ts';

const d = await demoApp();
const chain = await d.chainId('physio-erstbefund');
const tables = [
  'clients',
  'appointments',
  'appointment_lines',
  'packages',
  'package_ledger',
  'outbox',
  'booking_requests',
  'email_codes',
];
const snapshot = () => Promise.all(tables.map((t) => d.count(`SELECT count(*) AS n FROM ${t}`)));
const before = await snapshot();

const nasty = fc.oneof(
  fc.constantFrom(
    "Robert'); DROP TABLE clients;--",
    '1 OR 1=1',
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '../../etc/passwd',
    '\u0000',
    '2026-02-30',
    '2026-13-01T10:00:00+01:00',
    '2026-03-29T02:30:00',
    '-1',
    '1e309',
    '',
    ' ',
  ),
  fc.string({ maxLength: 40 }).map((s) => `<${s}>`),
  fc.string({ maxLength: 40 }).map((s) => `${s}'); --`),
  // Long enough for the body limit (413), a megabyte, and just under the limit (the field's own check).
  fc.constant('x'.repeat(70_000)),
  fc.constant('x'.repeat(1_000_000)),
  fc.constant('x'.repeat(60_000)),
);
/** Values no field of a valid request can take (integers aside, which are checked per field). */
const junk = fc.oneof(
  nasty,
  fc.double().filter((x) => !Number.isInteger(x)),
  fc.constant(false),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);

const goodClient = {
  firstName: 'Nora',
  lastName: 'Neu',
  email: 'nora@example.org',
  birthDate: '1990-01-01',
  consent: true,
};
const goodBooking = { chain, start: '2026-11-30T08:00:00+01:00', client: goodClient };

/** A valid body with exactly one thing broken: a field replaced by junk, removed, or an unknown one added. */
function broken<T extends Record<string, unknown>>(
  good: T,
  nested?: { key: keyof T; good: Record<string, unknown> },
) {
  const keys = Object.keys(good);
  const top = fc.oneof(
    fc.tuple(fc.constantFrom(...keys), junk).map(([k, v]) => ({ ...good, [k]: v })),
    fc.constantFrom(...keys.filter((k) => k !== 'client')).map((k) => {
      const { [k]: _gone, ...rest } = good;
      return rest;
    }),
    fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !keys.includes(k)),
        junk,
      )
      .map(([k, v]) => ({ ...good, [k]: v })),
  );
  if (!nested) return top;
  const inner = Object.keys(nested.good);
  return fc.oneof(
    top,
    fc
      .tuple(fc.constantFrom(...inner.filter((k) => k !== 'phone')), junk)
      .filter(
        ([k, v]) => !(k === 'email' && typeof v === 'string' && /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(v)),
      )
      .map(([k, v]) => ({ ...good, [nested.key]: { ...nested.good, [k]: v } })),
  );
}

async function expectRefused(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await call(d.app, method, url, { ...(body !== undefined ? { body } : {}), headers });
  expect(
    res.status,
    `${method} ${url} ${JSON.stringify(body)?.slice(0, 200)} → ${JSON.stringify(res.body).slice(0, 300)}`,
  ).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(typeof res.body.code).toBe('string');
}

describe('bad input at every public endpoint', () => {
  it('POST /bookings refuses every broken body', async () => {
    await fc.assert(
      fc.asyncProperty(
        broken(goodBooking, { key: 'client', good: goodClient }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (body, key) => {
          // As a verified client: the body itself must be what is refused.
          await expectRefused('POST', '/api/v1/p/demo/bookings', body, {
            'idempotency-key': `fuzz-${key.replace(/[^\x21-\x7e]/g, 'x') || 'k'}`,
            authorization: `Bearer ${d.verified(goodClient.email)}`,
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('POST /bookings refuses bodies that are not objects at all', async () => {
    await fc.assert(
      fc.asyncProperty(junk, async (body) => {
        await expectRefused('POST', '/api/v1/p/demo/bookings', body, {
          'idempotency-key': 'fuzz-any',
          authorization: `Bearer ${d.verified(goodClient.email)}`,
        });
      }),
      { numRuns: 60 },
    );
  });

  it('GET /slots refuses junk query parameters', async () => {
    const param = fc.oneof(nasty, fc.integer().map(String));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ chain: param, from: param, to: param, daypart: param }, { requiredKeys: [] }),
        fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), param)),
        async (q, extra) => {
          const query = new URLSearchParams({ ...q, ...(extra ? { [extra[0]]: extra[1] } : {}) } as Record<
            string,
            string
          >);
          // Only keep cases that cannot be valid: a valid chain, from, to with nothing else is a real request.
          const valid =
            /^\d+$/.test(q.chain ?? '') &&
            /^\d{4}-\d{2}-\d{2}$/.test(q.from ?? '') &&
            /^\d{4}-\d{2}-\d{2}$/.test(q.to ?? '');
          fc.pre(!valid);
          await expectRefused('GET', `/api/v1/p/demo/slots?${query}`);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('GET /chains refuses unknown parameters and a junk practice', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'lang'),
        nasty,
        async (k, v) => {
          await expectRefused(
            'GET',
            `/api/v1/p/demo/chains?${new URLSearchParams({ [k]: v.slice(0, 100) })}`,
          );
        },
      ),
      { numRuns: 40 },
    );
    await expectRefused('GET', `/api/v1/p/${encodeURIComponent("x'; DROP TABLE practices;--")}/chains`);
  });

  it('the auth endpoints refuse broken bodies', async () => {
    const bodies = fc.oneof(
      broken({ email: 'lena.vogel@example.org' }),
      broken({ email: 'lena.vogel@example.org', code: '123456' }),
      junk,
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('code', 'verify', 'link'), bodies, async (what, body) => {
        const res = await call(d.app, 'POST', `/api/v1/p/demo/auth/${what}`, { body });
        // A well-formed request for a code is answered 202 whatever the e-mail; everything else is refused.
        if (res.status === 202) return;
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }),
      { numRuns: 80 },
    );
  });

  it('cancel and calendar links refuse junk ids and tokens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(nasty, fc.integer().map(String)), nasty, async (id, token) => {
        await expectRefused(
          'POST',
          `/api/v1/bookings/${encodeURIComponent(id.slice(0, 50))}/cancel?${new URLSearchParams({ token: token.slice(0, 600) })}`,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('wrote nothing at all', async () => {
    // The auth code endpoint may have queued a mail for the one real e-mail in the bodies; nothing else.
    const after = await snapshot();
    tables.forEach((t, i) => {
      if (t === 'outbox' || t === 'email_codes') return;
      expect({ table: t, rows: after[i] }).toEqual({ table: t, rows: before[i] });
    });
  });
});
