/**
 * Who may book a chain when: the chain's package rules against the client file's packages (their
 * state, and the order of appointments inside a package), and the age limits. Pure: the file's
 * data, the instants and `now` come in.
 */
import { checkProposal, isValidAt, type PackageState, packageState } from '../../shared/budget.ts';
import type {
  BudgetAppointment,
  BudgetPackage,
  Instant,
  Limits,
  PackageStateName,
  ServiceLine,
} from '../../shared/domain.ts';
import { ageOn, isDate, localDate, parseDate, startOfLocalDay } from '../../shared/time.ts';
import { type ValidityRule, validityFor } from '../../shared/validity.ts';

/** The states in which booking a chain can create a package from a rule's template. */
export type CreateState = 'absent' | 'exhausted';

export interface ChainRule {
  templateId: number;
  templateName: string;
  /** The states of the template's packages in which the chain is offered. */
  offeredWhen: ReadonlySet<PackageStateName>;
  /**
   * The states in which booking the chain creates a package from the template (a subset of
   * `offeredWhen`): `absent` for a first prescription, `exhausted` too for the next one after the
   * last ran out or expired. Empty: the rule never creates.
   */
  createWhen: ReadonlySet<CreateState>;
  /** The template's limits and validity rule: what a package created on booking gets. */
  templateLimits: Limits;
  templateValidity: ValidityRule;
}

export interface EligibilityChain {
  id: number;
  minAge: number | null;
  maxAge: number | null;
  /** The chain's lines at today's prices: what a booking would put on the appointment. */
  lines: ServiceLine[];
  rules: ChainRule[];
}

/** A package on a client file, with where it came from. */
export interface FilePackage extends BudgetPackage {
  origin: 'manual' | 'booking';
}

/** A client file as the rules see it. */
export interface ClientBudget {
  clientId: number;
  birthDate: string | null;
  packages: FilePackage[];
  /** Every appointment assigned to each package (any status), by package id. */
  appointmentsByPackage: ReadonlyMap<number, readonly BudgetAppointment[]>;
  excludedTemplateIds: ReadonlySet<number>;
}

/**
 * Why a package rule does not allow a chain. The exhausted state is named by its real cause: used
 * up, expired, not valid yet, or closed by staff.
 */
export type RuleRefusalCode =
  | 'package_excluded'
  | 'package_absent'
  | 'package_present'
  | 'package_used_up'
  | 'package_expired'
  | 'package_not_yet_valid'
  | 'package_closed'
  | 'package_before_first_appointment'
  | 'package_before_last_appointment'
  | 'package_template_does_not_fit';

export interface RuleRefusal {
  code: RuleRefusalCode;
  templateId: number;
  templateName: string;
}

export type AgeRefusalCode = 'too_young' | 'too_old';

export interface AgeRefusal {
  code: AgeRefusalCode;
  /** The limit that refuses: the minimum or the maximum age. */
  limit: number;
}

export interface RuleOutcome {
  rule: ChainRule;
  state: PackageState;
  allowed: boolean;
  /** Why not, when not allowed. */
  refusal?: RuleRefusal;
}

/**
 * The state of each of the chain's package rules for a file at [start, end), and whether the rule
 * allows the chain then. An anonymous visitor (`client` null) is a file with no packages: every
 * rule sees `absent`.
 *
 * Order inside a package (a package is a bracket around a series): a chain offered while a
 * package is present but not when it is absent (a follow-up) is offered, for a package a booking
 * created, only at starts after that package's first appointment has ended; a chain offered only
 * when the package is exhausted (a final check) only once the last appointment of the template's
 * packages has ended.
 */
export function evaluateRules(
  chain: EligibilityChain,
  client: ClientBudget | null,
  start: Instant,
  end: Instant,
  now: Instant,
): RuleOutcome[] {
  return chain.rules.map((rule) => {
    const state: PackageState = client
      ? packageState({
          packages: client.packages,
          appointmentsByPackage: client.appointmentsByPackage,
          excludedTemplateIds: client.excludedTemplateIds,
          templateId: rule.templateId,
          lines: chain.lines,
          start,
          end,
          now,
        })
      : { state: 'absent' };
    const refuse = (code: RuleRefusalCode): RuleOutcome => ({
      rule,
      state,
      allowed: false,
      refusal: { code, templateId: rule.templateId, templateName: rule.templateName },
    });
    if (!rule.offeredWhen.has(state.state)) return refuse(stateRefusal(rule, state, client, start));
    if (client) {
      const order = orderRefusal(rule, state, client, start);
      if (order) return refuse(order);
    }
    return { rule, state, allowed: true };
  });
}

function stateRefusal(
  rule: ChainRule,
  state: PackageState,
  client: ClientBudget | null,
  start: Instant,
): RuleRefusalCode {
  switch (state.state) {
    case 'excluded':
      return 'package_excluded';
    case 'absent':
      return 'package_absent';
    case 'present':
      return 'package_present';
    case 'exhausted':
      return exhaustedCause(rule, client!, start);
  }
}

/**
 * The real cause of an exhausted state, told by the template's most recent package (the client's
 * current prescription, say): closed by staff, not valid yet, expired, or used up.
 */
function exhaustedCause(rule: ChainRule, client: ClientBudget, start: Instant): RuleRefusalCode {
  const latest = client.packages
    .filter((p) => p.templateId === rule.templateId)
    .reduce<FilePackage | undefined>((a, p) => (a === undefined || p.id > a.id ? p : a), undefined);
  if (!latest) return 'package_used_up';
  if (latest.status === 'closed') return 'package_closed';
  if (!isValidAt(latest, start)) {
    return latest.validFrom !== null && start < latest.validFrom
      ? 'package_not_yet_valid'
      : 'package_expired';
  }
  return 'package_used_up';
}

function orderRefusal(
  rule: ChainRule,
  state: PackageState,
  client: ClientBudget,
  start: Instant,
): RuleRefusalCode | null {
  if (state.state === 'present' && !rule.offeredWhen.has('absent')) {
    const pkg = client.packages.find((p) => p.id === state.package.id);
    if (pkg?.origin === 'booking') {
      const first = firstAppointment(client.appointmentsByPackage.get(pkg.id) ?? []);
      if (first && start < first.end) return 'package_before_first_appointment';
    }
  }
  if (state.state === 'exhausted' && !rule.offeredWhen.has('absent') && !rule.offeredWhen.has('present')) {
    const last = lastEnd(client, rule.templateId);
    if (last !== null && start < last) return 'package_before_last_appointment';
  }
  return null;
}

/** The earliest non-cancelled appointment of a list, or undefined. */
function firstAppointment(appointments: readonly BudgetAppointment[]): BudgetAppointment | undefined {
  let first: BudgetAppointment | undefined;
  for (const a of appointments) {
    if (a.status !== 'cancelled' && (first === undefined || a.start < first.start)) first = a;
  }
  return first;
}

/** When the last non-cancelled appointment of the template's packages ends, or null. */
function lastEnd(client: ClientBudget, templateId: number): Instant | null {
  let last: Instant | null = null;
  for (const p of client.packages) {
    if (p.templateId !== templateId) continue;
    for (const a of client.appointmentsByPackage.get(p.id) ?? []) {
      if (a.status !== 'cancelled' && (last === null || a.end > last)) last = a.end;
    }
  }
  return last;
}

/** The first reason the age limits refuse a birth date on a local date, or null. */
export function ageRefusal(
  chain: Pick<EligibilityChain, 'minAge' | 'maxAge'>,
  birthDate: string,
  onDate: string,
): AgeRefusal | null {
  const age = ageOn(birthDate, onDate);
  if (chain.minAge !== null && age < chain.minAge) return { code: 'too_young', limit: chain.minAge };
  if (chain.maxAge !== null && age > chain.maxAge) return { code: 'too_old', limit: chain.maxAge };
  return null;
}

export function needsBirthDate(chain: Pick<EligibilityChain, 'minAge' | 'maxAge'>): boolean {
  return chain.minAge !== null || chain.maxAge !== null;
}

/** A package the booking will create from a rule's template; `pkg.id` is a negative reference. */
export interface NewPackage {
  rule: ChainRule;
  pkg: FilePackage;
}

export type PackagePlan =
  | { ok: true; assign: FilePackage[]; create: NewPackage[] }
  | { ok: false; refusal: RuleRefusal };

/**
 * What booking the chain at [start, end) does to the file's packages: the present packages the
 * appointment is assigned to, and the packages created where a rule creates in the state found
 * (absent, or exhausted where the rule says so). A created package gets the template's limits; its
 * validity follows the template's rule — N days from `now` (the moment of booking), or the
 * calendar year of the appointment. If that validity does not cover `start`, or the appointment
 * alone would exceed the template's limits, the chain cannot be booked then
 * (`package_template_does_not_fit`). `nextRef` numbers the new packages (negative references).
 */
export function planPackages(
  chain: EligibilityChain,
  client: ClientBudget | null,
  start: Instant,
  end: Instant,
  now: Instant,
  timeZone: string,
  nextRef: () => number = counter(),
): PackagePlan {
  const assign: FilePackage[] = [];
  const create: NewPackage[] = [];
  for (const outcome of evaluateRules(chain, client, start, end, now)) {
    const { rule, state } = outcome;
    if (!outcome.allowed) return { ok: false, refusal: outcome.refusal! };
    if (state.state === 'present') {
      const pkg = client!.packages.find((p) => p.id === state.package.id)!;
      assign.push(pkg);
      continue;
    }
    if ((state.state === 'absent' || state.state === 'exhausted') && rule.createWhen.has(state.state)) {
      const pkg: FilePackage = {
        id: nextRef(),
        templateId: rule.templateId,
        name: rule.templateName,
        limits: rule.templateLimits,
        ...validityFor(rule.templateValidity, now, timeZone, start),
        status: 'active',
        origin: 'booking',
      };
      const fits =
        isValidAt(pkg, start) && checkProposal(pkg, [], { start, end, lines: chain.lines }, now).ok;
      if (!fits) {
        return {
          ok: false,
          refusal: {
            code: 'package_template_does_not_fit',
            templateId: rule.templateId,
            templateName: rule.templateName,
          },
        };
      }
      create.push({ rule, pkg });
    }
  }
  return { ok: true, assign, create };
}

function counter(): () => number {
  let next = -1;
  return () => next--;
}

/** A per-slot refusal: an age limit or a package rule. */
export type SlotRefusal = AgeRefusal | RuleRefusal;

/**
 * Whether the chain may be booked at [start, end) by this file (or an anonymous visitor): age on
 * the start's local date when the file has a birth date (an anonymous visitor gives it at
 * booking), then what booking would do to the file's packages (see `planPackages`).
 */
export function refusalAt(
  chain: EligibilityChain,
  client: ClientBudget | null,
  start: Instant,
  end: Instant,
  now: Instant,
  timeZone: string,
): SlotRefusal | null {
  if (client?.birthDate && needsBirthDate(chain)) {
    const refused = ageRefusal(chain, client.birthDate, localDate(start, timeZone));
    if (refused) return refused;
  }
  const plan = planPackages(chain, client, start, end, now, timeZone);
  return plan.ok ? null : plan.refusal;
}

/**
 * The first instant in [from, until) at which the rules let this file (or an anonymous visitor)
 * book the chain, or the refusal at `from` when there is none. The rules change only at a few
 * instants — a package becoming valid, a package's first appointment ending, the last appointment
 * of a template ending, a birthday — so those are the only candidates besides `from`. Working
 * hours and the calendar are the slot search's business, not this.
 * @example firstAllowed(chain, fileTurning18NextWeek, now, windowEnd, now, tz) // { at: <that birthday, 00:00> }
 */
export function firstAllowed(
  chain: EligibilityChain & { durationMinutes: number },
  client: ClientBudget | null,
  from: Instant,
  until: Instant,
  now: Instant,
  timeZone: string,
): { at: Instant } | { refusal: SlotRefusal } {
  const durationMs = chain.durationMinutes * 60_000;
  const check = (t: Instant) => refusalAt(chain, client, t, t + durationMs, now, timeZone);
  const first = check(from);
  if (first === null) return { at: from };
  const candidates = new Set<Instant>();
  if (client) {
    for (const p of client.packages) {
      if (p.validFrom !== null) candidates.add(p.validFrom);
      for (const a of client.appointmentsByPackage.get(p.id) ?? []) {
        if (a.status !== 'cancelled') candidates.add(a.end);
      }
    }
    if (client.birthDate && chain.minAge !== null) {
      const birthday = birthdayOf(client.birthDate, chain.minAge);
      candidates.add(startOfLocalDay(birthday, timeZone));
    }
  }
  for (const t of [...candidates].sort((a, b) => a - b)) {
    if (t > from && t < until && check(t) === null) return { at: t };
  }
  return { refusal: first };
}

/** The local date on which someone born on `birthDate` turns `age` (29 February → 1 March in other years). */
export function birthdayOf(birthDate: string, age: number): string {
  const { year, month, day } = parseDate(birthDate);
  const y = String(year + age).padStart(4, '0');
  const candidate = `${y}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return isDate(candidate) || month !== 2 ? candidate : `${y}-03-01`;
}
