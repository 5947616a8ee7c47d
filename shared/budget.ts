/**
 * The package budget core: what a package's appointments consume, whether a proposed appointment
 * fits, the package state for a chain, and the budget bars.
 *
 * Pure functions of plain data: no clock, no database; `now` is an argument. The server's check and
 * the bars staff see while editing are computed by the same code, so they always agree.
 */

import type { BudgetAppointment, BudgetPackage, Instant, Limits, Proposal, ServiceLine } from './domain.ts';

/** What a limit counts: appointments, total amount, or quantity / amount of one service code. */
export type Criterion = 'appointments' | 'amount' | 'codeQuantity' | 'codeAmount';

/** One limited criterion of a package. `code` is set for the code criteria only. */
export interface CriterionLimit {
  criterion: Criterion;
  code?: string;
  limit: number;
}

/** How much of one criterion is consumed: by past appointments (`used`) and future ones (`planned`). */
export interface CriterionUse extends CriterionLimit {
  used: number;
  planned: number;
}

/** A proposal's reach over a limit. `current` excludes the proposal's own saved version. */
export interface LimitViolation extends CriterionLimit {
  kind: 'limit';
  current: number;
  requested: number;
}

export type Violation =
  | LimitViolation
  | { kind: 'closed' }
  | { kind: 'not_valid'; validFrom: Instant | null; validUntil: Instant | null; at: Instant };

export type CheckResult = { ok: true } | { ok: false; violations: Violation[] };

export type BarColour = 'green' | 'amber' | 'red';

/** One budget bar: consumption of a criterion plus what a draft adds. */
export interface Bar extends CriterionUse {
  draft: number;
  ratio: number;
  colour: BarColour;
}

export interface CriterionRemaining extends CriterionLimit {
  remaining: number;
}

/** What is left of each criterion, e.g. "noch 2 von 6 Terminen". */
export type RemainingBudget = CriterionRemaining[];

export type ExhaustedReason = 'closed' | 'not_yet_valid' | 'expired' | 'budget';

export type PackageState =
  | { state: 'excluded' }
  | { state: 'absent' }
  | { state: 'present'; package: BudgetPackage; remaining: RemainingBudget }
  | { state: 'exhausted'; reasons: ExhaustedReason[] };

export interface PackageStateInput {
  /** The client file's packages, of any template and status. */
  packages: readonly BudgetPackage[];
  /** Each package's assigned appointments, by package id. */
  appointmentsByPackage: ReadonlyMap<number, readonly BudgetAppointment[]>;
  /** Templates the client file is excluded from. */
  excludedTemplateIds: ReadonlySet<number> | readonly number[];
  templateId: number;
  /** The chain's service lines at current prices. */
  lines: readonly ServiceLine[];
  start: Instant;
  end: Instant;
  now: Instant;
}

/**
 * The amount of one service line in cents.
 * @example lineAmount({ code: 'KG', quantity: 2, unitPriceCents: 2500 }) === 5000
 */
export function lineAmount(line: ServiceLine): number {
  return line.quantity * line.unitPriceCents;
}

/**
 * The amount of an appointment's lines in cents.
 * @example appointmentAmount([{ code: 'KG', quantity: 2, unitPriceCents: 2500 }, { code: 'FANGO', quantity: 1, unitPriceCents: 1200 }]) === 6200
 */
export function appointmentAmount(lines: readonly ServiceLine[]): number {
  return lines.reduce((sum, line) => sum + lineAmount(line), 0);
}

/**
 * The criteria a package's limits actually limit, in a stable order: appointments, amount, then
 * per code limit its quantity and amount.
 * @example criteria({ maxAppointments: 6, codeLimits: [{ code: 'KG', maxQuantity: 6 }] })
 *   // [{ criterion: 'appointments', limit: 6 }, { criterion: 'codeQuantity', code: 'KG', limit: 6 }]
 */
export function criteria(limits: Limits): CriterionLimit[] {
  const result: CriterionLimit[] = [];
  if (limits.maxAppointments != null)
    result.push({ criterion: 'appointments', limit: limits.maxAppointments });
  if (limits.maxAmountCents != null) result.push({ criterion: 'amount', limit: limits.maxAmountCents });
  for (const { code, maxQuantity, maxAmountCents } of limits.codeLimits) {
    if (maxQuantity != null) result.push({ criterion: 'codeQuantity', code, limit: maxQuantity });
    if (maxAmountCents != null) result.push({ criterion: 'codeAmount', code, limit: maxAmountCents });
  }
  return result;
}

/**
 * What one appointment's lines consume of a criterion. An appointment *needs* a criterion when this
 * is above 0 (every appointment needs 'appointments').
 * @example demand({ criterion: 'codeQuantity', code: 'KG' }, [{ code: 'KG', quantity: 2, unitPriceCents: 2500 }]) === 2
 */
export function demand(
  { criterion, code }: Pick<CriterionLimit, 'criterion' | 'code'>,
  lines: readonly ServiceLine[],
): number {
  const ofCode = lines.filter((line) => line.code === code);
  switch (criterion) {
    case 'appointments':
      return 1;
    case 'amount':
      return appointmentAmount(lines);
    case 'codeQuantity':
      return ofCode.reduce((sum, line) => sum + line.quantity, 0);
    case 'codeAmount':
      return appointmentAmount(ofCode);
  }
}

/**
 * True when the package is valid at `at`: validity is the half-open interval [validFrom, validUntil),
 * a null bound is open.
 * @example isValidAt({ validFrom: null, validUntil: Date.UTC(2026, 3, 1), ... }, Date.UTC(2026, 3, 1)) === false
 */
export function isValidAt(pkg: Pick<BudgetPackage, 'validFrom' | 'validUntil'>, at: Instant): boolean {
  return (pkg.validFrom === null || at >= pkg.validFrom) && (pkg.validUntil === null || at < pkg.validUntil);
}

/**
 * Consumption per limited criterion. Cancelled appointments consume nothing; an appointment that has
 * ended by `now` (end <= now) is used, any other is planned. `excludeAppointmentId` leaves one out.
 * @example consumption(pkgMax6Appointments, [pastAppointment, futureAppointment], now)
 *   // [{ criterion: 'appointments', limit: 6, used: 1, planned: 1 }]
 */
export function consumption(
  pkg: BudgetPackage,
  appointments: readonly BudgetAppointment[],
  now: Instant,
  options: { excludeAppointmentId?: number } = {},
): CriterionUse[] {
  const counted = appointments.filter(
    (a) => a.status !== 'cancelled' && a.id !== options.excludeAppointmentId,
  );
  return criteria(pkg.limits).map((c) => {
    let used = 0;
    let planned = 0;
    for (const a of counted) {
      if (a.end <= now) used += demand(c, a.lines);
      else planned += demand(c, a.lines);
    }
    return { ...c, used, planned };
  });
}

/**
 * The budget bars of a package, one per criterion. With a draft, `draft` is what it adds; a draft
 * with an `id` replaces that appointment's saved version, so the bars show the state after saving.
 * Green below 75 %, amber from 75 % up to below 100 %, red at or above 100 % (limit 0 is red).
 * @example bars(pkgMax4Appointments, threeAppointments, now)[0]
 *   // { criterion: 'appointments', limit: 4, used: 3, planned: 0, draft: 0, ratio: 0.75, colour: 'amber' }
 */
export function bars(
  pkg: BudgetPackage,
  appointments: readonly BudgetAppointment[],
  now: Instant,
  draft?: Proposal,
): Bar[] {
  return consumption(pkg, appointments, now, { excludeAppointmentId: draft?.id }).map((use) => {
    const added = draft ? demand(use, draft.lines) : 0;
    const total = use.used + use.planned + added;
    return {
      ...use,
      draft: added,
      ratio: use.limit > 0 ? total / use.limit : 1,
      colour: colourOf(total, use.limit),
    };
  });
}

function colourOf(total: number, limit: number): BarColour {
  if (total * 4 < limit * 3) return 'green';
  return total < limit ? 'amber' : 'red';
}

/**
 * Whether a proposed appointment (new, or an edit when it has an `id`) may be assigned to the
 * package. Returns every violation, in order: closed, not valid, then limits in criteria order. A
 * limit is violated only when the proposal needs its criterion and would take it above the limit.
 * @example checkProposal(kg6Package, sixKgAppointments, fangoOnlyProposal, now) // { ok: true }
 */
export function checkProposal(
  pkg: BudgetPackage,
  appointments: readonly BudgetAppointment[],
  proposal: Proposal,
  now: Instant,
): CheckResult {
  const violations: Violation[] = [];
  if (pkg.status === 'closed') violations.push({ kind: 'closed' });
  if (!isValidAt(pkg, proposal.start)) {
    violations.push({
      kind: 'not_valid',
      validFrom: pkg.validFrom,
      validUntil: pkg.validUntil,
      at: proposal.start,
    });
  }
  for (const { criterion, code, limit, used, planned, draft } of bars(pkg, appointments, now, proposal)) {
    if (draft > 0 && used + planned + draft > limit) {
      violations.push({
        kind: 'limit',
        criterion,
        ...(code === undefined ? {} : { code }),
        limit,
        current: used + planned,
        requested: draft,
      });
    }
  }
  return violations.length === 0 ? { ok: true } : { ok: false, violations };
}

/**
 * A short English message for a refusal, naming package, criterion, limit and what was asked.
 * @example describeViolation({ kind: 'limit', criterion: 'codeQuantity', code: 'KG', limit: 6, current: 6, requested: 1 }, 'Rezept KG 6×')
 *   // 'Paket "Rezept KG 6×": KG quantity limit 6, 6 already planned/used, 1 requested'
 */
export function describeViolation(v: Violation, pkgName: string): string {
  const prefix = `Paket "${pkgName}": `;
  switch (v.kind) {
    case 'closed':
      return `${prefix}closed`;
    case 'not_valid':
      return `${prefix}not valid at ${iso(v.at)} (valid from ${iso(v.validFrom)} until ${iso(v.validUntil)})`;
    case 'limit': {
      const money = v.criterion === 'amount' || v.criterion === 'codeAmount';
      const show = money ? euros : String;
      const what = {
        appointments: 'appointment',
        amount: 'amount',
        codeQuantity: `${v.code} quantity`,
        codeAmount: `${v.code} amount`,
      }[v.criterion];
      return `${prefix}${what} limit ${show(v.limit)}, ${show(v.current)} already planned/used, ${show(v.requested)} requested`;
    }
  }
}

function iso(at: Instant | null): string {
  return at === null ? 'open' : new Date(at).toISOString();
}

/** Integer cents as euros, e.g. `euros(30050) === '€300.50'`. */
function euros(cents: number): string {
  return `€${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/**
 * The state of a template's packages for one client file, one chain and one moment:
 * excluded, absent (no package of the template, any status), present (an active package valid at
 * `start` that admits the chain's lines; of several, the one whose validUntil is soonest, open-ended
 * last, then the lower id) or exhausted (with every reason that stopped a package: closed, not
 * valid yet, expired, budget).
 * @example packageState({ packages: [], appointmentsByPackage: new Map(), excludedTemplateIds: [], templateId: 1, lines, start, end, now })
 *   // { state: 'absent' }
 */
export function packageState(input: PackageStateInput): PackageState {
  const { packages, appointmentsByPackage, excludedTemplateIds, templateId, lines, start, end, now } = input;
  if (new Set(excludedTemplateIds).has(templateId)) return { state: 'excluded' };

  const ofTemplate = packages.filter((p) => p.templateId === templateId);
  if (ofTemplate.length === 0) return { state: 'absent' };

  const proposal: Proposal = { start, end, lines: [...lines] };
  const fitting: BudgetPackage[] = [];
  const reasons = new Set<ExhaustedReason>();
  for (const pkg of ofTemplate) {
    const result = checkProposal(pkg, appointmentsByPackage.get(pkg.id) ?? [], proposal, now);
    if (result.ok) fitting.push(pkg);
    else for (const v of result.violations) reasons.add(exhaustedReason(v));
  }

  const chosen = fitting.sort(endsSooner)[0];
  if (!chosen) {
    const order: ExhaustedReason[] = ['closed', 'not_yet_valid', 'expired', 'budget'];
    return { state: 'exhausted', reasons: order.filter((r) => reasons.has(r)) };
  }
  const remaining = consumption(chosen, appointmentsByPackage.get(chosen.id) ?? [], now).map(
    ({ used, planned, ...c }) => ({ ...c, remaining: Math.max(0, c.limit - used - planned) }),
  );
  return { state: 'present', package: chosen, remaining };
}

function exhaustedReason(v: Violation): ExhaustedReason {
  switch (v.kind) {
    case 'limit':
      return 'budget';
    case 'closed':
      return 'closed';
    case 'not_valid':
      return v.validFrom !== null && v.at < v.validFrom ? 'not_yet_valid' : 'expired';
  }
}

function endsSooner(a: BudgetPackage, b: BudgetPackage): number {
  const aEnd = a.validUntil ?? Number.POSITIVE_INFINITY;
  const bEnd = b.validUntil ?? Number.POSITIVE_INFINITY;
  return aEnd === bEnd ? a.id - b.id : aEnd < bEnd ? -1 : 1;
}

/**
 * New limits for a package that already has appointments: the criteria its used and planned
 * appointments would exceed (a limit is never set below what is already used and planned).
 * @example limitsBelowUse(pkg, { ...pkg.limits, maxAppointments: 3 }, fourAppointments, now)
 *   // [{ criterion: 'appointments', limit: 3, used: 2, planned: 2 }]
 */
export function limitsBelowUse(
  pkg: BudgetPackage,
  limits: Limits,
  appointments: readonly BudgetAppointment[],
  now: Instant,
): CriterionUse[] {
  return consumption({ ...pkg, limits }, appointments, now).filter((u) => u.used + u.planned > u.limit);
}
