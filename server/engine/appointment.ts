/**
 * The appointment decision: one pure function for every way an appointment comes to be or changes
 * — online booking (new or returning client), staff create (from a chain or from free service
 * lines), staff edit, cancel (by the client or by staff) and series — so that the hard rules are
 * decided in one place, for everyone:
 *
 * - no package an appointment is assigned to ever exceeds any of its limits;
 * - a therapist and a room hold one appointment at a time (buffers included);
 * - a client file never holds two overlapping appointments, whichever therapists;
 * - the chain's package rules (states, order inside a package, create on booking) and age limits.
 *
 * Load → decide → apply: the store loads a `Snapshot` inside the write transaction, this decides,
 * the store applies the `AppointmentPlan` (or the caller turns the typed `Refusal` into an answer).
 * No database, no clock, no HTTP status, no texts, no URLs in here.
 */
import { type CriterionRemaining, checkProposal, consumption, type Violation } from '../../shared/budget.ts';
import type {
  AppointmentStatus,
  BudgetAppointment,
  Instant,
  Limits,
  ServiceLine,
} from '../../shared/domain.ts';
import { localDate } from '../../shared/time.ts';
import { type BusyWindow, busyWindow, slotSearchInput } from './availability.ts';
import { type Chain, onlineChain, type PracticeConfig, therapistsFor } from './config.ts';
import {
  type AgeRefusalCode,
  ageRefusal,
  type ClientBudget,
  type EligibilityChain,
  type FilePackage,
  type NewPackage,
  needsBirthDate,
  planPackages,
  type RuleRefusal,
} from './eligibility.ts';
import {
  assessStart,
  type BusyInterval,
  explainDay,
  type Slot,
  type SlotSearchInput,
  searchSlots,
} from './slots.ts';

// ---------------------------------------------------------------------------------------------
// What comes in

export interface NewClientData {
  firstName: string;
  lastName: string;
  email: string;
  phone?: string | null | undefined;
  birthDate?: string | null | undefined;
}

/** A service line with the service it comes from. */
export interface AppointmentLine extends ServiceLine {
  serviceId: number;
}

/** A client file: its budget, and its appointments around the time in question. */
export interface ClientFile extends ClientBudget {
  /** The file's non-cancelled appointments that may overlap the time in question (any therapist). */
  appointments: readonly { id: number; start: Instant; end: Instant }[];
}

export type AppointmentSource = 'staff' | 'online' | 'import';

/** An appointment as it is, for an edit or a cancellation. */
export interface ExistingAppointment extends PlannedAppointment {
  clientId: number;
  packageIds: number[];
}

/** Everything a decision looks at, loaded inside the write transaction. */
export interface Snapshot {
  config: PracticeConfig;
  /** The client file; null for a new client booking online. */
  client: ClientFile | null;
  /** For a new client: whether a file with that e-mail exists already. */
  emailTaken?: boolean;
  /** For an online booking: the file's booked online appointments still to come (the practice caps them). */
  openOnlineBookings?: number;
  /** The appointments that block the therapists and rooms concerned (see `busyWindowFor`). */
  busy: readonly BusyInterval[];
  /** The appointment an edit or a cancellation is about. */
  appointment?: ExistingAppointment;
}

/** A client books a chain online. */
export interface OnlineBooking {
  kind: 'online';
  chainId: number;
  start: Instant;
  therapistId?: number | undefined;
  /** A new client; omitted for a returning client (the snapshot's file). */
  newClient?: NewClientData | undefined;
  /** A returning client's birth date, when the file has none and the chain has an age limit. */
  birthDate?: string | undefined;
  /**
   * The hold the booking takes the place of: the booking gets its therapist and room, and the
   * hold's own time does not count as busy.
   */
  hold?: { id: number; therapistId: number; roomId: number | null } | undefined;
}

/** A visitor holds a start of a chain for a few minutes, while they confirm their address. */
export interface HoldRequest {
  chainId: number;
  start: Instant;
  therapistId?: number | undefined;
}

/** A hold to write: a start of a chain with a therapist (and room), blocking until its buffer ends. */
export interface PlannedHold {
  chainId: number;
  therapistId: number;
  roomId: number | null;
  start: Instant;
  end: Instant;
  bufferAfterMinutes: number;
  blockedUntil: Instant;
}

/** Staff create an appointment from a chain or from free service lines. */
export interface StaffCreate {
  kind: 'staff';
  start: Instant;
  therapistId: number;
  /** A room chosen; omitted: the lowest-id free room when the chain needs one; null: none. */
  roomId?: number | null | undefined;
  chainId?: number | undefined;
  /** Free service lines, or the lines replacing the chain's. */
  lines?: readonly { serviceId: number; quantity: number }[] | undefined;
  /** Default: the chain's duration, else the sum of the services' durations. */
  durationMinutes?: number | undefined;
  /**
   * `auto` (default): found by the chain's package rules, as online (free lines: none);
   * or the ids of the file's packages to assign.
   */
  packages?: 'auto' | readonly number[] | undefined;
  /** Staff confirmed a time outside the therapist's working hours. */
  outsideHours?: boolean | undefined;
}

/** Staff change an appointment: anything omitted stays. */
export interface StaffEdit {
  kind: 'edit';
  appointmentId: number;
  start?: Instant | undefined;
  therapistId?: number | undefined;
  roomId?: number | null | undefined;
  lines?: readonly { serviceId: number; quantity: number }[] | undefined;
  durationMinutes?: number | undefined;
  /** The complete list of packages the appointment is assigned to afterwards. */
  packages?: readonly number[] | undefined;
  outsideHours?: boolean | undefined;
}

export interface Cancellation {
  kind: 'cancel';
  appointmentId: number;
  /** A client (by the cancel link: the practice's deadline applies) or staff (no deadline). */
  by: 'client' | 'staff';
}

export type AppointmentRequest = OnlineBooking | StaffCreate | StaffEdit | Cancellation;

// ---------------------------------------------------------------------------------------------
// What goes out

/** A package to create; `ref` (negative) stands for its id until it is written. */
export interface PlannedPackage {
  ref: number;
  templateId: number;
  name: string;
  limits: Limits;
  validFrom: Instant | null;
  validUntil: Instant | null;
}

export type LedgerAction =
  | 'created'
  | 'assigned'
  | 'released'
  | 'updated'
  | 'withdrawn'
  | 'limits_changed'
  | 'closed'
  | 'reopened';

/** A ledger entry of a package (its id, or the ref of one created by this plan). */
export interface PlannedLedgerEntry {
  packageId: number;
  action: LedgerAction;
  details: Record<string, unknown>;
}

/** The appointment as it is after the plan; `id` negative for a new one. */
export interface PlannedAppointment {
  id: number;
  therapistId: number;
  roomId: number | null;
  chainId: number | null;
  start: Instant;
  end: Instant;
  bufferAfterMinutes: number;
  status: AppointmentStatus;
  source: AppointmentSource;
  sequence: number;
  lines: AppointmentLine[];
}

/** A package's budget after the plan, for the answer and the confirmation e-mail. */
export interface BudgetAfter {
  packageId: number;
  name: string;
  created: boolean;
  remaining: CriterionRemaining[];
}

export interface AppointmentPlan {
  /** `none`: nothing to write (a cancellation of what is cancelled already). */
  action: 'create' | 'update' | 'cancel' | 'none';
  /** The client file: a new one to create, or the existing one (with a birth date to keep). */
  client: { create: NewClientData & { birthDate: string | null } } | { id: number; setBirthDate?: string };
  packages: PlannedPackage[];
  appointment: PlannedAppointment;
  /** The lines are new or changed: write them. */
  linesChanged: boolean;
  /** Package ids (or refs) the appointment is assigned to now, and ids it is released from. */
  assign: number[];
  release: number[];
  /** Packages a booking created that nothing uses any more after a cancellation: as if never there. */
  withdraw: number[];
  ledger: PlannedLedgerEntry[];
  /** The e-mail to the client, if any: confirmation, changed appointment, cancellation. */
  mail: 'confirmation' | 'update' | 'cancellation' | null;
  budgets: BudgetAfter[];
}

export type SlotRefusalReason =
  | 'outside_hours'
  | 'too_soon'
  | 'beyond_window'
  | 'therapist_busy'
  | 'no_room'
  | 'not_offered';

/** Why not. Every refusal names its cause and what it needs; the caller picks status and words. */
export type Refusal =
  | { code: 'chain_not_found'; chainId: number }
  | { code: 'chain_not_bookable'; chainId: number }
  | { code: 'service_not_found'; serviceId: number }
  | { code: 'lines_required' }
  | { code: 'therapist_not_found'; therapistId: number }
  | { code: 'therapist_not_allowed'; therapistId: number; chainId: number }
  | { code: 'room_not_found'; roomId: number }
  | { code: 'client_required' }
  | { code: 'birth_date_required' }
  | { code: 'age'; reason: AgeRefusalCode; limit: number }
  | { code: 'slot'; reason: SlotRefusalReason }
  | { code: 'client_overlap'; appointmentId: number }
  | { code: 'package_rule'; rule: RuleRefusal }
  | { code: 'package_limit'; packageId: number; packageName: string; violations: Violation[] }
  | { code: 'package_not_found'; packageId: number }
  | { code: 'client_exists' }
  | { code: 'too_many_open_bookings'; limit: number }
  | { code: 'hold_not_yours' }
  | { code: 'hold_mismatch' }
  | { code: 'appointment_not_found'; appointmentId: number }
  | { code: 'not_editable'; status: AppointmentStatus }
  | { code: 'not_cancellable'; status: AppointmentStatus }
  | { code: 'cancel_deadline_passed'; deadline: Instant; minutesBefore: number };

export type Decision = { ok: true; plan: AppointmentPlan } | { ok: false; refusal: Refusal };

/** Hands out negative references for rows a plan creates; one per series, so they never clash. */
export interface Refs {
  next(): number;
}

export function refCounter(): Refs {
  let next = -1;
  return { next: () => next-- };
}

// ---------------------------------------------------------------------------------------------
// The decision

/**
 * Decides one request on one snapshot at `now`: a plan to apply, or the refusal.
 * @example decideAppointment(snapshot, { kind: 'online', chainId: 1, start, newClient }, now)
 *   // { ok: true, plan: { action: 'create', client: { create: … }, packages: [Rezept KG 6×], … } }
 */
export function decideAppointment(
  snapshot: Snapshot,
  request: AppointmentRequest,
  now: Instant,
  refs: Refs = refCounter(),
): Decision {
  switch (request.kind) {
    case 'online':
      return decideOnline(snapshot, request, now, refs);
    case 'staff':
      return decideStaffCreate(snapshot, request, now, refs);
    case 'edit':
      return decideEdit(snapshot, request, now);
    case 'cancel':
      return decideCancel(snapshot, request, now);
  }
}

const refuse = (refusal: Refusal): Decision => ({ ok: false, refusal });

function decideOnline(s: Snapshot, req: OnlineBooking, now: Instant, refs: Refs): Decision {
  const { config } = s;
  const tz = config.practice.timeZone;
  const chain = config.chainById.get(req.chainId);
  if (!chain) return refuse({ code: 'chain_not_found', chainId: req.chainId });
  if (!onlineChain(config.practice, chain)) return refuse({ code: 'chain_not_bookable', chainId: chain.id });
  const client = s.client;
  if (!client && !req.newClient) return refuse({ code: 'client_required' });
  // So nobody books a calendar full with one file: its online bookings still to come are capped.
  const cap = config.practice.maxOpenOnlineBookings;
  if (client && (s.openOnlineBookings ?? 0) >= cap)
    return refuse({ code: 'too_many_open_bookings', limit: cap });

  // Age on the day of the appointment, from the file's birth date or the one given now.
  const birthDate = client ? (client.birthDate ?? req.birthDate ?? null) : (req.newClient?.birthDate ?? null);
  if (needsBirthDate(chain)) {
    if (!birthDate) return refuse({ code: 'birth_date_required' });
    const age = ageRefusal(chain, birthDate, localDate(req.start, tz));
    if (age) return refuse({ code: 'age', reason: age.code, limit: age.limit });
  }

  // The start, found as the slot list finds it (grid or compact, notice, window, hours, calendar).
  const found = findStart(s, chain, req, now);
  if ('refusal' in found) return refuse(found.refusal);
  const { slot } = found;

  const overlap = clientOverlap(client, req.start, slot.end);
  if (overlap !== null) return refuse({ code: 'client_overlap', appointmentId: overlap });

  const packages = planPackages(chain, client, req.start, slot.end, now, tz, () => refs.next());
  if (!packages.ok) return refuse({ code: 'package_rule', rule: packages.refusal });

  // Only now, with everything else possible: an e-mail that has a file is not used for a new one.
  if (!client && s.emailTaken) return refuse({ code: 'client_exists' });

  // The birth date is kept only where a chain's age limit needs it (collect the minimum).
  const keptBirthDate = needsBirthDate(chain) ? birthDate : null;
  const who: AppointmentPlan['client'] = client
    ? {
        id: client.clientId,
        ...(keptBirthDate && !client.birthDate ? { setBirthDate: keptBirthDate } : {}),
      }
    : { create: { ...req.newClient!, birthDate: keptBirthDate } };
  return {
    ok: true,
    plan: createPlan({
      client,
      who,
      chain,
      lines: chainLines(chain),
      therapistId: slot.therapistId,
      roomId: slot.roomId,
      start: req.start,
      end: slot.end,
      bufferAfterMinutes: chain.bufferAfterMinutes,
      source: 'online',
      assign: packages.assign,
      create: packages.create.map((c) => c.pkg),
      id: refs.next(),
      now,
    }),
  };
}

/**
 * The busy times without those of appointment `id` (the hold being booked, the appointment being
 * moved). Every interval must name its appointment: one without would keep the appointment's own
 * time busy and refuse it as taken, so a snapshot loaded without ids (the slot search's read) is
 * refused here as a mistake rather than answered wrongly.
 */
function busyWithout(busy: readonly BusyInterval[], id: number): BusyInterval[] {
  return busy.filter((b) => {
    if (b.appointmentId === undefined) throw new RangeError('busy times without appointment ids');
    return b.appointmentId !== id;
  });
}

/**
 * The start of an online request as the slot list would offer it now (grid or compact, notice,
 * window, hours, calendar), with a therapist and room free; a booking with a hold gets the hold's
 * therapist and room, and the hold's own time is not busy for it.
 */
function findStart(
  s: Pick<Snapshot, 'config' | 'busy'>,
  chain: Chain,
  req: Pick<OnlineBooking, 'start' | 'therapistId' | 'hold'>,
  now: Instant,
): { slot: Slot } | { refusal: Refusal } {
  const date = localDate(req.start, s.config.practice.timeZone);
  const hold = req.hold;
  const input = slotSearchInput(
    s.config,
    chain,
    {
      from: date,
      to: date,
      therapist: hold?.therapistId ?? req.therapistId,
      room: hold?.roomId ?? undefined,
      onlyStart: req.start,
      rules: false,
      client: null,
      now,
    },
    hold ? busyWithout(s.busy, hold.id) : [...s.busy],
  );
  const slot = searchSlots(input).days[0]?.slots[0];
  if (!slot) return { refusal: { code: 'slot', reason: whyNotOffered(input, req) } };
  return { slot };
}

/**
 * Decides a hold: the chain is bookable online and the start free as the slot list offers it. The
 * client's rules (age, packages) are the booking's to check; a hold only keeps the time.
 */
export function decideHold(
  s: Pick<Snapshot, 'config' | 'busy'>,
  req: HoldRequest,
  now: Instant,
): { ok: true; hold: PlannedHold } | { ok: false; refusal: Refusal } {
  const chain = s.config.chainById.get(req.chainId);
  if (!chain) return { ok: false, refusal: { code: 'chain_not_found', chainId: req.chainId } };
  if (!onlineChain(s.config.practice, chain))
    return { ok: false, refusal: { code: 'chain_not_bookable', chainId: chain.id } };
  const found = findStart(s, chain, req, now);
  if ('refusal' in found) return { ok: false, refusal: found.refusal };
  const { slot } = found;
  return {
    ok: true,
    hold: {
      chainId: chain.id,
      therapistId: slot.therapistId,
      roomId: slot.roomId,
      start: req.start,
      end: slot.end,
      bufferAfterMinutes: chain.bufferAfterMinutes,
      blockedUntil: slot.end + chain.bufferAfterMinutes * 60_000,
    },
  };
}

/** The reason the slot search gives for a start it does not offer. */
function whyNotOffered(
  input: SlotSearchInput,
  req: Pick<OnlineBooking, 'start' | 'therapistId'>,
): SlotRefusalReason {
  const explained = explainDay(input).candidates.find(
    (c) => c.start === req.start && (req.therapistId === undefined || c.therapistId === req.therapistId),
  );
  const reason = explained?.reason ?? null;
  // Otherwise: off the grid, leaving a gap in compact mode, another time of day, no such therapist.
  return isSlotReason(reason) ? reason : 'not_offered';
}

const SLOT_REASONS: ReadonlySet<string> = new Set([
  'outside_hours',
  'too_soon',
  'beyond_window',
  'therapist_busy',
  'no_room',
]);
const isSlotReason = (r: string | null): r is SlotRefusalReason => r !== null && SLOT_REASONS.has(r);

/** The id of a non-cancelled appointment of the file overlapping [start, end), or null. */
function clientOverlap(
  client: ClientFile | null,
  start: Instant,
  end: Instant,
  except?: number,
): number | null {
  for (const a of client?.appointments ?? []) {
    if (a.id !== except && a.start < end && start < a.end) return a.id;
  }
  return null;
}

function chainLines(chain: Chain): AppointmentLine[] {
  return chain.lines.map((l, i) => ({ ...l, serviceId: chain.serviceIds[i]! }));
}

/** Lines from services and quantities at today's prices, or the refusal. */
function linesFrom(
  config: PracticeConfig,
  wanted: readonly { serviceId: number; quantity: number }[],
): AppointmentLine[] | Refusal {
  const lines: AppointmentLine[] = [];
  for (const w of wanted) {
    const service = config.serviceById.get(w.serviceId);
    if (!service) return { code: 'service_not_found', serviceId: w.serviceId };
    lines.push({
      serviceId: service.id,
      code: service.code,
      quantity: w.quantity,
      unitPriceCents: service.priceCents,
    });
  }
  if (lines.length === 0) return { code: 'lines_required' };
  return lines;
}

function durationOf(config: PracticeConfig, lines: readonly AppointmentLine[]): number {
  return lines.reduce(
    (sum, l) => sum + (config.serviceById.get(l.serviceId)?.durationMinutes ?? 0) * l.quantity,
    0,
  );
}

/**
 * The slot engine asked about one start for one therapist, as staff book: the therapist's hours
 * (unless confirmed outside them), the calendar without the appointment itself, the room.
 */
function staffStart(
  s: Snapshot,
  o: {
    chainId: number;
    therapistId: number;
    start: Instant;
    durationMinutes: number;
    bufferAfterMinutes: number;
    /** A room chosen (null: none), or undefined: any free room when `needsRoom`. */
    roomId: number | null | undefined;
    needsRoom: boolean;
    outsideHours: boolean;
    except?: number;
  },
): { roomId: number | null } | Refusal {
  const { config } = s;
  const tz = config.practice.timeZone;
  const date = localDate(o.start, tz);
  const roomIds =
    o.roomId === undefined
      ? o.needsRoom
        ? config.rooms.map((r) => r.id)
        : []
      : o.roomId === null
        ? []
        : [o.roomId];
  const input: SlotSearchInput = {
    now: o.start,
    timeZone: tz,
    from: date,
    to: date,
    chain: {
      id: o.chainId,
      durationMinutes: o.durationMinutes,
      bufferAfterMinutes: o.bufferAfterMinutes,
      needsRoom: roomIds.length > 0,
      therapistIds: [o.therapistId],
    },
    policy: { minNoticeMinutes: 0, bookingWindowDays: 730, mode: 'grid', stepMinutes: 1 },
    therapists: therapistsFor(config, [o.therapistId], date, date),
    rooms: roomIds.map((id) => ({ id })),
    busy: o.except === undefined ? [...s.busy] : busyWithout(s.busy, o.except),
  };
  const assessed = assessStart(input, o.start, o.therapistId, { ignoreHours: o.outsideHours });
  if (assessed.reason) return { code: 'slot', reason: assessed.reason };
  return { roomId: assessed.roomId };
}

const isRefusal = (x: object): x is Refusal => 'code' in x;

function decideStaffCreate(s: Snapshot, req: StaffCreate, now: Instant, refs: Refs): Decision {
  const { config } = s;
  const client = s.client;
  if (!client) return refuse({ code: 'client_required' });
  const therapist = config.therapistById.get(req.therapistId);
  if (!therapist?.active) return refuse({ code: 'therapist_not_found', therapistId: req.therapistId });
  let chain: Chain | null = null;
  if (req.chainId !== undefined) {
    chain = config.chainById.get(req.chainId) ?? null;
    if (!chain) return refuse({ code: 'chain_not_found', chainId: req.chainId });
    if (!chain.therapistIds.includes(therapist.id)) {
      return refuse({ code: 'therapist_not_allowed', therapistId: therapist.id, chainId: chain.id });
    }
  }
  const lines = req.lines ? linesFrom(config, req.lines) : chain ? chainLines(chain) : linesFrom(config, []);
  if (!Array.isArray(lines)) return refuse(lines);
  if (req.roomId != null && !config.rooms.some((r) => r.id === req.roomId)) {
    return refuse({ code: 'room_not_found', roomId: req.roomId });
  }
  const durationMinutes = req.durationMinutes ?? chain?.durationMinutes ?? durationOf(config, lines);
  const bufferAfterMinutes = chain?.bufferAfterMinutes ?? 0;
  const end = req.start + durationMinutes * 60_000;

  const place = staffStart(s, {
    chainId: chain?.id ?? 0,
    therapistId: therapist.id,
    start: req.start,
    durationMinutes,
    bufferAfterMinutes,
    roomId: req.roomId,
    needsRoom: chain?.needsRoom ?? false,
    outsideHours: req.outsideHours ?? false,
  });
  if (isRefusal(place)) return refuse(place);
  const overlap = clientOverlap(client, req.start, end);
  if (overlap !== null) return refuse({ code: 'client_overlap', appointmentId: overlap });

  // Packages: by the chain's rules, exactly as online (create on booking included), or chosen.
  let assign: FilePackage[] = [];
  let create: FilePackage[] = [];
  const wanted = req.packages ?? 'auto';
  if (wanted === 'auto') {
    if (chain) {
      const asBooked: EligibilityChain = { ...chain, lines };
      const planned = planPackages(asBooked, client, req.start, end, now, config.practice.timeZone, () =>
        refs.next(),
      );
      if (!planned.ok) return refuse({ code: 'package_rule', rule: planned.refusal });
      assign = planned.assign;
      create = planned.create.map((c: NewPackage) => c.pkg);
    }
  } else {
    for (const id of new Set(wanted)) {
      const pkg = client.packages.find((p) => p.id === id);
      if (!pkg) return refuse({ code: 'package_not_found', packageId: id });
      const check = checkProposal(
        pkg,
        client.appointmentsByPackage.get(id) ?? [],
        { start: req.start, end, lines },
        now,
      );
      if (!check.ok) return refuse(limitRefusal(pkg, check.violations));
      assign.push(pkg);
    }
  }
  return {
    ok: true,
    plan: createPlan({
      client,
      who: { id: client.clientId },
      chain,
      lines,
      therapistId: therapist.id,
      roomId: place.roomId,
      start: req.start,
      end,
      bufferAfterMinutes,
      source: 'staff',
      assign,
      create,
      id: refs.next(),
      now,
    }),
  };
}

function limitRefusal(pkg: FilePackage, violations: Violation[]): Refusal {
  return { code: 'package_limit', packageId: pkg.id, packageName: pkg.name, violations };
}

/** A new appointment with its packages: the plan, with ledger and the budgets after it. */
function createPlan(o: {
  client: ClientFile | null;
  who: AppointmentPlan['client'];
  chain: Chain | null;
  lines: AppointmentLine[];
  therapistId: number;
  roomId: number | null;
  start: Instant;
  end: Instant;
  bufferAfterMinutes: number;
  source: AppointmentSource;
  assign: FilePackage[];
  create: FilePackage[];
  id: number;
  now: Instant;
}): AppointmentPlan {
  const details = o.chain ? { chain: o.chain.key } : {};
  const ledger: PlannedLedgerEntry[] = [];
  for (const p of o.create) {
    ledger.push({ packageId: p.id, action: 'created', details: { limits: p.limits, ...details } });
  }
  const touched = [
    ...o.create.map((pkg) => ({ pkg, created: true })),
    ...o.assign.map((pkg) => ({ pkg, created: false })),
  ];
  for (const { pkg } of touched) ledger.push({ packageId: pkg.id, action: 'assigned', details });
  const appointment: PlannedAppointment = {
    id: o.id,
    therapistId: o.therapistId,
    roomId: o.roomId,
    chainId: o.chain?.id ?? null,
    start: o.start,
    end: o.end,
    bufferAfterMinutes: o.bufferAfterMinutes,
    status: 'booked',
    source: o.source,
    sequence: 0,
    lines: o.lines,
  };
  return {
    action: 'create',
    client: o.who,
    packages: o.create.map((p) => ({
      ref: p.id,
      templateId: p.templateId,
      name: p.name,
      limits: p.limits,
      validFrom: p.validFrom,
      validUntil: p.validUntil,
    })),
    appointment,
    linesChanged: true,
    assign: touched.map(({ pkg }) => pkg.id),
    release: [],
    withdraw: [],
    ledger,
    mail: o.source === 'online' ? 'confirmation' : null,
    budgets: touched.map(({ pkg, created }) =>
      budgetAfter(
        pkg,
        created ? [] : (o.client?.appointmentsByPackage.get(pkg.id) ?? []),
        appointment,
        created,
        o.now,
      ),
    ),
  };
}

/** What is left of a package once `appointment` (new or changed) is on it. */
function budgetAfter(
  pkg: FilePackage,
  before: readonly BudgetAppointment[],
  appointment: PlannedAppointment,
  created: boolean,
  now: Instant,
): BudgetAfter {
  const after: BudgetAppointment = {
    id: appointment.id,
    start: appointment.start,
    end: appointment.end,
    status: appointment.status,
    lines: appointment.lines,
  };
  const others = before.filter((a) => a.id !== appointment.id);
  return {
    packageId: pkg.id,
    name: pkg.name,
    created,
    remaining: consumption(pkg, [...others, after], now).map(({ used, planned, ...c }) => ({
      ...c,
      remaining: Math.max(0, c.limit - used - planned),
    })),
  };
}

function sameLines(a: readonly AppointmentLine[], b: readonly AppointmentLine[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (l, i) =>
        l.serviceId === b[i]!.serviceId &&
        l.code === b[i]!.code &&
        l.quantity === b[i]!.quantity &&
        l.unitPriceCents === b[i]!.unitPriceCents,
    )
  );
}

function decideEdit(s: Snapshot, req: StaffEdit, now: Instant): Decision {
  const { config } = s;
  const a = s.appointment;
  const client = s.client;
  if (!a || a.id !== req.appointmentId || !client || client.clientId !== a.clientId) {
    return refuse({ code: 'appointment_not_found', appointmentId: req.appointmentId });
  }
  if (a.status === 'cancelled') return refuse({ code: 'not_editable', status: a.status });

  const therapistId = req.therapistId ?? a.therapistId;
  if (therapistId !== a.therapistId && !config.therapistById.get(therapistId)?.active) {
    return refuse({ code: 'therapist_not_found', therapistId });
  }
  const roomId = req.roomId === undefined ? a.roomId : req.roomId;
  if (roomId !== null && roomId !== a.roomId && !config.rooms.some((r) => r.id === roomId)) {
    return refuse({ code: 'room_not_found', roomId });
  }
  let lines = a.lines;
  if (req.lines) {
    const wanted = linesFrom(config, req.lines);
    if (!Array.isArray(wanted)) return refuse(wanted);
    // A line kept as it was keeps its price of the day it was booked.
    lines = wanted.map(
      (l) => a.lines.find((o) => o.serviceId === l.serviceId && o.quantity === l.quantity) ?? l,
    );
  }
  const start = req.start ?? a.start;
  const durationMs = req.durationMinutes !== undefined ? req.durationMinutes * 60_000 : a.end - a.start;
  const end = start + durationMs;
  const moved = start !== a.start || end !== a.end || therapistId !== a.therapistId || roomId !== a.roomId;
  const linesChanged = !sameLines(lines, a.lines);

  if (moved) {
    const place = staffStart(s, {
      chainId: a.chainId ?? 0,
      therapistId,
      start,
      durationMinutes: durationMs / 60_000,
      bufferAfterMinutes: a.bufferAfterMinutes,
      roomId,
      needsRoom: false,
      outsideHours: req.outsideHours ?? false,
      except: a.id,
    });
    if (isRefusal(place)) return refuse(place);
    const overlap = clientOverlap(client, start, end, a.id);
    if (overlap !== null) return refuse({ code: 'client_overlap', appointmentId: overlap });
  }

  const wanted = [...new Set(req.packages ?? a.packageIds)];
  const proposal = { id: a.id, start, end, lines };
  for (const id of wanted) {
    const pkg = client.packages.find((p) => p.id === id);
    if (!pkg) return refuse({ code: 'package_not_found', packageId: id });
    const kept = a.packageIds.includes(id);
    if (kept && !moved && !linesChanged) continue;
    const check = checkProposal(pkg, client.appointmentsByPackage.get(id) ?? [], proposal, now);
    if (check.ok) continue;
    // An appointment already on a package may stay on it when the package was closed since, and
    // when it keeps its start; it may never take the package over a limit.
    const violations = kept
      ? check.violations.filter((v) => v.kind === 'limit' || (v.kind === 'not_valid' && start !== a.start))
      : check.violations;
    if (violations.length > 0) return refuse(limitRefusal(pkg, violations));
  }
  const assign = wanted.filter((id) => !a.packageIds.includes(id));
  const release = a.packageIds.filter((id) => !wanted.includes(id));
  const changes: Record<string, unknown> = {};
  if (start !== a.start || end !== a.end) changes.time = { start, end };
  if (linesChanged) changes.lines = lines.map((l) => ({ code: l.code, quantity: l.quantity }));
  const ledger: PlannedLedgerEntry[] = [
    ...release.map((id) => ({
      packageId: id,
      action: 'released' as const,
      details: { reason: 'edited by staff' },
    })),
    ...assign.map((id) => ({ packageId: id, action: 'assigned' as const, details: {} })),
    ...(Object.keys(changes).length > 0
      ? wanted
          .filter((id) => a.packageIds.includes(id))
          .map((id) => ({ packageId: id, action: 'updated' as const, details: changes }))
      : []),
  ];
  // The client is told when what they booked online moves.
  const tell = a.source === 'online' && moved;
  const appointment: PlannedAppointment = {
    id: a.id,
    therapistId,
    roomId,
    chainId: a.chainId,
    start,
    end,
    bufferAfterMinutes: a.bufferAfterMinutes,
    status: a.status,
    source: a.source,
    sequence: tell ? a.sequence + 1 : a.sequence,
    lines,
  };
  return {
    ok: true,
    plan: {
      action: moved || linesChanged || assign.length > 0 || release.length > 0 ? 'update' : 'none',
      client: { id: client.clientId },
      packages: [],
      appointment,
      linesChanged,
      assign,
      release,
      withdraw: [],
      ledger,
      mail: tell ? 'update' : null,
      budgets: wanted.map((id) =>
        budgetAfter(
          client.packages.find((p) => p.id === id)!,
          client.appointmentsByPackage.get(id) ?? [],
          appointment,
          false,
          now,
        ),
      ),
    },
  };
}

function decideCancel(s: Snapshot, req: Cancellation, now: Instant): Decision {
  const a = s.appointment;
  const client = s.client;
  if (!a || a.id !== req.appointmentId || !client || client.clientId !== a.clientId) {
    return refuse({ code: 'appointment_not_found', appointmentId: req.appointmentId });
  }
  const unchanged = (): Decision => ({
    ok: true,
    plan: {
      action: 'none',
      client: { id: client.clientId },
      packages: [],
      appointment: { ...a },
      linesChanged: false,
      assign: [],
      release: [],
      withdraw: [],
      ledger: [],
      mail: null,
      budgets: [],
    },
  });
  // Cancelling twice is not an error: the second time changes nothing.
  if (a.status === 'cancelled') return unchanged();
  if (a.status !== 'booked') return refuse({ code: 'not_cancellable', status: a.status });
  if (req.by === 'client') {
    const minutesBefore = s.config.practice.cancelDeadlineMinutes;
    const deadline = a.start - minutesBefore * 60_000;
    if (now > deadline) return refuse({ code: 'cancel_deadline_passed', deadline, minutesBefore });
  }
  const reason = req.by === 'client' ? 'cancelled by client' : 'cancelled by staff';
  // A package a booking created goes with its last appointment: the file is as it was before the
  // first visit was booked, so the first visit can be booked again (and no follow-up without one).
  const withdraw = a.packageIds.filter((id) => {
    const pkg = client.packages.find((p) => p.id === id);
    if (pkg?.origin !== 'booking' || pkg.status !== 'active') return false;
    const others = client.appointmentsByPackage.get(id) ?? [];
    return !others.some((o) => o.id !== a.id && o.status !== 'cancelled');
  });
  return {
    ok: true,
    plan: {
      action: 'cancel',
      client: { id: client.clientId },
      packages: [],
      appointment: { ...a, status: 'cancelled', sequence: a.sequence + 1 },
      linesChanged: false,
      assign: [],
      // The assignments stay, as the appointment's history; a cancelled appointment consumes nothing.
      release: [],
      withdraw,
      ledger: [
        ...a.packageIds.map((id) => ({ packageId: id, action: 'released' as const, details: { reason } })),
        ...withdraw.map((id) => ({
          packageId: id,
          action: 'withdrawn' as const,
          details: { reason: 'the booking that created it was cancelled' },
        })),
      ],
      mail: a.source === 'online' ? 'cancellation' : null,
      budgets: [],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Series

export interface SeriesOutcome {
  start: Instant;
  decision: Decision;
}

export type SeriesDecision =
  | { ok: true; plans: AppointmentPlan[]; refused: { index: number; start: Instant; refusal: Refusal }[] }
  | { ok: false; refused: { index: number; start: Instant; refusal: Refusal }[] };

/**
 * A series: the same request at each of `starts`, in order, each decided on the snapshot as the
 * ones before it left it (their appointments block the calendar and consume the packages; a
 * package the first one creates is present for the rest). `all`: every start or none, with every
 * refusal named; `fitting`: the starts that fit, and why the others do not.
 */
export function decideSeries(
  snapshot: Snapshot,
  request: OnlineBooking | StaffCreate,
  starts: readonly Instant[],
  mode: 'all' | 'fitting',
  now: Instant,
  refs: Refs = refCounter(),
): SeriesDecision {
  let current = snapshot;
  const plans: AppointmentPlan[] = [];
  const refused: { index: number; start: Instant; refusal: Refusal }[] = [];
  starts.forEach((start, index) => {
    const decision = decideAppointment(current, { ...request, start }, now, refs);
    if (!decision.ok) {
      refused.push({ index, start, refusal: decision.refusal });
      return;
    }
    plans.push(decision.plan);
    current = afterPlan(current, decision.plan);
  });
  if (mode === 'all' && refused.length > 0) return { ok: false, refused };
  return { ok: true, plans, refused };
}

/**
 * The snapshot as a created appointment's plan leaves it, in memory: its time blocks therapist,
 * room and client, it is on its packages, the packages it created exist.
 */
export function afterPlan(s: Snapshot, plan: AppointmentPlan): Snapshot {
  const a = plan.appointment;
  const busy = [
    ...s.busy,
    {
      therapistId: a.therapistId,
      roomId: a.roomId,
      start: a.start,
      end: a.end + a.bufferAfterMinutes * 60_000,
      appointmentId: a.id,
    },
  ];
  const base: ClientFile =
    s.client ??
    ({
      clientId: a.id,
      birthDate: 'create' in plan.client ? plan.client.create.birthDate : null,
      packages: [],
      appointmentsByPackage: new Map(),
      excludedTemplateIds: new Set(),
      appointments: [],
    } satisfies ClientFile);
  const packages: FilePackage[] = [
    ...base.packages,
    ...plan.packages.map((p) => ({
      id: p.ref,
      templateId: p.templateId,
      name: p.name,
      limits: p.limits,
      validFrom: p.validFrom,
      validUntil: p.validUntil,
      status: 'active' as const,
      origin: 'booking' as const,
    })),
  ];
  const byPackage = new Map(base.appointmentsByPackage);
  const booked: BudgetAppointment = {
    id: a.id,
    start: a.start,
    end: a.end,
    status: a.status,
    lines: a.lines,
  };
  for (const id of plan.assign) byPackage.set(id, [...(byPackage.get(id) ?? []), booked]);
  const birthDate =
    'setBirthDate' in plan.client && plan.client.setBirthDate ? plan.client.setBirthDate : base.birthDate;
  return {
    ...s,
    client: {
      ...base,
      birthDate,
      packages,
      appointmentsByPackage: byPackage,
      appointments: [...base.appointments, { id: a.id, start: a.start, end: a.end }],
    },
    emailTaken: false,
    busy,
  };
}

// ---------------------------------------------------------------------------------------------
// What the store must load

/**
 * The busy window of an online booking with a hold, from the window of its request: only the
 * hold's therapist, and its room where it has one — all that a booking with a hold is decided on
 * (it takes the hold's therapist and room). One therapist is no longer every therapist: the
 * rooms' other appointments are needed again, whatever the request's window said.
 */
export function holdWindow(w: BusyWindow, at: { therapistId: number; roomId: number | null }): BusyWindow {
  return {
    ...w,
    therapistIds: [at.therapistId],
    roomIds: at.roomId === null ? w.roomIds : [at.roomId],
    everyTherapist: false,
  };
}

/**
 * The busy times and the client's appointments a request needs, so the store loads no more and
 * no less: the therapists and rooms that could take it, around its time (the whole local day in
 * compact mode, where gaps count).
 */
export function snapshotWindow(
  config: PracticeConfig,
  request: OnlineBooking | StaffCreate | StaffEdit,
  now: Instant,
  appointment?: ExistingAppointment,
): BusyWindow {
  if (request.kind === 'online') {
    const chain = config.chainById.get(request.chainId);
    if (!chain) return { therapistIds: [], roomIds: [], from: request.start, to: request.start, now };
    const date = localDate(request.start, config.practice.timeZone);
    return busyWindow(config, chain, {
      from: date,
      to: date,
      therapist: request.therapistId,
      onlyStart: request.start,
      client: null,
      now,
    });
  }
  if (request.kind === 'edit') {
    const start = request.start ?? appointment?.start ?? 0;
    const durationMs =
      request.durationMinutes !== undefined
        ? request.durationMinutes * 60_000
        : appointment
          ? appointment.end - appointment.start
          : 0;
    const roomId = request.roomId === undefined ? (appointment?.roomId ?? null) : request.roomId;
    return {
      therapistIds: [request.therapistId ?? appointment?.therapistId ?? 0],
      roomIds: roomId === null ? [] : [roomId],
      from: start,
      to: start + durationMs + (appointment?.bufferAfterMinutes ?? 0) * 60_000,
      now,
    };
  }
  const chain = request.chainId === undefined ? undefined : config.chainById.get(request.chainId);
  const lines = request.lines ? linesFrom(config, request.lines) : [];
  const durationMinutes =
    request.durationMinutes ??
    chain?.durationMinutes ??
    (Array.isArray(lines) ? durationOf(config, lines) : 0);
  const roomIds =
    request.roomId != null
      ? [request.roomId]
      : request.roomId === undefined && chain?.needsRoom
        ? config.rooms.map((r) => r.id)
        : [];
  return {
    therapistIds: [request.therapistId],
    roomIds,
    from: request.start,
    to: request.start + (durationMinutes + (chain?.bufferAfterMinutes ?? 0)) * 60_000,
    now,
  };
}
