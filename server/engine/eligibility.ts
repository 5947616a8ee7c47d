/**
 * Who may book a chain when: the chain's package rules against the client file's packages, the
 * age limits, and the practice's plan. Pure: the file's data, the instants and `now` come in.
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
import { ageOn, localDate } from '../../shared/time.ts';
import { type ValidityRule, validityFor } from '../../shared/validity.ts';
import type { SlotCheck, SlotCheckFailure } from './slots.ts';

export interface ChainRule {
  templateId: number;
  templateName: string;
  offeredWhen: ReadonlySet<PackageStateName>;
  createOnBooking: boolean;
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

/** A client file as the rules see it. */
export interface ClientBudget {
  clientId: number;
  birthDate: string | null;
  packages: BudgetPackage[];
  appointmentsByPackage: ReadonlyMap<number, readonly BudgetAppointment[]>;
  excludedTemplateIds: ReadonlySet<number>;
}

export interface RuleOutcome {
  rule: ChainRule;
  state: PackageState;
  allowed: boolean;
}

const PACKAGE_PLANS = new Set(['L', 'XL', 'XXL']);

/** Packages need plan L or higher; below that, chains with package rules are not offered online. */
export function planAllowsPackages(plan: string): boolean {
  return PACKAGE_PLANS.has(plan);
}

/**
 * The state of each of the chain's package rules for a file at [start, end), and whether the rule
 * allows the chain then. An anonymous visitor (`client` null) is a file with no packages: every
 * rule sees `absent`.
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
    return { rule, state, allowed: rule.offeredWhen.has(state.state) };
  });
}

/** The first reason the age limits refuse a birth date on a local date, or null. */
export function ageRefusal(
  chain: Pick<EligibilityChain, 'minAge' | 'maxAge'>,
  birthDate: string,
  onDate: string,
) {
  const age = ageOn(birthDate, onDate);
  if (chain.minAge !== null && age < chain.minAge)
    return { code: 'too_young', detail: `minimum age ${chain.minAge}` };
  if (chain.maxAge !== null && age > chain.maxAge)
    return { code: 'too_old', detail: `maximum age ${chain.maxAge}` };
  return null;
}

export function needsBirthDate(chain: Pick<EligibilityChain, 'minAge' | 'maxAge'>): boolean {
  return chain.minAge !== null || chain.maxAge !== null;
}

/** A package the booking will create from a rule's template. */
export interface NewPackage {
  rule: ChainRule;
  pkg: BudgetPackage;
}

export type PackagePlan =
  | { ok: true; assign: BudgetPackage[]; create: NewPackage[] }
  | { ok: false; code: string; detail: string };

/**
 * What booking the chain at [start, end) does to the file's packages: the present packages the
 * appointment is assigned to, and the packages created where a rule says create-on-booking and the
 * state is absent. A created package gets the template's limits and its validity counted from `now`
 * (the moment of booking); if that validity does not reach `start`, or the appointment alone would
 * exceed the template's limits, the chain cannot be booked then (`package_template_does_not_fit`).
 */
export function planPackages(
  chain: EligibilityChain,
  client: ClientBudget | null,
  start: Instant,
  end: Instant,
  now: Instant,
  timeZone: string,
): PackagePlan {
  const assign: BudgetPackage[] = [];
  const create: NewPackage[] = [];
  for (const { rule, state, allowed } of evaluateRules(chain, client, start, end, now)) {
    if (!allowed) return { ok: false, code: `package_${state.state}`, detail: rule.templateName };
    if (state.state === 'present') assign.push(state.package);
    if (state.state === 'absent' && rule.createOnBooking) {
      const pkg: BudgetPackage = {
        id: -1 - create.length,
        templateId: rule.templateId,
        name: rule.templateName,
        limits: rule.templateLimits,
        ...validityFor(rule.templateValidity, now, timeZone),
        status: 'active',
      };
      const fits =
        isValidAt(pkg, start) && checkProposal(pkg, [], { start, end, lines: chain.lines }, now).ok;
      if (!fits) return { ok: false, code: 'package_template_does_not_fit', detail: rule.templateName };
      create.push({ rule, pkg });
    }
  }
  return { ok: true, assign, create };
}

/**
 * The per-slot condition for the slot engine: age on the slot's local date (when the file has a
 * birth date; an anonymous visitor gives it at booking), then what booking would do to the file's
 * packages at the slot's start (see `planPackages`). Refusal codes: `too_young`, `too_old`,
 * `package_<state>` or `package_template_does_not_fit`, with the template's name as detail.
 */
export function slotCheckFor(
  chain: EligibilityChain,
  client: ClientBudget | null,
  timeZone: string,
  now: Instant,
): SlotCheck {
  return (start, end): SlotCheckFailure | null => {
    if (client?.birthDate && needsBirthDate(chain)) {
      const refused = ageRefusal(chain, client.birthDate, localDate(start, timeZone));
      if (refused) return refused;
    }
    const plan = planPackages(chain, client, start, end, now, timeZone);
    return plan.ok ? null : { code: plan.code, detail: plan.detail };
  };
}
