import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bars,
  type CheckResult,
  type CriterionLimit,
  checkProposal,
  consumption,
  criteria,
} from '../../shared/budget.ts';
import type {
  BudgetAppointment,
  BudgetPackage,
  Instant,
  Limits,
  Proposal,
  ServiceLine,
} from '../../shared/domain.ts';
import { DAY, MINUTE } from '../../shared/time.ts';

const T0 = Date.UTC(2026, 2, 29, 8);
const CODES = ['KG', 'MT', 'FANGO'] as const;
type Code = (typeof CODES)[number];
type Prices = Record<Code, number>;

const optional = (arb: fc.Arbitrary<number>) => fc.option(arb, { nil: null });

const limitsArb: fc.Arbitrary<Limits> = fc
  .record({
    maxAppointments: optional(fc.integer({ min: 0, max: 8 })),
    maxAmountCents: optional(fc.integer({ min: 0, max: 60_000 })),
    codeLimits: fc.uniqueArray(
      fc.record({
        code: fc.constantFrom(...CODES),
        maxQuantity: optional(fc.integer({ min: 0, max: 8 })),
        maxAmountCents: optional(fc.integer({ min: 0, max: 40_000 })),
      }),
      { minLength: 1, maxLength: 3, selector: (c) => c.code },
    ),
  })
  .filter((limits) => criteria(limits).length > 0);

const packageArb: fc.Arbitrary<BudgetPackage> = fc.record({
  id: fc.constant(1),
  templateId: fc.constant(10),
  name: fc.constant('Paket'),
  limits: limitsArb,
  validFrom: optional(fc.integer({ min: -10, max: 5 }).map((days) => T0 + days * DAY)),
  validUntil: optional(fc.integer({ min: 5, max: 40 }).map((days) => T0 + days * DAY)),
  status: fc.constant('active' as const),
});

const pricesArb: fc.Arbitrary<Prices> = fc.record({
  KG: fc.integer({ min: 0, max: 8000 }),
  MT: fc.integer({ min: 0, max: 8000 }),
  FANGO: fc.integer({ min: 0, max: 8000 }),
});

/** Lines as code × quantity; prices are applied from the scenario's price list. */
const linesArb: fc.Arbitrary<Lines> = fc.array(
  fc.record({ code: fc.constantFrom(...CODES), quantity: fc.integer({ min: 1, max: 3 }) }),
  { maxLength: 3 },
);
type Lines = { code: Code; quantity: number }[];

const offsetMinutesArb = fc.integer({ min: -3 * 24 * 60, max: 30 * 24 * 60 });

/** A new appointment at an offset from now (it may lie in the past), or an edit of an existing one. */
const draftArb: fc.Arbitrary<Draft> = fc.record({
  lines: linesArb,
  offsetMinutes: offsetMinutesArb,
  edit: fc.option(fc.nat(), { nil: null }),
});
type Draft = { lines: Lines; offsetMinutes: number; edit: number | null };

type Operation =
  | { kind: 'propose'; lines: Lines; offsetMinutes: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'edit'; pick: number; lines: Lines }
  | { kind: 'advance'; minutes: number };

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('propose' as const),
      lines: linesArb,
      offsetMinutes: offsetMinutesArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('edit' as const), pick: fc.nat(), lines: linesArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      minutes: fc.integer({ min: 1, max: 3 * 24 * 60 }),
    }),
  },
);

const stepArb = fc.record({ operation: operationArb, draft: draftArb });

function priced(lines: Lines, prices: Prices): ServiceLine[] {
  return lines.map(({ code, quantity }) => ({ code, quantity, unitPriceCents: prices[code] }));
}

function at(now: Instant, offsetMinutes: number): { start: Instant; end: Instant } {
  const start = now + offsetMinutes * MINUTE;
  return { start, end: start + 30 * MINUTE };
}

/** The scenario's state: the package's appointments and the moment. */
class Ledger {
  appointments: BudgetAppointment[] = [];
  now: Instant = T0;
  private nextId = 1;

  constructor(
    readonly pkg: BudgetPackage,
    readonly prices: Prices,
  ) {}

  live(): BudgetAppointment[] {
    return this.appointments.filter((a) => a.status !== 'cancelled');
  }

  pick(n: number): BudgetAppointment | undefined {
    const live = this.live();
    return live[n % Math.max(1, live.length)];
  }

  check(proposal: Proposal): CheckResult {
    return checkProposal(this.pkg, this.appointments, proposal, this.now);
  }

  apply(operation: Operation): void {
    switch (operation.kind) {
      case 'propose': {
        const proposal = {
          ...at(this.now, operation.offsetMinutes),
          lines: priced(operation.lines, this.prices),
        };
        if (this.check(proposal).ok)
          this.appointments.push({ id: this.nextId++, status: 'booked', ...proposal });
        return;
      }
      case 'edit': {
        const old = this.pick(operation.pick);
        if (!old) return;
        const proposal = {
          id: old.id,
          start: old.start,
          end: old.end,
          lines: priced(operation.lines, this.prices),
        };
        if (this.check(proposal).ok) {
          this.appointments = this.appointments.map((a) =>
            a.id === old.id ? { ...a, lines: proposal.lines } : a,
          );
        }
        return;
      }
      case 'cancel': {
        const old = this.pick(operation.pick);
        if (!old) return;
        this.appointments = this.appointments.map((a) =>
          a.id === old.id ? { ...a, status: 'cancelled' } : a,
        );
        return;
      }
      case 'advance':
        this.now += operation.minutes * MINUTE;
        return;
    }
  }

  proposalFor(draft: Draft): Proposal {
    const lines = priced(draft.lines, this.prices);
    const edited = draft.edit === null ? undefined : this.pick(draft.edit);
    return edited
      ? { id: edited.id, start: edited.start, end: edited.end, lines }
      : { ...at(this.now, draft.offsetMinutes), lines };
  }
}

type Named = Pick<CriterionLimit, 'criterion' | 'code'>;
const sameCriterion = (a: Named) => (b: Named) => a.criterion === b.criterion && a.code === b.code;

describe('package budget, for any sequence of bookings, edits, cancellations and passing time', () => {
  it('never lets any criterion exceed its limit, and the bars always agree with the check', () => {
    fc.assert(
      fc.property(
        packageArb,
        pricesArb,
        fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }),
        (pkg, prices, steps) => {
          const ledger = new Ledger(pkg, prices);
          for (const { operation, draft } of steps) {
            ledger.apply(operation);

            for (const use of consumption(pkg, ledger.appointments, ledger.now)) {
              expect(use.used + use.planned).toBeLessThanOrEqual(use.limit);
            }

            const proposal = ledger.proposalFor(draft);
            const result = ledger.check(proposal);
            const limitViolations = result.ok
              ? []
              : result.violations.flatMap((v) => (v.kind === 'limit' ? [v] : []));
            const shown = bars(pkg, ledger.appointments, ledger.now, proposal);
            for (const bar of shown) {
              const total = bar.used + bar.planned + bar.draft;
              const refused = limitViolations.filter(sameCriterion(bar));
              expect(refused.length).toBe(bar.draft > 0 && total > bar.limit ? 1 : 0);
              for (const v of refused)
                expect([v.current, v.requested]).toEqual([bar.used + bar.planned, bar.draft]);
              if (refused.length > 0) expect(bar.colour).toBe('red');
            }
            expect(limitViolations.every((v) => shown.some(sameCriterion(v)))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
