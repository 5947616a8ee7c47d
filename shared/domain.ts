/**
 * Plain data shapes shared by the browser and the server.
 *
 * Instants are epoch milliseconds (UTC). Money is integer cents. Nothing here knows about the
 * database, the clock or the environment: callers load the data and pass `now`.
 */

export type Instant = number;

export type PackageStatus = 'active' | 'closed';
export type AppointmentStatus = 'booked' | 'done' | 'no_show' | 'cancelled';
export type PackageStateName = 'excluded' | 'absent' | 'present' | 'exhausted';
export const PACKAGE_STATES: readonly PackageStateName[] = ['excluded', 'absent', 'present', 'exhausted'];

/** A limit on one service code inside a package: quantity and/or amount (cents). */
export interface CodeLimit {
  code: string;
  maxQuantity?: number | null;
  maxAmountCents?: number | null;
}

/** The limits of a package (or a template). At least one must be set. */
export interface Limits {
  maxAppointments?: number | null;
  maxAmountCents?: number | null;
  codeLimits: CodeLimit[];
}

/** One service line of an appointment or a chain: code × quantity at a unit price. */
export interface ServiceLine {
  code: string;
  quantity: number;
  unitPriceCents: number;
}

/** A package as the budget core sees it. Validity is the half-open interval [validFrom, validUntil). */
export interface BudgetPackage {
  id: number;
  templateId: number;
  name: string;
  limits: Limits;
  validFrom: Instant | null;
  validUntil: Instant | null;
  status: PackageStatus;
}

/** An appointment assigned to a package, with its service lines. */
export interface BudgetAppointment {
  id: number;
  start: Instant;
  end: Instant;
  status: AppointmentStatus;
  lines: ServiceLine[];
}

/**
 * A proposed appointment: a new one (no `id`) or an edit of an existing one (its `id`; its old lines
 * are then replaced, never counted twice).
 */
export interface Proposal {
  id?: number;
  start: Instant;
  end: Instant;
  lines: ServiceLine[];
}
