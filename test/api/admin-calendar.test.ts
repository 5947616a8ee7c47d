/**
 * The calendar and appointments in the back office: days per therapist with hours and bookings;
 * staff create, edit and cancel by the very decision online booking uses — a package limit is a
 * hard block for staff too, named with package, criterion, limit and what was asked — and the
 * browser's bars for a draft come from the same shared `bars()` as the server's check.
 */
import { describe, expect, it } from 'vitest';
import { bars } from '../../shared/budget.ts';
import { bookVerified, adminCall as call, staffLogin as login } from '../helpers.ts';
import { ADMIN, ANNA, folgetermin, kgBar, setup, TUESDAY_8 } from './staff-fixtures.ts';

describe('the calendar', () => {
  it('gives each therapist’s working hours per day, colour, and the appointments of the range', async () => {
    const d = await setup();
    const id = await folgetermin(d);
    const res = await call(d.app, d.anna, 'GET', '/calendar?from=2026-11-30&to=2026-12-06');
    expect(res.status).toBe(200);
    const anna = res.body.therapists.find((t: any) => t.name === 'Anna Berg');
    expect(anna.color).toMatch(/^#[0-9a-f]{6}$/);
    expect(anna.hours['2026-11-30']).toEqual([
      { from: 480, to: 720 },
      { from: 780, to: 1080 },
    ]);
    // Her exception a week after the demo's "now": closed all day.
    expect(anna.hours['2026-12-04']).toEqual([]);
    expect(res.body.appointments).toContainEqual(
      expect.objectContaining({
        id,
        start: '2026-12-01T07:00:00.000Z',
        therapistId: d.annaId,
        client: { id: d.lena, name: 'Lena Vogel' },
        title: 'Physiotherapie Folgetermin',
        hold: false,
      }),
    );
    const one = await call(
      d.app,
      d.anna,
      'GET',
      `/calendar?from=2026-11-30&to=2026-12-06&therapist=${d.annaId}`,
    );
    expect(one.body.therapists.map((t: any) => t.name)).toEqual(['Anna Berg']);
    expect(one.body.appointments.every((a: any) => a.therapistId === d.annaId)).toBe(true);
    expect((await call(d.app, d.anna, 'GET', '/calendar?from=2026-11-30&to=2026-12-20')).body.code).toBe(
      'invalid_range',
    );
  });
});

describe('appointments by staff', () => {
  it('from a chain: the package is found by its rules, as online, and counts down', async () => {
    const d = await setup();
    const before = await kgBar(d);
    const id = await folgetermin(d);
    const after = await kgBar(d);
    expect(after.planned).toBe(before.planned + 1);
    const detail = (await call(d.app, d.anna, 'GET', `/appointments/${id}`)).body;
    expect(detail.appointment.packageIds).toHaveLength(1);
  });

  it('an edit that would take a package over its limit is refused with package, criterion, limit and what was asked; nothing is written', async () => {
    const d = await setup();
    const id = await folgetermin(d);
    const detail = (await call(d.app, d.anna, 'GET', `/appointments/${id}`)).body;
    const pkg = detail.packages.find((p: any) => p.id === detail.appointment.packageIds[0]);
    // What the browser shows while the KG quantity goes to 3: the same bars() as the server.
    const draft = {
      id,
      start: Date.parse(detail.appointment.start),
      end: Date.parse(detail.appointment.end),
      lines: [{ code: 'KG', quantity: 3, unitPriceCents: 2800 }],
    };
    const live = bars(pkg, pkg.appointments, Date.parse('2026-11-27T09:00:00Z'), draft).find(
      (b) => b.code === 'KG',
    )!;
    expect(live).toMatchObject({ limit: 6, colour: 'red' });
    expect(live.used + live.planned + live.draft).toBe(7);

    const res = await call(d.app, d.anna, 'PATCH', `/appointments/${id}`, {
      lines: [{ service: d.kg, quantity: 3 }],
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('package_limit');
    expect(res.body.detail).toBe('Ihr Paket „Rezept KG 6×“ reicht für diesen Termin nicht mehr aus.');
    expect(res.body.package).toEqual({ id: pkg.id, name: 'Rezept KG 6×' });
    expect(res.body.violations).toEqual([
      { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 4, requested: 3 },
    ]);
    const unchanged = (await call(d.app, d.anna, 'GET', `/appointments/${id}`)).body.appointment;
    expect(unchanged.lines).toEqual(detail.appointment.lines);

    // Two fit exactly: the bar is full, and the server agrees.
    const ok = await call(d.app, d.anna, 'PATCH', `/appointments/${id}`, {
      lines: [{ service: d.kg, quantity: 2 }],
    });
    expect(ok.status).toBe(200);
    expect(await kgBar(d)).toMatchObject({ limit: 6, colour: 'red' });
  });

  it('a cancellation releases the budget and says so in the ledger', async () => {
    const d = await setup();
    const before = await kgBar(d);
    const id = await folgetermin(d);
    const res = await call(d.app, d.anna, 'POST', `/appointments/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(await kgBar(d)).toMatchObject({ used: before.used, planned: before.planned });
    const file = (await call(d.app, d.anna, 'GET', `/clients/${d.lena}`)).body;
    const rezept = file.packages.find((p: any) => p.template === 'rezept-kg6');
    expect(rezept.ledger.at(-1)).toMatchObject({
      action: 'released',
      appointmentId: id,
      actor: `staff:${ANNA.email}`,
    });
    expect(file.appointments.find((a: any) => a.id === id).status).toBe('cancelled');
  });

  it('a chain that creates its package on booking does so for staff as for online', async () => {
    const d = await setup();
    const created = await call(d.app, d.anna, 'POST', '/clients', { firstName: 'Mara', lastName: 'Neu' });
    const res = await call(d.app, d.anna, 'POST', '/appointments', {
      client: created.body.client.id,
      therapist: d.annaId,
      chain: await d.chainId('physio-erstbefund'),
      start: TUESDAY_8,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const file = (await call(d.app, d.anna, 'GET', `/clients/${created.body.client.id}`)).body;
    expect(file.packages).toEqual([expect.objectContaining({ template: 'rezept-kg6', origin: 'booking' })]);
  });

  it('a therapist busy at that time: refused as for online, nothing written', async () => {
    const d = await setup();
    await folgetermin(d);
    const tom = (await d.client('tom.becker@example.org')).id;
    const count = await d.count('SELECT count(*) AS n FROM appointments');
    const res = await call(d.app, d.anna, 'POST', '/appointments', {
      client: tom,
      therapist: d.annaId,
      lines: [{ service: d.kg, quantity: 1 }],
      start: TUESDAY_8,
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('slot_taken');
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(count);
  });

  it('choosing packages by hand follows the package rights: on L only admins', async () => {
    const d = await setup();
    const id = await folgetermin(d);
    await d.exec("UPDATE practices SET plan = 'L'");
    const refused = await call(d.app, d.anna, 'PATCH', `/appointments/${id}`, { packages: [] });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('role_required');
    const admin = await login(d.app, ADMIN.email, ADMIN.password);
    expect((await call(d.app, admin, 'PATCH', `/appointments/${id}`, { packages: [] })).status).toBe(200);
  });

  it('staff and an online client at once on the last unit of a package: exactly one gets it, on either database', async () => {
    for (let round = 0; round < 3; round++) {
      const d = await setup();
      const a = await folgetermin(d); // KG: 4 used + 1 planned of 6
      // Staff take the last unit by adding a KG line; a client books a Folgetermin online, which needs it too.
      const [edit, online] = await Promise.all([
        call(d.app, d.anna, 'PATCH', `/appointments/${a}`, { lines: [{ service: d.kg, quantity: 2 }] }),
        bookVerified(
          d,
          { chain: await d.chainId('physio-folgetermin'), start: '2026-11-30T09:00:00+01:00' },
          `race-${round}`,
          await d.tokenFor('lena.vogel@example.org'),
        ),
      ]);
      const won = [edit.status, online.status].filter((x) => x === 200 || x === 201);
      expect(won, JSON.stringify([edit.body, online.body])).toHaveLength(1);
      expect(await kgBar(d)).toMatchObject({ limit: 6, colour: 'red' });
      const kg = await kgBar(d);
      expect(kg.used + kg.planned).toBe(6);
    }
  });

  it('two staff users at once on the last unit of a package, and on one start: exactly one each time, on either database', async () => {
    for (let round = 0; round < 3; round++) {
      const d = await setup();
      const admin = await login(d.app, ADMIN.email, ADMIN.password);
      await folgetermin(d); // KG: 4 used + 1 planned of 6
      const folge = await d.chainId('physio-folgetermin');
      // Both book Lena a Folgetermin (one KG each) at different times: only one unit is left.
      const budget = await Promise.all([
        call(d.app, d.anna, 'POST', '/appointments', {
          client: d.lena,
          therapist: d.annaId,
          chain: folge,
          start: '2026-12-01T10:00:00+01:00',
        }),
        call(d.app, admin, 'POST', '/appointments', {
          client: d.lena,
          therapist: d.annaId,
          chain: folge,
          start: '2026-12-01T14:00:00+01:00',
        }),
      ]);
      expect(budget.map((r) => r.status).sort(), JSON.stringify(budget.map((r) => r.body))).toEqual([
        201, 409,
      ]);
      expect(budget.find((r) => r.status === 409)!.body.code).toBe('budget_exhausted');
      const kg = await kgBar(d);
      expect(kg.used + kg.planned).toBe(6);

      // Two other clients on Anna's same start: one gets it, the other is told it is taken.
      const tom = (await d.client('tom.becker@example.org')).id;
      const created = await call(d.app, admin, 'POST', '/clients', {
        firstName: 'Rita',
        lastName: `Rennen ${round}`,
        email: `rita.rennen.${round}@example.org`,
      });
      expect(created.status).toBe(201);
      const start = '2026-12-02T09:00:00+01:00';
      const slot = await Promise.all(
        [
          [d.anna, tom],
          [admin, created.body.client.id],
        ].map(([who, client]) =>
          call(d.app, who, 'POST', '/appointments', {
            client,
            therapist: d.annaId,
            lines: [{ service: d.kg, quantity: 1 }],
            start,
          }),
        ),
      );
      expect(slot.map((r) => r.status).sort(), JSON.stringify(slot.map((r) => r.body))).toEqual([201, 409]);
      expect(slot.find((r) => r.status === 409)!.body.code).toBe('slot_taken');
      expect(
        await d.count(
          `SELECT count(*) AS n FROM appointments WHERE therapist_id = ${d.annaId} AND starts_at = ${Date.parse(start)} AND status <> 'cancelled'`,
        ),
      ).toBe(1);
    }
  });

  it('a series of 8 weekly dates on a package with 2 left: refused whole with each date and why, then the fitting ones on request', async () => {
    const d = await setup();
    const series = (extra: Record<string, unknown>) =>
      call(d.app, d.anna, 'POST', '/appointments/series', {
        client: d.lena,
        therapist: d.annaId,
        chain: 0,
        first: TUESDAY_8,
        everyDays: 7,
        count: 8,
        ...extra,
      });
    const chain = await d.chainId('physio-folgetermin');
    const before = await d.count('SELECT count(*) AS n FROM appointments');

    const preview = await series({ chain, dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.body.fitting).toEqual(['2026-12-01T07:00:00.000Z', '2026-12-08T07:00:00.000Z']);
    expect(preview.body.refused).toHaveLength(6);
    expect(preview.body.refused[0]).toMatchObject({
      start: '2026-12-15T07:00:00.000Z',
      code: expect.any(String),
    });
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(before);

    const whole = await series({ chain });
    expect(whole.status).toBe(409);
    expect(whole.body.code).toBe('series_refused');
    expect(whole.body.refused).toHaveLength(6);
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(before);

    const fitting = await series({ chain, mode: 'fitting' });
    expect(fitting.status).toBe(200);
    expect(fitting.body.appointmentIds).toHaveLength(2);
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(before + 2);
    expect(await kgBar(d)).toMatchObject({ limit: 6, colour: 'red' });
  });

  it('a yearly series of 5 dates (more than four years read at once) is checked, and its fitting dates booked', async () => {
    const d = await setup();
    const chain = await d.chainId('kg-hausbesuch'); // no package rules
    const before = await d.count('SELECT count(*) AS n FROM appointments');
    const series = (extra: Record<string, unknown>) =>
      call(d.app, d.anna, 'POST', '/appointments/series', {
        client: d.lena,
        therapist: d.annaId,
        chain,
        first: TUESDAY_8,
        everyDays: 365,
        count: 5,
        ...extra,
      });
    const preview = await series({ dryRun: true });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.fitting.length + preview.body.refused.length).toBe(5);
    expect(preview.body.fitting.length, JSON.stringify(preview.body)).toBeGreaterThan(0);
    const booked = await series({ mode: 'fitting' });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    expect(booked.body.appointmentIds).toHaveLength(preview.body.fitting.length);
    expect(await d.count('SELECT count(*) AS n FROM appointments')).toBe(
      before + preview.body.fitting.length,
    );
  });

  it('a weekly series keeps its wall-clock time across the clock change', async () => {
    const { seriesStarts } = await import('../../server/routes/admin-calendar.ts');
    const starts = seriesStarts(Date.parse('2027-03-22T09:00:00+01:00'), 7, 2, undefined, 'Europe/Berlin');
    expect(starts.map((t) => new Date(t).toISOString())).toEqual([
      '2027-03-22T08:00:00.000Z',
      '2027-03-29T07:00:00.000Z',
    ]);
    const autumn = seriesStarts(
      Date.parse('2026-10-20T09:00:00+02:00'),
      7,
      undefined,
      '2026-10-27',
      'Europe/Berlin',
    );
    expect(autumn.map((t) => new Date(t).toISOString())).toEqual([
      '2026-10-20T07:00:00.000Z',
      '2026-10-27T08:00:00.000Z',
    ]);
  });

  it('why not? every candidate start of a day with its reason: busy, outside hours, a used-up package', async () => {
    const d = await setup();
    await folgetermin(d); // Anna, Tuesday 08:00
    const chain = await d.chainId('physio-folgetermin');
    const why = async (client: number) =>
      (await call(d.app, d.anna, 'GET', `/why?client=${client}&chain=${chain}&date=2026-12-01`)).body
        .candidates as any[];
    const lena = (await why(d.lena)).filter((c) => c.therapistId === d.annaId);
    expect(lena.find((c) => c.start === '2026-12-01T07:00:00.000Z')).toMatchObject({
      offered: false,
      reason: 'therapist_busy',
    });
    expect(lena.some((c) => c.offered)).toBe(true);
    expect(lena.find((c) => c.start === '2026-12-01T11:00:00.000Z')).toMatchObject({
      offered: false,
      reason: 'outside_hours',
    });
    // Tom has used his six: in hours and free, still not offered — for his package.
    const tom = (await why((await d.client('tom.becker@example.org')).id)).filter(
      (c) => c.therapistId === d.annaId,
    );
    const free = tom.find((c) => c.start === '2026-12-01T08:00:00.000Z');
    expect(free).toMatchObject({
      offered: false,
      reason: 'package_used_up',
      text: 'Ihr Paket ist aufgebraucht.',
    });
    expect(tom.some((c) => c.offered)).toBe(false);
  });

  it('the outbox: the mails written and their state; a sent one can be sent again, one still waiting not', async () => {
    const d = await setup();
    const booked = await bookVerified(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: '2026-11-30T09:00:00+01:00' },
      'outbox-1',
      await d.tokenFor('lena.vogel@example.org'),
    );
    expect(booked.status).toBe(201);
    const mails = (await call(d.app, d.anna, 'GET', '/mails')).body.mails;
    expect(mails[0]).toMatchObject({ to: 'lena.vogel@example.org', status: 'pending', attempts: 0 });
    const waiting = await call(d.app, d.anna, 'POST', `/mails/${mails[0].id}/resend`);
    expect(waiting.status).toBe(409);
    expect(waiting.body.code).toBe('not_resendable');
    await d.exec("UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?", [
      Date.parse('2026-11-27T09:01:00Z'),
      mails[0].id,
    ]);
    const again = await call(d.app, d.anna, 'POST', `/mails/${mails[0].id}/resend`);
    expect(again.status).toBe(201);
    const after = (await call(d.app, d.anna, 'GET', '/mails')).body.mails;
    expect(after[0]).toMatchObject({
      id: again.body.id,
      to: 'lena.vogel@example.org',
      status: 'pending',
      subject: mails[0].subject,
    });
    expect(after[1]).toMatchObject({ id: mails[0].id, status: 'sent' });
    expect((await call(d.app, d.anna, 'POST', '/mails/999999/resend')).status).toBe(404);

    // Staff cancel what she booked online: the budget is released, and she is told.
    const bookingId = (
      await d.row("SELECT id FROM appointments WHERE source = 'online' AND status = 'booked'")
    ).id;
    expect((await call(d.app, d.anna, 'POST', `/appointments/${bookingId}/cancel`)).status).toBe(200);
    expect((await call(d.app, d.anna, 'GET', '/mails')).body.mails[0]).toMatchObject({
      kind: 'booking-cancellation',
      to: 'lena.vogel@example.org',
      status: 'pending',
    });
  });
});
