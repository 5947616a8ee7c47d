/**
 * What staff do to appointments, through the store on each database: the same decision as online
 * booking, applied in one transaction — a package created on booking, an edit refused over a limit
 * with nothing written, a series all or nothing, a cancellation that releases the budget.
 */
import { describe, expect, it } from 'vitest';
import {
  bookSeries,
  cancelAppointment,
  createAppointment,
  editAppointment,
  type StaffContext,
} from '../../server/booking/staff.ts';
import { localToInstant } from '../../shared/time.ts';
import { call, type DemoApp, demoApp, STORE_KIND } from '../helpers.ts';

const at = (date: string, hhmm: string) =>
  localToInstant(date, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)), 'Europe/Berlin')!;
const WEEK = 7 * 86_400_000;

function staff(d: DemoApp): StaffContext {
  return {
    practiceId: d.practiceId,
    slug: 'demo',
    actor: 'staff:1',
    clock: () => Date.UTC(2026, 10, 27, 9, 0),
    cancelUrl: (id) => `http://localhost:3000/cancel?booking=${id}`,
  };
}

const fileOf = async (d: DemoApp, email: string) => (await d.client(email)).id;

describe(`staff appointments (${STORE_KIND})`, () => {
  it('creates an appointment from a chain, and with it the package the chain creates on booking', async () => {
    const d = await demoApp();
    const mia = await fileOf(d, 'mia.schulz@example.org');
    const result = await createAppointment(d.store, staff(d), mia, {
      chainId: await d.chainId('physio-erstbefund'),
      therapistId: await d.therapistId('Anna Berg'),
      start: at('2026-12-01', '09:00'),
    });
    if ('refusal' in result) throw new Error(JSON.stringify(result.refusal));
    const [id] = result.appointmentIds;
    expect(await d.row('SELECT source, status, room_id FROM appointments WHERE id = ?', [id])).toMatchObject({
      source: 'staff',
      status: 'booked',
    });
    const packages = await d.rows('SELECT id, name, origin FROM packages WHERE client_id = ?', [mia]);
    expect(packages).toMatchObject([{ name: 'Rezept KG 6×', origin: 'booking' }]);
    const ledger = await d.rows('SELECT action, actor FROM package_ledger WHERE package_id = ? ORDER BY id', [
      packages[0].id,
    ]);
    expect(ledger).toEqual([
      { action: 'created', actor: 'staff:1' },
      { action: 'assigned', actor: 'staff:1' },
    ]);
    // Staff booked it: the client gets no e-mail for it.
    expect(await d.count("SELECT count(*) AS n FROM outbox WHERE kind LIKE 'booking-%'")).toBe(0);
  });

  it('refuses an edit that would take a package over a limit, writing nothing; moves one that fits and tells the client', async () => {
    const d = await demoApp();
    const lena = await d.tokenFor('lena.vogel@example.org');
    const booked = await call(d.app, 'POST', '/api/v1/p/demo/bookings', {
      body: { chain: await d.chainId('physio-folgetermin'), start: '2026-11-30T08:00:00+01:00' },
      headers: { 'idempotency-key': 'lena-edit' },
      token: lena,
    });
    expect(booked.status).toBe(201);
    const id = booked.body.id as number;
    const kg = (await d.row<{ id: number }>("SELECT id FROM services WHERE code = 'KG' AND practice_id = ?", [
      d.practiceId,
    ]))!.id;

    // Four of Lena's six KG are taken by other appointments: three on this one do not fit.
    const tooMany = await editAppointment(d.store, staff(d), {
      appointmentId: id,
      lines: [{ serviceId: kg, quantity: 3 }],
    });
    expect(tooMany).toMatchObject({
      refusal: {
        code: 'package_limit',
        packageName: 'Rezept KG 6×',
        violations: [
          { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 4, requested: 3 },
        ],
      },
    });
    expect(await d.rows('SELECT quantity FROM appointment_lines WHERE appointment_id = ?', [id])).toEqual([
      { quantity: 1 },
    ]);

    const moved = await editAppointment(d.store, staff(d), {
      appointmentId: id,
      start: at('2026-11-30', '11:00'),
    });
    expect('refusal' in moved).toBe(false);
    expect(await d.row('SELECT starts_at, sequence FROM appointments WHERE id = ?', [id])).toEqual({
      starts_at: at('2026-11-30', '11:00'),
      sequence: 1,
    });
    // The client booked it online: an updated calendar entry (same UID, higher SEQUENCE) is on its way.
    const mails = await d.rows("SELECT kind FROM outbox WHERE kind = 'booking-confirmation' ORDER BY id");
    expect(mails).toHaveLength(2);
    expect(
      await d.count(
        "SELECT count(*) AS n FROM package_ledger WHERE action = 'updated' AND appointment_id = ?",
        [id],
      ),
    ).toBe(1);
  });

  it('cancels without a deadline, releasing the budget', async () => {
    const d = await demoApp();
    // The next appointment of the practice, well inside any client's cancellation deadline.
    const tomorrow = (await d.row<{ id: number }>(
      "SELECT id FROM appointments WHERE practice_id = ? AND status = 'booked' AND starts_at > ? ORDER BY starts_at LIMIT 1",
      [d.practiceId, Date.UTC(2026, 10, 27, 9, 0)],
    ))!;
    const result = await cancelAppointment(d.store, staff(d), tomorrow.id);
    expect('refusal' in result).toBe(false);
    expect(await d.row('SELECT status FROM appointments WHERE id = ?', [tomorrow.id])).toEqual({
      status: 'cancelled',
    });
    expect(
      await d.count(
        "SELECT count(*) AS n FROM package_ledger WHERE action = 'released' AND appointment_id = ?",
        [tomorrow.id],
      ),
    ).toBe(1);
  });

  it('books a series all or nothing: refused as a whole at the date that overruns the package, nothing written', async () => {
    const d = await demoApp();
    const sara = await fileOf(d, 'sara.koch@example.org');
    const before = await d.count('SELECT count(*) AS n FROM appointments WHERE client_id = ?', [sara]);
    const starts = [0, 1, 2, 3, 4].map((w) => at('2026-12-02', '14:00') + w * WEEK);
    const request = { chainId: await d.chainId('coaching'), therapistId: await d.therapistId('Jo Winter') };
    const all = await bookSeries(d.store, staff(d), sara, request, starts, 'all');
    // Sara's coaching pack has 3 of 6 left (one of them planned already): the series overruns.
    expect(all).toMatchObject({ refusal: { code: 'package_rule', rule: { code: 'package_used_up' } } });
    expect(await d.count('SELECT count(*) AS n FROM appointments WHERE client_id = ?', [sara])).toBe(before);

    const fitting = await bookSeries(d.store, staff(d), sara, request, starts, 'fitting');
    if ('refusal' in fitting) throw new Error('refused');
    const left =
      6 -
      (await d.count(
        `SELECT count(*) AS n FROM appointment_packages ap JOIN appointments a ON a.id = ap.appointment_id
        JOIN packages p ON p.id = ap.package_id WHERE p.client_id = ? AND a.status <> 'cancelled'`,
        [sara],
      ));
    expect(left).toBe(0);
    expect(fitting.appointmentIds.length + (fitting.refused?.length ?? 0)).toBe(5);
  });

  it('books a series whose first date creates the package the rest is assigned to', async () => {
    const d = await demoApp();
    const mia = await fileOf(d, 'mia.schulz@example.org');
    const starts = [0, 1, 2].map((w) => at('2026-12-03', '10:00') + w * WEEK);
    const result = await bookSeries(
      d.store,
      staff(d),
      mia,
      { chainId: await d.chainId('hypnose-rauchfrei'), therapistId: await d.therapistId('Jo Winter') },
      starts,
      'all',
    );
    if ('refusal' in result) throw new Error(JSON.stringify(result.refusal));
    const packages = await d.rows<{ id: number }>('SELECT id FROM packages WHERE client_id = ?', [mia]);
    expect(packages).toHaveLength(1);
    expect(
      await d.count('SELECT count(*) AS n FROM appointment_packages WHERE package_id = ?', [packages[0]!.id]),
    ).toBe(3);
  });
});
