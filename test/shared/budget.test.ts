import { describe, expect, it } from 'vitest';
import {
  appointmentAmount,
  bars,
  checkProposal,
  consumption,
  criteria,
  describeViolation,
  lineAmount,
  type PackageStateInput,
  packageState,
} from '../../shared/budget.ts';
import type {
  AppointmentStatus,
  BudgetAppointment,
  BudgetPackage,
  Instant,
  Limits,
  Proposal,
  ServiceLine,
} from '../../shared/domain.ts';
import { DAY, HOUR, MINUTE } from '../../shared/time.ts';

// Sunday 29 March 2026, 10:00 in Berlin: the day the clocks go forward.
const NOW = Date.UTC(2026, 2, 29, 8);
const PAST = NOW - 2 * DAY;
const FUTURE = NOW + 2 * DAY;

function pkg(limits: Partial<Limits>, over: Partial<BudgetPackage> = {}): BudgetPackage {
  return {
    id: 1,
    templateId: 10,
    name: 'Rezept KG 6×',
    limits: { codeLimits: [], ...limits },
    validFrom: null,
    validUntil: null,
    status: 'active',
    ...over,
  };
}

function line(code: string, quantity = 1, unitPriceCents = 2500): ServiceLine {
  return { code, quantity, unitPriceCents };
}

function appt(
  id: number,
  start: Instant,
  lines: ServiceLine[],
  status: AppointmentStatus = 'booked',
): BudgetAppointment {
  return { id, start, end: start + 30 * MINUTE, status, lines };
}

function proposal(start: Instant, lines: ServiceLine[], id?: number): Proposal {
  return { ...(id === undefined ? {} : { id }), start, end: start + 30 * MINUTE, lines };
}

/** `n` booked appointments with the same lines, one a day from `from`. */
function series(n: number, from: Instant, lines: ServiceLine[], firstId = 1): BudgetAppointment[] {
  return Array.from({ length: n }, (_, i) => appt(firstId + i, from + i * DAY, lines));
}

const kg6 = pkg({ codeLimits: [{ code: 'KG', maxQuantity: 6 }] });

describe('line and appointment amounts', () => {
  it('multiplies quantity by unit price', () => {
    expect(lineAmount(line('KG', 3, 2500))).toBe(7500);
  });

  it('sums every line of an appointment, and is 0 without lines', () => {
    expect(appointmentAmount([line('KG', 2, 2500), line('FANGO', 1, 1200)])).toBe(6200);
    expect(appointmentAmount([])).toBe(0);
  });
});

describe('consumption', () => {
  it('lists only the criteria the package limits, in a stable order', () => {
    const limits: Limits = {
      maxAppointments: 10,
      maxAmountCents: null,
      codeLimits: [
        { code: 'KG', maxQuantity: 6, maxAmountCents: 15000 },
        { code: 'FANGO', maxAmountCents: 5000 },
      ],
    };
    expect(criteria(limits)).toEqual([
      { criterion: 'appointments', limit: 10 },
      { criterion: 'codeQuantity', code: 'KG', limit: 6 },
      { criterion: 'codeAmount', code: 'KG', limit: 15000 },
      { criterion: 'codeAmount', code: 'FANGO', limit: 5000 },
    ]);
    expect(consumption(pkg(limits), [], NOW).map((c) => c.criterion)).toEqual([
      'appointments',
      'codeQuantity',
      'codeAmount',
      'codeAmount',
    ]);
  });

  it('counts one per appointment for the appointment limit, whatever its lines', () => {
    const appointments = [appt(1, FUTURE, [line('KG', 3)]), appt(2, FUTURE, [])];
    expect(consumption(pkg({ maxAppointments: 6 }), appointments, NOW)).toEqual([
      { criterion: 'appointments', limit: 6, used: 0, planned: 2 },
    ]);
  });

  it('sums every line for the amount limit', () => {
    const appointments = [appt(1, FUTURE, [line('KG', 2, 2500), line('FANGO', 1, 1200)])];
    expect(consumption(pkg({ maxAmountCents: 50000 }), appointments, NOW)).toEqual([
      { criterion: 'amount', limit: 50000, used: 0, planned: 6200 },
    ]);
  });

  it('sums the quantities of lines with the code for a code quantity limit', () => {
    const appointments = [
      appt(1, FUTURE, [line('KG', 2), line('FANGO', 5), line('KG', 1)]),
      appt(2, FUTURE, [line('MT', 1)]),
    ];
    expect(consumption(kg6, appointments, NOW)).toEqual([
      { criterion: 'codeQuantity', code: 'KG', limit: 6, used: 0, planned: 3 },
    ]);
  });

  it('sums the amounts of lines with the code for a code amount limit', () => {
    const limited = pkg({ codeLimits: [{ code: 'KG', maxAmountCents: 20000 }] });
    const appointments = [
      appt(1, FUTURE, [line('KG', 2, 2500), line('FANGO', 1, 1200), line('KG', 1, 3000)]),
    ];
    expect(consumption(limited, appointments, NOW)).toEqual([
      { criterion: 'codeAmount', code: 'KG', limit: 20000, used: 0, planned: 8000 },
    ]);
  });

  it('measures every criterion of a combined package from the same appointments', () => {
    const combined = pkg({
      maxAppointments: 10,
      maxAmountCents: 100000,
      codeLimits: [{ code: 'KG', maxQuantity: 6, maxAmountCents: 15000 }],
    });
    const appointments = [
      appt(1, PAST, [line('KG', 2, 2500)]),
      appt(2, FUTURE, [line('KG', 1, 2500), line('MT', 1, 4000)]),
    ];
    expect(consumption(combined, appointments, NOW)).toEqual([
      { criterion: 'appointments', limit: 10, used: 1, planned: 1 },
      { criterion: 'amount', limit: 100000, used: 5000, planned: 6500 },
      { criterion: 'codeQuantity', code: 'KG', limit: 6, used: 2, planned: 1 },
      { criterion: 'codeAmount', code: 'KG', limit: 15000, used: 5000, planned: 2500 },
    ]);
  });

  it('counts an appointment ending exactly at now as used and one ending a millisecond later as planned', () => {
    const endsNow = { ...appt(1, NOW - 30 * MINUTE, [line('KG')]), end: NOW };
    const endsLater = { ...appt(2, NOW - 30 * MINUTE, [line('KG')]), end: NOW + 1 };
    expect(consumption(kg6, [endsNow, endsLater], NOW)).toEqual([
      { criterion: 'codeQuantity', code: 'KG', limit: 6, used: 1, planned: 1 },
    ]);
  });

  it('counts done and no-show appointments, but lets cancelled ones consume nothing', () => {
    const appointments = [
      appt(1, PAST, [line('KG')], 'done'),
      appt(2, PAST, [line('KG')], 'no_show'),
      appt(3, PAST, [line('KG')], 'cancelled'),
      appt(4, FUTURE, [line('KG')], 'cancelled'),
    ];
    expect(consumption(kg6, appointments, NOW)).toEqual([
      { criterion: 'codeQuantity', code: 'KG', limit: 6, used: 2, planned: 0 },
    ]);
  });

  it('leaves out the appointment being edited', () => {
    const appointments = series(3, FUTURE, [line('KG')]);
    expect(consumption(kg6, appointments, NOW, { excludeAppointmentId: 2 })[0]?.planned).toBe(2);
  });
});

describe('checking a proposal', () => {
  describe('each criterion alone', () => {
    it('admits appointments up to the appointment limit and refuses one beyond it', () => {
      const max3 = pkg({ maxAppointments: 3 });
      expect(checkProposal(max3, series(2, FUTURE, []), proposal(NOW + DAY, []), NOW)).toEqual({ ok: true });
      expect(checkProposal(max3, series(3, FUTURE, []), proposal(NOW + DAY, []), NOW)).toEqual({
        ok: false,
        violations: [{ kind: 'limit', criterion: 'appointments', limit: 3, current: 3, requested: 1 }],
      });
    });

    it('admits an amount exactly up to the limit and refuses a cent more', () => {
      const max100 = pkg({ maxAmountCents: 10000 });
      const booked = [appt(1, PAST, [line('KG', 2, 2500)]), appt(2, FUTURE, [line('MT', 1, 2500)])];
      expect(checkProposal(max100, booked, proposal(NOW + DAY, [line('KG', 1, 2500)]), NOW).ok).toBe(true);
      expect(checkProposal(max100, booked, proposal(NOW + DAY, [line('KG', 1, 2501)]), NOW)).toEqual({
        ok: false,
        violations: [{ kind: 'limit', criterion: 'amount', limit: 10000, current: 7500, requested: 2501 }],
      });
    });

    it('does not need the amount limit for an appointment that costs nothing', () => {
      const spent = pkg({ maxAmountCents: 5000 });
      const booked = [appt(1, FUTURE, [line('KG', 2, 2500)])];
      expect(checkProposal(spent, booked, proposal(NOW + DAY, [line('BERATUNG', 1, 0)]), NOW)).toEqual({
        ok: true,
      });
    });

    it('admits a code quantity up to the limit and refuses more', () => {
      const booked = series(4, FUTURE, [line('KG')]);
      expect(checkProposal(kg6, booked, proposal(NOW + DAY, [line('KG', 2)]), NOW).ok).toBe(true);
      expect(checkProposal(kg6, booked, proposal(NOW + DAY, [line('KG', 3)]), NOW)).toEqual({
        ok: false,
        violations: [
          { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 4, requested: 3 },
        ],
      });
    });

    it('admits a code amount up to the limit and refuses more, counting only that code', () => {
      const kg150 = pkg({ codeLimits: [{ code: 'KG', maxAmountCents: 15000 }] });
      const booked = [appt(1, FUTURE, [line('KG', 4, 2500), line('MT', 9, 5000)])];
      expect(checkProposal(kg150, booked, proposal(NOW + DAY, [line('KG', 2, 2500)]), NOW).ok).toBe(true);
      expect(checkProposal(kg150, booked, proposal(NOW + DAY, [line('KG', 2, 2600)]), NOW)).toEqual({
        ok: false,
        violations: [
          {
            kind: 'limit',
            criterion: 'codeAmount',
            code: 'KG',
            limit: 15000,
            current: 10000,
            requested: 5200,
          },
        ],
      });
    });
  });

  it('lets a Fango-only appointment through after six KG sessions, but refuses a seventh KG', () => {
    const prescription = pkg({
      codeLimits: [
        { code: 'KG', maxQuantity: 6 },
        { code: 'FANGO', maxQuantity: 3 },
      ],
    });
    const sixKg = series(6, PAST, [line('KG')]);
    expect(checkProposal(prescription, sixKg, proposal(FUTURE, [line('FANGO')]), NOW)).toEqual({ ok: true });
    expect(checkProposal(prescription, sixKg, proposal(FUTURE, [line('KG'), line('FANGO')]), NOW)).toEqual({
      ok: false,
      violations: [
        { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 6, requested: 1 },
      ],
    });
  });

  it('returns every violation in a stable order: closed, not valid, then the limits in criteria order', () => {
    const everythingWrong = pkg(
      {
        maxAppointments: 1,
        maxAmountCents: 1000,
        codeLimits: [{ code: 'KG', maxQuantity: 1, maxAmountCents: 1000 }],
      },
      { status: 'closed', validUntil: NOW },
    );
    const result = checkProposal(
      everythingWrong,
      [appt(1, PAST, [line('KG', 1, 1000)])],
      proposal(FUTURE, [line('KG')]),
      NOW,
    );
    expect(result).toEqual({
      ok: false,
      violations: [
        { kind: 'closed' },
        { kind: 'not_valid', validFrom: null, validUntil: NOW, at: FUTURE },
        { kind: 'limit', criterion: 'appointments', limit: 1, current: 1, requested: 1 },
        { kind: 'limit', criterion: 'amount', limit: 1000, current: 1000, requested: 2500 },
        { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 1, current: 1, requested: 1 },
        { kind: 'limit', criterion: 'codeAmount', code: 'KG', limit: 1000, current: 1000, requested: 2500 },
      ],
    });
  });

  describe('validity', () => {
    const from = Date.UTC(2026, 2, 1);
    const until = Date.UTC(2026, 3, 1);
    const march = pkg({ maxAppointments: 6 }, { validFrom: from, validUntil: until });

    it('is valid exactly at validFrom', () => {
      expect(checkProposal(march, [], proposal(from, []), NOW)).toEqual({ ok: true });
    });

    it('is not valid a millisecond before validFrom', () => {
      expect(checkProposal(march, [], proposal(from - 1, []), NOW)).toEqual({
        ok: false,
        violations: [{ kind: 'not_valid', validFrom: from, validUntil: until, at: from - 1 }],
      });
    });

    it('is valid a millisecond before validUntil and not valid exactly at it', () => {
      expect(checkProposal(march, [], proposal(until - 1, []), NOW).ok).toBe(true);
      expect(checkProposal(march, [], proposal(until, []), NOW)).toEqual({
        ok: false,
        violations: [{ kind: 'not_valid', validFrom: from, validUntil: until, at: until }],
      });
    });

    it('treats a missing bound as open', () => {
      const noEnd = pkg({ maxAppointments: 6 }, { validFrom: from });
      const noStart = pkg({ maxAppointments: 6 }, { validUntil: until });
      expect(checkProposal(noEnd, [], proposal(Date.UTC(2099, 0, 1), []), NOW).ok).toBe(true);
      expect(checkProposal(noStart, [], proposal(Date.UTC(2000, 0, 1), []), NOW).ok).toBe(true);
    });
  });

  it('refuses any appointment for a closed package, even with budget left', () => {
    const closed = pkg({ maxAppointments: 6 }, { status: 'closed' });
    expect(checkProposal(closed, [], proposal(FUTURE, []), NOW)).toEqual({
      ok: false,
      violations: [{ kind: 'closed' }],
    });
  });

  it('checks one appointment against each of its packages: it is refused when one of them is full', () => {
    const prescription = pkg({ codeLimits: [{ code: 'KG', maxQuantity: 6 }] }, { id: 1 });
    const insurer = pkg({ maxAmountCents: 10000 }, { id: 2, name: 'Kasse 2026' });
    const booked = series(3, PAST, [line('KG', 1, 3000)]);
    const next = proposal(FUTURE, [line('KG', 1, 3000)]);
    const results = [prescription, insurer].map((p) => checkProposal(p, booked, next, NOW));
    expect(results).toEqual([
      { ok: true },
      {
        ok: false,
        violations: [{ kind: 'limit', criterion: 'amount', limit: 10000, current: 9000, requested: 3000 }],
      },
    ]);
  });

  describe('editing an appointment', () => {
    const six = series(6, FUTURE, [line('KG')]);

    it('never counts the old lines twice: at limit 6, editing one of the six is still ok', () => {
      expect(checkProposal(kg6, six, proposal(FUTURE + HOUR, [line('KG')], 4), NOW)).toEqual({ ok: true });
    });

    it('refuses raising the quantity of one of the six', () => {
      expect(checkProposal(kg6, six, proposal(FUTURE, [line('KG', 2)], 4), NOW)).toEqual({
        ok: false,
        violations: [
          { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 5, requested: 2 },
        ],
      });
    });

    it('admits lowering the quantity of an appointment in a package that is over its limit', () => {
      const booked = [...series(5, FUTURE, [line('KG')]), appt(6, FUTURE, [line('KG', 3)])];
      expect(checkProposal(kg6, booked, proposal(FUTURE, [line('KG', 1)], 6), NOW).ok).toBe(true);
    });
  });

  it('releases the budget when an appointment is cancelled', () => {
    const six = series(6, FUTURE, [line('KG')]);
    const next = proposal(FUTURE + 10 * DAY, [line('KG')]);
    expect(checkProposal(kg6, six, next, NOW).ok).toBe(false);
    const oneCancelled = six.map((a) => (a.id === 3 ? { ...a, status: 'cancelled' as const } : a));
    expect(checkProposal(kg6, oneCancelled, next, NOW)).toEqual({ ok: true });
  });
});

describe('describing a violation', () => {
  it('names the package, the criterion, the limit and what was asked', () => {
    expect(
      describeViolation(
        { kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 6, requested: 1 },
        'Rezept KG 6×',
      ),
    ).toBe('Paket "Rezept KG 6×": KG quantity limit 6, 6 already planned/used, 1 requested');
  });

  it('shows amounts in euros', () => {
    expect(
      describeViolation(
        { kind: 'limit', criterion: 'amount', limit: 30000, current: 27550, requested: 5005 },
        'Kasse',
      ),
    ).toBe('Paket "Kasse": amount limit €300.00, €275.50 already planned/used, €50.05 requested');
    expect(
      describeViolation(
        { kind: 'limit', criterion: 'codeAmount', code: 'MT', limit: 9000, current: 0, requested: 9001 },
        'MT',
      ),
    ).toBe('Paket "MT": MT amount limit €90.00, €0.00 already planned/used, €90.01 requested');
  });

  it('describes the appointment limit, a closed package and a package not valid then', () => {
    expect(
      describeViolation(
        { kind: 'limit', criterion: 'appointments', limit: 10, current: 10, requested: 1 },
        'Zehnerkarte',
      ),
    ).toBe('Paket "Zehnerkarte": appointment limit 10, 10 already planned/used, 1 requested');
    expect(describeViolation({ kind: 'closed' }, 'Zehnerkarte')).toBe('Paket "Zehnerkarte": closed');
    expect(
      describeViolation(
        {
          kind: 'not_valid',
          validFrom: Date.UTC(2026, 0, 1),
          validUntil: null,
          at: Date.UTC(2025, 11, 31, 9),
        },
        'Kasse 2026',
      ),
    ).toBe(
      'Paket "Kasse 2026": not valid at 2025-12-31T09:00:00.000Z (valid from 2026-01-01T00:00:00.000Z until open)',
    );
  });
});

describe('package state', () => {
  const TEMPLATE = 10;
  const kgLine = [line('KG')];

  function state(over: Partial<PackageStateInput>) {
    return packageState({
      packages: [],
      appointmentsByPackage: new Map(),
      excludedTemplateIds: [],
      templateId: TEMPLATE,
      lines: kgLine,
      start: FUTURE,
      end: FUTURE + 30 * MINUTE,
      now: NOW,
      ...over,
    });
  }

  it('is excluded when the file is excluded from the template, before anything else', () => {
    expect(state({ packages: [kg6], excludedTemplateIds: new Set([TEMPLATE]) })).toEqual({
      state: 'excluded',
    });
    expect(state({ packages: [], excludedTemplateIds: [3, TEMPLATE] })).toEqual({ state: 'excluded' });
  });

  it('is absent when the file has no package of the template', () => {
    const other = pkg({ maxAppointments: 6 }, { templateId: 99 });
    expect(state({ packages: [other], excludedTemplateIds: new Set([99]) })).toEqual({ state: 'absent' });
  });

  it('is present with the remaining budget when a package admits the chain', () => {
    const max6 = pkg({ maxAppointments: 6, codeLimits: [{ code: 'KG', maxQuantity: 6 }] });
    const booked = [
      ...series(3, PAST, kgLine),
      appt(4, FUTURE + DAY, kgLine),
      appt(5, FUTURE + 2 * DAY, kgLine, 'cancelled'),
    ];
    expect(state({ packages: [max6], appointmentsByPackage: new Map([[1, booked]]) })).toEqual({
      state: 'present',
      package: max6,
      remaining: [
        { criterion: 'appointments', limit: 6, remaining: 2 },
        { criterion: 'codeQuantity', code: 'KG', limit: 6, remaining: 2 },
      ],
    });
  });

  it('chooses the package that ends soonest, an open end last and the lower id on a tie', () => {
    const limits = { maxAppointments: 6 };
    const open = pkg(limits, { id: 1 });
    const april = pkg(limits, { id: 2, validUntil: Date.UTC(2026, 4, 1) });
    const aprilToo = pkg(limits, { id: 3, validUntil: Date.UTC(2026, 4, 1) });
    const chosen = (packages: BudgetPackage[]) => {
      const s = state({ packages });
      return s.state === 'present' ? s.package.id : s.state;
    };
    expect(chosen([open, aprilToo, april])).toBe(2);
    expect(chosen([aprilToo, open])).toBe(3);
    expect(chosen([open])).toBe(1);
  });

  it('passes over packages that cannot take the chain then', () => {
    const full = pkg({ codeLimits: [{ code: 'KG', maxQuantity: 6 }] }, { id: 1, validUntil: FUTURE + DAY });
    const closed = pkg({ maxAppointments: 6 }, { id: 2, status: 'closed', validUntil: FUTURE + DAY });
    const expired = pkg({ maxAppointments: 6 }, { id: 3, validUntil: FUTURE });
    const roomy = pkg({ maxAppointments: 6 }, { id: 4, validUntil: FUTURE + 30 * DAY });
    const s = state({
      packages: [full, closed, expired, roomy],
      appointmentsByPackage: new Map([[1, series(6, PAST, kgLine)]]),
    });
    expect(s.state === 'present' && s.package.id).toBe(4);
  });

  it('is exhausted once the sixth KG session is planned', () => {
    const booked = series(6, FUTURE + DAY, kgLine);
    expect(state({ packages: [kg6], appointmentsByPackage: new Map([[1, booked]]) })).toEqual({
      state: 'exhausted',
      reasons: ['budget'],
    });
  });

  it('is exhausted, not absent, when the only package of the template is closed', () => {
    const closed = pkg({ maxAppointments: 6 }, { status: 'closed' });
    expect(state({ packages: [closed] })).toEqual({ state: 'exhausted', reasons: ['closed'] });
  });

  it('is exhausted with every reason that stopped a package, in a fixed order', () => {
    const full = pkg({ codeLimits: [{ code: 'KG', maxQuantity: 6 }] }, { id: 1 });
    const closed = pkg({ maxAppointments: 6 }, { id: 2, status: 'closed' });
    const expired = pkg({ maxAppointments: 6 }, { id: 3, validUntil: FUTURE });
    const later = pkg({ maxAppointments: 6 }, { id: 4, validFrom: FUTURE + 365 * 86_400_000 });
    expect(
      state({
        packages: [full, expired, later, closed],
        appointmentsByPackage: new Map([[1, series(6, PAST, kgLine)]]),
      }),
    ).toEqual({ state: 'exhausted', reasons: ['closed', 'not_yet_valid', 'expired', 'budget'] });
  });
});

describe('budget bars', () => {
  const max100 = pkg({ maxAmountCents: 10000 });
  const colourAt = (cents: number) => bars(max100, [appt(1, PAST, [line('KG', 1, cents)])], NOW)[0]?.colour;

  it('is green at 74 %, amber at 75 % and 99 %, red at 100 %', () => {
    expect([7400, 7499, 7500, 9900, 9999, 10000].map(colourAt)).toEqual([
      'green',
      'green',
      'amber',
      'amber',
      'amber',
      'red',
    ]);
  });

  it('splits used and planned at now, without a draft', () => {
    const booked = [appt(1, PAST, [line('KG')]), appt(2, FUTURE, [line('KG', 2)])];
    expect(bars(kg6, booked, NOW)).toEqual([
      {
        criterion: 'codeQuantity',
        code: 'KG',
        limit: 6,
        used: 1,
        planned: 2,
        draft: 0,
        ratio: 0.5,
        colour: 'green',
      },
    ]);
  });

  it('adds what a new draft needs', () => {
    const booked = series(3, NOW - 5 * DAY, [line('KG')]);
    expect(bars(kg6, booked, NOW, proposal(FUTURE, [line('KG', 2)]))).toEqual([
      {
        criterion: 'codeQuantity',
        code: 'KG',
        limit: 6,
        used: 3,
        planned: 0,
        draft: 2,
        ratio: 5 / 6,
        colour: 'amber',
      },
    ]);
  });

  it('shows an edited draft instead of its saved version, as the bars will be after saving', () => {
    const booked = series(6, FUTURE, [line('KG')]);
    expect(bars(kg6, booked, NOW, proposal(FUTURE, [line('KG')], 6))[0]).toMatchObject({
      planned: 5,
      draft: 1,
      ratio: 1,
      colour: 'red',
    });
    expect(bars(kg6, booked, NOW, proposal(FUTURE, [], 6))[0]).toMatchObject({
      planned: 5,
      draft: 0,
      colour: 'amber',
    });
  });

  it('shows a draft that would be refused above 100 % in red', () => {
    const booked = series(6, FUTURE, [line('KG')]);
    expect(bars(kg6, booked, NOW, proposal(FUTURE, [line('KG')]))[0]).toMatchObject({
      ratio: 7 / 6,
      colour: 'red',
    });
  });

  it('shows a limit of 0 as full and red', () => {
    const none = pkg({ codeLimits: [{ code: 'KG', maxQuantity: 0 }] });
    expect(bars(none, [], NOW)[0]).toMatchObject({ limit: 0, used: 0, ratio: 1, colour: 'red' });
  });
});
