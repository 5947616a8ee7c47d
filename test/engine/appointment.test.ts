/**
 * The appointment decision on plain data: the specification of what may be booked, by whom, on
 * which package — for online booking, staff, edits, cancellations and series alike.
 */
import { describe, expect, it } from 'vitest';
import {
  type AppointmentRequest,
  afterPlan,
  type Decision,
  decideAppointment,
  decideSeries,
  holdWindow,
  type Snapshot,
} from '../../server/engine/appointment.ts';
import { firstAllowed } from '../../server/engine/eligibility.ts';
import { addDays } from '../../shared/time.ts';
import {
  appointments,
  at,
  CHAINS,
  file,
  NEW_CLIENT,
  NOW,
  pkg,
  practice,
  snapshot,
  TEMPLATES,
  TZ,
} from './fixtures.ts';

const MONDAY = '2026-11-30';
const WEEK = 7 * 86_400_000;

function plan(d: Decision) {
  if (!d.ok) throw new Error(`refused: ${JSON.stringify(d.refusal)}`);
  return d.plan;
}

function refusal(d: Decision) {
  if (d.ok) throw new Error('expected a refusal, got a plan');
  return d.refusal;
}

const online = (
  chainId: number,
  start: number,
  extra: Partial<AppointmentRequest> = {},
): AppointmentRequest => ({ kind: 'online', chainId, start, ...extra }) as AppointmentRequest;

/** Decides each request on the snapshot the one before left; returns every decision. */
function run(s: Snapshot, requests: AppointmentRequest[]): Decision[] {
  let current = s;
  return requests.map((r) => {
    const d = decideAppointment(current, r, NOW);
    if (d.ok) current = afterPlan(current, d.plan);
    return d;
  });
}

describe('the examples of the product description', () => {
  it('a prescription over 6 × physiotherapy: the first visit creates the budget, follow-ups use it up, the 7th is refused', () => {
    const first = plan(
      decideAppointment(snapshot(file()), online(CHAINS.erstbefund.id, at(MONDAY, '08:00')), NOW),
    );
    expect(first.packages).toEqual([
      expect.objectContaining({ name: 'Rezept KG 6×', limits: TEMPLATES.rezept.limits }),
    ]);
    expect(first.budgets[0]!.remaining).toEqual([
      { criterion: 'appointments', limit: 6, remaining: 5 },
      { criterion: 'codeQuantity', code: 'KG', limit: 6, remaining: 5 },
    ]);
    let s = afterPlan(snapshot(file()), first);
    const follow = (week: number) =>
      decideAppointment(s, online(CHAINS.folgetermin.id, at(MONDAY, '10:00') + week * WEEK), NOW);
    for (let week = 1; week <= 5; week++) s = afterPlan(s, plan(follow(week)));
    expect(refusal(follow(6))).toEqual({
      code: 'package_rule',
      rule: { code: 'package_used_up', templateId: TEMPLATES.rezept.id, templateName: 'Rezept KG 6×' },
    });
  });

  it('a 5-session hypnosis pack starts itself and stops at the 5th', () => {
    const decisions = run(
      snapshot(file()),
      [0, 1, 2, 3, 4, 5].map((w) => online(CHAINS.hypnose.id, at(MONDAY, '09:00') + w * WEEK)),
    );
    expect(plan(decisions[0]!).packages.map((p) => p.name)).toEqual(['Hypnose 5er']);
    expect(decisions.slice(1, 5).every((d) => d.ok && d.plan.packages.length === 0)).toBe(true);
    expect(refusal(decisions[5]!)).toMatchObject({ code: 'package_rule', rule: { code: 'package_used_up' } });
  });

  it('an insurer’s budget within a period: inside it fits, after it ends the refusal says “expired”, not “used up”', () => {
    const kasse = pkg(1, TEMPLATES.kasse, {
      validFrom: at('2026-11-01', '00:00'),
      validUntil: at('2027-01-01', '00:00'),
    });
    const mt = {
      kind: 'staff',
      therapistId: 1,
      lines: [{ serviceId: 8, quantity: 1 }],
      packages: [1],
    } as const;
    const s = snapshot(file({ packages: [kasse] }));
    expect(plan(decideAppointment(s, { ...mt, start: at('2026-12-14', '09:00') }, NOW)).assign).toEqual([1]);
    const late = refusal(decideAppointment(s, { ...mt, start: at('2027-01-04', '09:00') }, NOW));
    expect(late).toMatchObject({ code: 'package_limit', packageId: 1, violations: [{ kind: 'not_valid' }] });
  });

  it('a 6-session coaching pack: only for clients who bought it, and not a 7th time', () => {
    const coaching = online(CHAINS.coaching.id, at('2026-12-07', '11:00'));
    expect(refusal(decideAppointment(snapshot(file()), coaching, NOW))).toMatchObject({
      rule: { code: 'package_absent' },
    });
    const bought = pkg(3, TEMPLATES.coaching, { validFrom: at('2026-11-01', '00:00') });
    const five = file({
      packages: [bought],
      byPackage: [[3, appointments(at('2026-11-02', '11:00'), 5, [['COACHING', 1]])]],
    });
    const sixth = plan(decideAppointment(snapshot(five), coaching, NOW));
    expect(sixth.assign).toEqual([3]);
    expect(sixth.budgets[0]!.remaining).toEqual([{ criterion: 'appointments', limit: 6, remaining: 0 }]);
    const seventh = decideAppointment(
      afterPlan(snapshot(five), sixth),
      online(CHAINS.coaching.id, at('2026-12-14', '11:00')),
      NOW,
    );
    expect(refusal(seventh)).toMatchObject({ rule: { code: 'package_used_up' } });
  });

  it('a wellness amount over several codes: massages and fango draw on one 250 € budget', () => {
    const wellness = pkg(4, TEMPLATES.wellness);
    // 3 massages (3 × 60 €) and 2 fango (2 × 25 €) = 230 €: 20 € left, less than either costs.
    const used = [
      ...appointments(at('2026-11-02', '16:00'), 3, [['MASSAGE', 1]]),
      ...appointments(at('2026-11-03', '16:00'), 2, [['FANGO', 1]]),
    ];
    const s = snapshot(file({ packages: [wellness], byPackage: [[4, used]] }));
    expect(
      refusal(decideAppointment(s, online(CHAINS.fango.id, at('2026-12-07', '16:00')), NOW)),
    ).toMatchObject({
      rule: { code: 'package_used_up' },
    });
    const roomier = snapshot(file({ packages: [wellness], byPackage: [[4, used.slice(1)]] }));
    const fango = plan(decideAppointment(roomier, online(CHAINS.fango.id, at('2026-12-07', '16:00')), NOW));
    expect(fango.budgets[0]!.remaining).toEqual([{ criterion: 'amount', limit: 25000, remaining: 5500 }]);
  });

  it('the annual budget of a supplementary insurance is valid for its calendar year only', () => {
    const year = pkg(5, TEMPLATES.zusatz, {
      validFrom: at('2026-01-01', '00:00'),
      validUntil: at('2027-01-01', '00:00'),
    });
    const s = snapshot(file({ packages: [year] }));
    expect(plan(decideAppointment(s, online(CHAINS.mt.id, at('2026-12-28', '10:00')), NOW)).assign).toEqual([
      5,
    ]);
    expect(refusal(decideAppointment(s, online(CHAINS.mt.id, at('2027-01-04', '10:00')), NOW))).toMatchObject(
      {
        rule: { code: 'package_expired' },
      },
    );
  });
});

describe('limits per criterion', () => {
  const kgFango = pkg(9, {
    id: 9,
    name: 'KG + Fango',
    limits: {
      codeLimits: [
        { code: 'KG', maxQuantity: 6 },
        { code: 'FANGO', maxQuantity: 3 },
      ],
    },
    validity: { kind: 'none' },
  });
  const sixKg = appointments(at('2026-10-05', '09:00'), 6, [['KG', 1]]);
  const staff = (lines: { serviceId: number; quantity: number }[]): AppointmentRequest => ({
    kind: 'staff',
    therapistId: 1,
    start: at('2026-12-01', '09:00'),
    lines,
    packages: [9],
  });

  it('after 6 × KG, a Fango-only appointment still fits', () => {
    const s = snapshot(file({ packages: [kgFango], byPackage: [[9, sixKg]] }));
    expect(plan(decideAppointment(s, staff([{ serviceId: 3, quantity: 1 }]), NOW)).assign).toEqual([9]);
  });

  it('after 6 × KG, one with KG is refused, naming package, criterion, limit and what was asked', () => {
    const s = snapshot(file({ packages: [kgFango], byPackage: [[9, sixKg]] }));
    expect(
      refusal(
        decideAppointment(
          s,
          staff([
            { serviceId: 2, quantity: 1 },
            { serviceId: 3, quantity: 1 },
          ]),
          NOW,
        ),
      ),
    ).toEqual({
      code: 'package_limit',
      packageId: 9,
      packageName: 'KG + Fango',
      violations: [
        { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 6, requested: 1 },
      ],
    });
  });

  it('an appointment on two packages is refused when one criterion of one of them would overrun', () => {
    const rezept = pkg(1, TEMPLATES.rezept);
    const kasse = pkg(6, TEMPLATES.kasse);
    // The insurer's 200 € are at 190 €; one KG costs 28 €.
    const kasseUsed = appointments(at('2026-10-01', '09:00'), 1, [['HP', 1]]).map((a) => ({
      ...a,
      lines: [{ code: 'X', quantity: 1, unitPriceCents: 19000 }],
    }));
    const s = snapshot(
      file({
        packages: [rezept, kasse],
        byPackage: [
          [1, []],
          [6, kasseUsed],
        ],
      }),
    );
    const r = refusal(
      decideAppointment(
        s,
        {
          kind: 'staff',
          therapistId: 1,
          start: at('2026-12-01', '09:00'),
          lines: [{ serviceId: 2, quantity: 1 }],
          packages: [1, 6],
        },
        NOW,
      ),
    );
    expect(r).toEqual({
      code: 'package_limit',
      packageId: 6,
      packageName: 'Erstattung Krankenkasse',
      violations: [{ kind: 'limit', criterion: 'amount', limit: 20000, current: 19000, requested: 2800 }],
    });
  });
});

describe('package rules', () => {
  it('an excluded file is not offered the chain', () => {
    const s = snapshot(file({ excluded: [TEMPLATES.hypnose.id] }));
    expect(refusal(decideAppointment(s, online(CHAINS.hypnose.id, at(MONDAY, '09:00')), NOW))).toMatchObject({
      code: 'package_rule',
      rule: { code: 'package_excluded', templateName: 'Hypnose 5er' },
    });
  });

  it('a follow-up is offered only after the first appointment of the package (the Erstbefund) has ended', () => {
    const first = plan(
      decideAppointment(snapshot(file()), online(CHAINS.erstbefund.id, at('2026-12-02', '08:00')), NOW),
    );
    const s = afterPlan(snapshot(file()), first);
    // The day after tomorrow, before the Erstbefund on Wednesday: not yet.
    expect(
      refusal(decideAppointment(s, online(CHAINS.folgetermin.id, at(MONDAY, '10:00')), NOW)),
    ).toMatchObject({
      rule: { code: 'package_before_first_appointment' },
    });
    expect(
      plan(decideAppointment(s, online(CHAINS.folgetermin.id, at('2026-12-03', '10:00')), NOW)).assign,
    ).toEqual([first.packages[0]!.ref]);
  });

  it('the final check is offered only once the last appointment of the used-up prescription has ended', () => {
    const rezept = pkg(1, TEMPLATES.rezept, { origin: 'booking' });
    const six = appointments(at('2026-11-02', '09:00'), 6, [['KG', 1]]);
    const s = snapshot(file({ packages: [rezept], byPackage: [[1, six]] }));
    const lastEnd = six[5]!.end; // Monday 2026-12-07, 09:30
    expect(
      refusal(decideAppointment(s, online(CHAINS.abschluss.id, at('2026-12-07', '08:00')), NOW)),
    ).toMatchObject({
      rule: { code: 'package_before_last_appointment' },
    });
    expect(lastEnd).toBe(at('2026-12-07', '09:30'));
    expect(decideAppointment(s, online(CHAINS.abschluss.id, at('2026-12-07', '10:00')), NOW).ok).toBe(true);
  });

  it('a new prescription after the old one ran out starts the same way: the Erstbefund creates the next package', () => {
    const old = pkg(1, TEMPLATES.rezept, { origin: 'booking' });
    const s = snapshot(
      file({ packages: [old], byPackage: [[1, appointments(at('2026-10-01', '09:00'), 6, [['KG', 1]])]] }),
    );
    const next = plan(decideAppointment(s, online(CHAINS.erstbefund.id, at('2026-12-01', '09:00')), NOW));
    expect(next.packages.map((p) => p.name)).toEqual(['Rezept KG 6×']);
    expect(next.assign).toEqual([next.packages[0]!.ref]);
  });

  it('and after the old one expired unused, too', () => {
    const old = pkg(1, TEMPLATES.rezept, {
      validFrom: at('2026-06-01', '00:00'),
      validUntil: at('2026-09-01', '00:00'),
    });
    const s = snapshot(file({ packages: [old] }));
    expect(
      plan(decideAppointment(s, online(CHAINS.erstbefund.id, at('2026-12-01', '09:00')), NOW)).packages,
    ).toHaveLength(1);
    // …while the follow-up names the real cause.
    expect(
      refusal(decideAppointment(s, online(CHAINS.folgetermin.id, at('2026-12-01', '09:00')), NOW)),
    ).toMatchObject({
      rule: { code: 'package_expired' },
    });
  });

  it('a package created on booking from a calendar-year template is valid for the year of the appointment', () => {
    const yearly = {
      ...CHAINS.mt,
      rules: [
        {
          ...CHAINS.mt.rules[0]!,
          offeredWhen: new Set(['absent', 'present'] as const),
          createWhen: new Set(['absent'] as const),
        },
      ],
    };
    const s: Snapshot = { ...snapshot(file()), config: practice({ chains: [yearly] }) };
    const january = plan(decideAppointment(s, online(yearly.id, at('2027-01-11', '10:00')), NOW));
    expect(january.packages[0]).toMatchObject({
      validFrom: at('2027-01-01', '00:00'),
      validUntil: at('2028-01-01', '00:00'),
    });
  });

  it('a package created on booking counts its days from the moment of booking; a start past them does not fit', () => {
    const s = snapshot(file());
    // Rezept: 90 days from Friday 2026-11-27.
    expect(decideAppointment(s, online(CHAINS.erstbefund.id, at('2027-02-24', '09:00')), NOW).ok).toBe(true);
    expect(
      refusal(decideAppointment(s, online(CHAINS.erstbefund.id, at('2027-02-25', '09:00')), NOW)),
    ).toMatchObject({
      rule: { code: 'package_template_does_not_fit' },
    });
  });
});

describe('age limits', () => {
  it('needs a birth date for a chain with an age limit', () => {
    const s = snapshot(null);
    const r = decideAppointment(
      s,
      online(CHAINS.hp.id, at(MONDAY, '09:00'), { newClient: { ...NEW_CLIENT, birthDate: undefined } }),
      NOW,
    );
    expect(refusal(r)).toEqual({ code: 'birth_date_required' });
  });

  it('judges the age on the day of the appointment, not on the day of booking', () => {
    // Turns 18 on Wednesday 2026-12-02.
    const s = snapshot(file({ birthDate: '2008-12-02' }));
    expect(refusal(decideAppointment(s, online(CHAINS.hp.id, at('2026-12-01', '09:00')), NOW))).toEqual({
      code: 'age',
      reason: 'too_young',
      limit: 18,
    });
    expect(decideAppointment(s, online(CHAINS.hp.id, at('2026-12-02', '09:00')), NOW).ok).toBe(true);
  });

  it('keeps a birth date given at booking only where an age limit needs it', () => {
    const hp = plan(
      decideAppointment(
        snapshot(null),
        online(CHAINS.hp.id, at(MONDAY, '09:00'), { newClient: NEW_CLIENT }),
        NOW,
      ),
    );
    expect(hp.client).toEqual({ create: { ...NEW_CLIENT, birthDate: '1990-05-05' } });
    const kg = plan(
      decideAppointment(
        snapshot(null),
        online(CHAINS.erstbefund.id, at(MONDAY, '09:00'), { newClient: NEW_CLIENT }),
        NOW,
      ),
    );
    expect(kg.client).toEqual({ create: { ...NEW_CLIENT, birthDate: null } });
  });
});

describe('the calendar', () => {
  it('a client file never holds two overlapping appointments, whichever therapists', () => {
    const s = snapshot(
      file({ appointments: [{ id: 55, start: at(MONDAY, '09:00'), end: at(MONDAY, '09:45') }] }),
    );
    // Anna is free at 09:30, but the client is with Jo until 09:45.
    expect(refusal(decideAppointment(s, online(CHAINS.hp.id, at(MONDAY, '09:30')), NOW))).toEqual({
      code: 'client_overlap',
      appointmentId: 55,
    });
  });

  it('a taken therapist and room are refused as taken; off the grid as not offered', () => {
    const busy = [{ therapistId: 2, roomId: null, start: at(MONDAY, '09:00'), end: at(MONDAY, '10:10') }];
    const s = snapshot(file(), { busy });
    expect(refusal(decideAppointment(s, online(CHAINS.hp.id, at(MONDAY, '09:30')), NOW))).toEqual({
      code: 'slot',
      reason: 'therapist_busy',
    });
    expect(refusal(decideAppointment(s, online(CHAINS.hp.id, at(MONDAY, '10:07')), NOW))).toEqual({
      code: 'slot',
      reason: 'not_offered',
    });
    expect(refusal(decideAppointment(s, online(CHAINS.hp.id, at('2026-11-27', '11:00')), NOW))).toEqual({
      code: 'slot',
      reason: 'too_soon',
    });
  });

  it('books a hold onto its own time, but will not decide one on busy times that do not name their appointments', () => {
    const hold = { id: 90, therapistId: 2, roomId: null };
    const held = { therapistId: 2, roomId: null, start: at(MONDAY, '09:00'), end: at(MONDAY, '10:10') };
    const booking = online(CHAINS.hp.id, at(MONDAY, '09:00'), { hold } as Partial<AppointmentRequest>);
    // The hold's own row is left out: its start is free for the booking made with it.
    expect(
      plan(decideAppointment(snapshot(file(), { busy: [{ ...held, appointmentId: 90 }] }), booking, NOW))
        .appointment,
    ).toMatchObject({ start: at(MONDAY, '09:00'), therapistId: 2 });
    // Without ids it could not tell the hold from another appointment: an error, not "taken".
    expect(() => decideAppointment(snapshot(file(), { busy: [held] }), booking, NOW)).toThrow(RangeError);
  });

  it('staff may book outside the working hours only when they confirm it, never onto a busy therapist', () => {
    const evening = {
      kind: 'staff',
      therapistId: 1,
      start: at(MONDAY, '19:00'),
      lines: [{ serviceId: 2, quantity: 1 }],
    } as const;
    const s = snapshot(file(), {
      busy: [{ therapistId: 1, roomId: null, start: at(MONDAY, '19:10'), end: at(MONDAY, '19:40') }],
    });
    expect(refusal(decideAppointment(snapshot(file()), evening, NOW))).toEqual({
      code: 'slot',
      reason: 'outside_hours',
    });
    expect(decideAppointment(snapshot(file()), { ...evening, outsideHours: true }, NOW).ok).toBe(true);
    expect(refusal(decideAppointment(s, { ...evening, outsideHours: true }, NOW))).toEqual({
      code: 'slot',
      reason: 'therapist_busy',
    });
  });
});

describe('staff create from a chain', () => {
  it('creates the package on booking exactly as an online booking does', () => {
    const staff = plan(
      decideAppointment(
        snapshot(file()),
        { kind: 'staff', therapistId: 1, chainId: CHAINS.erstbefund.id, start: at(MONDAY, '08:00') },
        NOW,
      ),
    );
    const web = plan(
      decideAppointment(snapshot(file()), online(CHAINS.erstbefund.id, at(MONDAY, '08:00')), NOW),
    );
    expect(staff.packages).toEqual(web.packages);
    expect(staff.assign).toEqual([staff.packages[0]!.ref]);
    expect(staff.appointment).toMatchObject({ source: 'staff', roomId: 1 });
    expect(staff.mail).toBeNull();
    expect(web.mail).toBe('confirmation');
  });
});

describe('staff edit', () => {
  const rezept = pkg(1, TEMPLATES.rezept, {
    validFrom: at('2026-11-01', '00:00'),
    validUntil: at('2026-12-15', '00:00'),
  });
  const [kg] = appointments(at('2026-12-07', '09:00'), 1, [['KG', 1]]);
  const existing = {
    id: kg!.id,
    clientId: 7,
    therapistId: 1,
    roomId: null,
    chainId: CHAINS.folgetermin.id,
    start: kg!.start,
    end: kg!.end,
    bufferAfterMinutes: 0,
    status: 'booked' as const,
    source: 'online' as const,
    sequence: 0,
    lines: [{ serviceId: 2, code: 'KG', quantity: 1, unitPriceCents: 2800 }],
    packageIds: [1],
  };
  const s = snapshot(file({ packages: [rezept], byPackage: [[1, [kg!]]] }), { appointment: existing });

  it('refuses a move past the package’s validity', () => {
    const r = refusal(
      decideAppointment(
        s,
        { kind: 'edit', appointmentId: existing.id, start: at('2026-12-15', '09:00') },
        NOW,
      ),
    );
    expect(r).toMatchObject({ code: 'package_limit', packageId: 1, violations: [{ kind: 'not_valid' }] });
  });

  it('moves it inside the validity, tells the client (it was booked online) and keeps the package', () => {
    const p = plan(
      decideAppointment(
        s,
        { kind: 'edit', appointmentId: existing.id, start: at('2026-12-08', '09:00') },
        NOW,
      ),
    );
    expect(p).toMatchObject({ action: 'update', mail: 'update', assign: [], release: [] });
    expect(p.appointment.sequence).toBe(1);
    expect(p.ledger).toEqual([
      {
        packageId: 1,
        action: 'updated',
        details: { time: { start: at('2026-12-08', '09:00'), end: at('2026-12-08', '09:30') } },
      },
    ]);
  });

  it('refuses more KG than the prescription has left', () => {
    const five = appointments(at('2026-11-02', '09:00'), 5, [['KG', 1]]);
    const full = snapshot(file({ packages: [rezept], byPackage: [[1, [...five, kg!]]] }), {
      appointment: existing,
    });
    const r = refusal(
      decideAppointment(
        full,
        { kind: 'edit', appointmentId: existing.id, lines: [{ serviceId: 2, quantity: 2 }] },
        NOW,
      ),
    );
    expect(r).toMatchObject({
      code: 'package_limit',
      violations: [{ criterion: 'codeQuantity', code: 'KG', limit: 6, current: 5, requested: 2 }],
    });
  });
});

describe('cancel', () => {
  const created = pkg(1, TEMPLATES.rezept, { origin: 'booking' });
  const [first] = appointments(at('2026-12-07', '09:00'), 1, [
    ['ERST', 1],
    ['KG', 1],
  ]);
  const existing = {
    id: first!.id,
    clientId: 7,
    therapistId: 1,
    roomId: 1,
    chainId: CHAINS.erstbefund.id,
    start: first!.start,
    end: first!.end,
    bufferAfterMinutes: 10,
    status: 'booked' as const,
    source: 'online' as const,
    sequence: 0,
    lines: [],
    packageIds: [1],
  };
  const s = snapshot(file({ packages: [created], byPackage: [[1, [first!]]] }), { appointment: existing });

  it('releases the budget and withdraws the package the booking created when nothing else uses it', () => {
    const p = plan(decideAppointment(s, { kind: 'cancel', appointmentId: existing.id, by: 'client' }, NOW));
    expect(p).toMatchObject({ action: 'cancel', release: [], withdraw: [1], mail: 'cancellation' });
    expect(p.appointment).toMatchObject({ status: 'cancelled', sequence: 1 });
    expect(p.ledger.map((e) => e.action)).toEqual(['released', 'withdrawn']);
  });

  it('refuses a client after the deadline, not staff', () => {
    const late = at('2026-12-06', '10:00');
    expect(
      refusal(decideAppointment(s, { kind: 'cancel', appointmentId: existing.id, by: 'client' }, late)),
    ).toEqual({
      code: 'cancel_deadline_passed',
      deadline: at('2026-12-06', '09:00'),
      minutesBefore: 1440,
    });
    expect(decideAppointment(s, { kind: 'cancel', appointmentId: existing.id, by: 'staff' }, late).ok).toBe(
      true,
    );
  });

  it('changes nothing the second time', () => {
    const cancelled = { ...s, appointment: { ...existing, status: 'cancelled' as const } };
    expect(
      plan(decideAppointment(cancelled, { kind: 'cancel', appointmentId: existing.id, by: 'client' }, NOW))
        .action,
    ).toBe('none');
  });
});

describe('series', () => {
  const coaching = pkg(3, TEMPLATES.coaching);
  const three = file({
    packages: [coaching],
    byPackage: [[3, appointments(at('2026-11-02', '11:00'), 3, [['COACHING', 1]])]],
  });
  const starts = [0, 1, 2, 3, 4].map((w) => at('2026-12-07', '11:00') + w * WEEK);
  const request = { kind: 'staff', therapistId: 2, chainId: CHAINS.coaching.id, start: 0 } as const;

  it('all or nothing: a series that overruns the package at its 4th date is refused as a whole, naming the date', () => {
    const d = decideSeries(snapshot(three), request, starts, 'all', NOW);
    expect(d.ok).toBe(false);
    expect(d.refused.map((r) => r.index)).toEqual([3, 4]);
    expect(d.refused[0]!.refusal).toMatchObject({ code: 'package_rule', rule: { code: 'package_used_up' } });
  });

  it('the ones that fit: the first three, and why not the others', () => {
    const d = decideSeries(snapshot(three), request, starts, 'fitting', NOW);
    expect(d.ok && d.plans.map((p) => p.appointment.start)).toEqual(starts.slice(0, 3));
    expect(d.refused.map((r) => r.start)).toEqual(starts.slice(3));
  });

  it('a package the first date creates is present for the rest', () => {
    const weekly = [0, 1, 2].map((w) => at('2026-12-07', '09:00') + w * WEEK);
    const d = decideSeries(
      snapshot(file()),
      { kind: 'staff', therapistId: 2, chainId: CHAINS.hypnose.id, start: 0 },
      weekly,
      'all',
      NOW,
    );
    if (!d.ok) throw new Error('refused');
    expect(d.plans.map((p) => p.packages.length)).toEqual([1, 0, 0]);
    const ref = d.plans[0]!.packages[0]!.ref;
    expect(d.plans.map((p) => p.assign)).toEqual([[ref], [ref], [ref]]);
    expect(d.plans[2]!.budgets[0]!.remaining).toEqual([
      { criterion: 'appointments', limit: 5, remaining: 2 },
    ]);
  });
});

describe('when a chain is offered to a file at all (the chains list)', () => {
  const until = at('2027-03-01', '00:00');

  it('from the birthday on which the client reaches the minimum age', () => {
    const first = firstAllowed(CHAINS.hp, file({ birthDate: '2008-12-02' }), NOW, until, NOW, TZ);
    expect(first).toEqual({ at: at('2026-12-02', '00:00') });
  });

  it('from the day a package becomes valid', () => {
    const later = pkg(3, TEMPLATES.coaching, { validFrom: at(addDays(MONDAY, 7), '00:00') });
    expect(firstAllowed(CHAINS.coaching, file({ packages: [later] }), NOW, until, NOW, TZ)).toEqual({
      at: at('2026-12-07', '00:00'),
    });
  });

  it('not at all when nothing in the window changes the refusal, with the refusal of now', () => {
    expect(firstAllowed(CHAINS.coaching, file(), NOW, until, NOW, TZ)).toEqual({
      refusal: { code: 'package_absent', templateId: TEMPLATES.coaching.id, templateName: 'Coaching 6er' },
    });
  });
});

describe('the busy window of a booking with a hold', () => {
  it('narrows to the hold’s therapist and room, and no longer counts as every therapist', () => {
    const request = {
      therapistIds: [1, 2, 3],
      roomIds: [7, 8],
      from: 0,
      to: 1,
      now: 0,
      everyTherapist: true,
    };
    // Every therapist's rows hold every appointment in the rooms; one therapist's do not: the read
    // must look for the others' in the room again.
    expect(holdWindow(request, { therapistId: 2, roomId: 8 })).toEqual({
      therapistIds: [2],
      roomIds: [8],
      from: 0,
      to: 1,
      now: 0,
      everyTherapist: false,
    });
    expect(holdWindow(request, { therapistId: 2, roomId: null })).toMatchObject({
      roomIds: [7, 8],
      everyTherapist: false,
    });
  });
});
