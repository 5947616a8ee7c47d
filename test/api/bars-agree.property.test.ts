/**
 * The bars on screen and the server's refusal always agree: random edits of an appointment's
 * services, fed to the browser's computation (shared/draft.ts, what the calendar editor shows) and
 * to the server (PATCH /api/v1/admin/appointments/:id, the one decision) — a bar over its limit on
 * screen exactly when the server refuses with package_limit, and nothing written then.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEMO_LOGINS, setDemoPasswords } from '../../server/demo/load.ts';
import { draftBars, draftLines, overLimit } from '../../shared/draft.ts';
import { adminCall as call, demoApp, staffLogin as login, NOW } from '../helpers.ts';

describe('the live bars and the server', () => {
  it('agree on every random edit of the services: red on screen exactly when the save is refused', async () => {
    const d = await demoApp();
    await setDemoPasswords(d.store, d.practiceId);
    const anna = await login(d.app, DEMO_LOGINS[1].email, DEMO_LOGINS[1].password);
    const lena = (await d.client('lena.vogel@example.org')).id;
    const made = await call(d.app, anna, 'POST', '/appointments', {
      client: lena,
      therapist: await d.therapistId('Anna Berg'),
      chain: await d.chainId('physio-folgetermin'),
      start: '2026-12-01T08:00:00+01:00',
    });
    expect(made.status).toBe(201);
    const id = made.body.appointmentIds[0] as number;
    const services = (await d.rows("SELECT id, code FROM services WHERE code IN ('KG', 'FANGO', 'MT')")) as {
      id: number;
      code: string;
    }[];
    const edit = fc.uniqueArray(
      fc.record({
        serviceId: fc.constantFrom(...services.map((s) => s.id)),
        quantity: fc.integer({ min: 1, max: 4 }),
      }),
      { minLength: 1, maxLength: 3, selector: (l) => l.serviceId },
    );
    let refused = 0;
    let saved = 0;
    await fc.assert(
      fc.asyncProperty(edit, async (wanted) => {
        const detail = (await call(d.app, anna, 'GET', `/appointments/${id}`)).body;
        const a = detail.appointment;
        const assigned = detail.packages.filter((p: any) => a.packageIds.includes(p.id));
        const draft = {
          id,
          start: Date.parse(a.start),
          end: Date.parse(a.end),
          lines: draftLines(a.lines, wanted, detail.services),
        };
        const onScreen = draftBars(assigned, draft, NOW).some((p) => p.bars.some(overLimit));
        const res = await call(d.app, anna, 'PATCH', `/appointments/${id}`, {
          lines: wanted.map((l) => ({ service: l.serviceId, quantity: l.quantity })),
        });
        if (onScreen) {
          refused++;
          expect(res.status, JSON.stringify(res.body)).toBe(409);
          expect(res.body.code).toBe('package_limit');
          const after = (await call(d.app, anna, 'GET', `/appointments/${id}`)).body.appointment.lines;
          expect(after).toEqual(a.lines);
        } else {
          saved++;
          expect(res.status, JSON.stringify(res.body)).toBe(200);
        }
      }),
      { numRuns: 40, seed: 20261130 },
    );
    // Both sides of the rule were tried.
    expect(refused).toBeGreaterThan(0);
    expect(saved).toBeGreaterThan(0);
  });
});
