/**
 * Loading a practice document into the database: all of it in one write transaction, or nothing.
 * Problems are collected with their path before anything is written; the database's own constraints
 * are the last line of defence.
 */
import type { z } from 'zod';
import { consumption, describeViolation } from '../../shared/budget.ts';
import type {
  BudgetAppointment,
  BudgetPackage,
  CodeLimit,
  Limits,
  ServiceLine,
} from '../../shared/domain.ts';
import { formatPath } from '../../shared/issues.ts';
import { addDays, localDate, localToInstant, parseMinute, startOfLocalDay } from '../../shared/time.ts';
import { validityFor } from '../../shared/validity.ts';
import { newAccessCode } from '../auth/codes.ts';
import { insertPractice, type PracticeRows, practiceIdBySlug } from '../db/queries/practice.ts';
import type { Store } from '../db/store.ts';
import { StoreConflict } from '../errors.ts';
import { type PracticeDocument, practiceDocumentSchema, weekdayNumber } from './document.ts';
import { documentErrorMap, type IssueLang } from './messages.ts';

export interface DocumentIssue {
  path: string;
  message: string;
}

export class PracticeDocumentError extends Error {
  constructor(readonly issues: DocumentIssue[]) {
    super(`the practice document is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'PracticeDocumentError';
  }
}

export function zodIssues(error: z.ZodError): DocumentIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** Parses and checks a document, or throws `PracticeDocumentError` naming every problem. */
export function parsePracticeDocument(input: unknown, lang: IssueLang = 'en'): PracticeDocument {
  const map = documentErrorMap(lang);
  const parsed = practiceDocumentSchema.safeParse(input, map ? { error: map } : undefined);
  if (!parsed.success) throw new PracticeDocumentError(zodIssues(parsed.error));
  return parsed.data;
}

/** Resolves `today`, `today+N`, `today-N` or `YYYY-MM-DD` against the local date `today`. */
export function resolveDate(ref: string, today: string): string {
  const m = /^today(?:([+-])(\d+))?$/.exec(ref);
  if (!m) return ref;
  const n = m[2] ? Number(m[2]) * (m[1] === '-' ? -1 : 1) : 0;
  return addDays(today, n);
}

export function limitsOf(l: {
  maxAppointments?: number;
  maxAmountCents?: number;
  codes: CodeLimit[];
}): Limits {
  return {
    maxAppointments: l.maxAppointments ?? null,
    maxAmountCents: l.maxAmountCents ?? null,
    codeLimits: l.codes.map((c) => ({
      code: c.code,
      maxQuantity: c.maxQuantity ?? null,
      maxAmountCents: c.maxAmountCents ?? null,
    })),
  };
}

interface PlannedAppointment {
  path: string;
  clientKey: string;
  therapist: string;
  room: string | null;
  chain: string | null;
  start: number;
  end: number;
  bufferAfterMinutes: number;
  status: 'booked' | 'done' | 'no_show' | 'cancelled';
  lines: ServiceLine[];
  packages: string[];
  note: string | null;
}

interface PlannedPackage {
  path: string;
  clientKey: string;
  key: string;
  template: string;
  name: string;
  limits: Limits;
  validFrom: number | null;
  validUntil: number | null;
  status: 'active' | 'closed';
  closedReason: string | null;
  origin: 'manual' | 'booking';
}

/**
 * Works out every instant, price and package of the document and checks what needs the whole
 * picture: times that do not exist, double-booked therapists and rooms, chains that need a room,
 * appointments outside their package's validity, and packages whose appointments exceed a limit.
 */
export function planPractice(doc: PracticeDocument, now: number) {
  const tz = doc.practice.timeZone;
  const today = localDate(now, tz);
  const issues: DocumentIssue[] = [];
  const services = new Map(doc.services.map((s) => [s.code, s]));
  const chains = new Map(doc.chains.map((c) => [c.key, c]));
  const templates = new Map(doc.packageTemplates.map((tp) => [tp.key, tp]));

  const chainLines = (key: string): ServiceLine[] =>
    chains.get(key)!.lines.map((l) => ({
      code: l.code,
      quantity: l.quantity,
      unitPriceCents: services.get(l.code)!.priceCents,
    }));
  const durationOf = (lines: ServiceLine[]) =>
    lines.reduce((sum, l) => sum + services.get(l.code)!.durationMinutes * l.quantity, 0);

  const packages: PlannedPackage[] = [];
  const appointments: PlannedAppointment[] = [];
  doc.clients.forEach((cl, ci) => {
    cl.packages.forEach((p, pi) => {
      const tp = templates.get(p.template)!;
      const fromRule = validityFor(tp.validity, now, tz);
      const validFrom = p.validFrom
        ? startOfLocalDay(resolveDate(p.validFrom, today), tz)
        : fromRule.validFrom;
      const validUntil = p.validUntil
        ? startOfLocalDay(addDays(resolveDate(p.validUntil, today), 1), tz)
        : fromRule.validUntil;
      const path = `clients[${ci}].packages[${pi}]`;
      if (validFrom !== null && validUntil !== null && validFrom >= validUntil) {
        issues.push({ path: `${path}.validUntil`, message: 'must not be before validFrom' });
      }
      packages.push({
        path,
        clientKey: cl.key,
        key: p.key,
        template: p.template,
        name: p.name ?? tp.name,
        limits: limitsOf(p.limits ?? tp.limits),
        validFrom,
        validUntil,
        status: p.status,
        closedReason: p.closedReason ?? null,
        origin: p.origin,
      });
    });
    cl.appointments.forEach((a, ai) => {
      const path = `clients[${ci}].appointments[${ai}]`;
      const date = resolveDate(a.date, today);
      const start = localToInstant(date, parseMinute(a.time), tz);
      if (start === null) {
        issues.push({
          path: `${path}.time`,
          message: `${date} ${a.time} does not exist in ${tz} (clock change)`,
        });
        return;
      }
      const chain = a.chain ? chains.get(a.chain)! : null;
      const lines: ServiceLine[] = a.lines
        ? a.lines.map((l) => ({
            code: l.code,
            quantity: l.quantity,
            unitPriceCents: l.unitPriceCents ?? services.get(l.code)!.priceCents,
          }))
        : chainLines(a.chain!);
      const minutes = a.durationMinutes ?? chain?.durationMinutes ?? durationOf(lines);
      if (chain?.needsRoom && !a.room)
        issues.push({ path: `${path}.room`, message: `chain "${chain.key}" needs a room` });
      appointments.push({
        path,
        clientKey: cl.key,
        therapist: a.therapist,
        room: a.room ?? null,
        chain: a.chain ?? null,
        start,
        end: start + minutes * 60_000,
        bufferAfterMinutes: chain?.bufferAfterMinutes ?? 0,
        status: a.status,
        lines,
        packages: a.packages,
        note: a.note ?? null,
      });
    });
  });

  // Nobody and no room is in two places at once.
  const active = appointments.filter((a) => a.status !== 'cancelled').sort((x, y) => x.start - y.start);
  const lastBy = new Map<string, PlannedAppointment>();
  for (const a of active) {
    for (const resource of [`therapist ${a.therapist}`, a.room ? `room ${a.room}` : null]) {
      if (!resource) continue;
      const prev = lastBy.get(resource);
      if (prev && prev.end + prev.bufferAfterMinutes * 60_000 > a.start) {
        issues.push({ path: a.path, message: `${resource} is already booked by ${prev.path} at that time` });
      }
      if (!prev || prev.end + prev.bufferAfterMinutes * 60_000 < a.end + a.bufferAfterMinutes * 60_000) {
        lastBy.set(resource, a);
      }
    }
  }

  // No package starts life over its limits.
  packages.forEach((p, index) => {
    const budgetPackage: BudgetPackage = {
      id: index + 1,
      templateId: 0,
      name: p.name,
      limits: p.limits,
      validFrom: p.validFrom,
      validUntil: p.validUntil,
      status: p.status,
    };
    const assigned: BudgetAppointment[] = [];
    appointments.forEach((a, ai) => {
      if (a.clientKey !== p.clientKey || !a.packages.includes(p.key)) return;
      assigned.push({ id: ai + 1, start: a.start, end: a.end, status: a.status, lines: a.lines });
      const outside =
        (p.validFrom !== null && a.start < p.validFrom) || (p.validUntil !== null && a.start >= p.validUntil);
      if (outside && a.status !== 'cancelled') {
        issues.push({ path: a.path, message: `starts outside the validity of package "${p.key}"` });
      }
    });
    for (const use of consumption(budgetPackage, assigned, now)) {
      if (use.used + use.planned > use.limit) {
        const message = describeViolation(
          {
            kind: 'limit',
            criterion: use.criterion,
            code: use.code,
            limit: use.limit,
            current: 0,
            requested: use.used + use.planned,
          },
          p.name,
        );
        issues.push({ path: p.path, message: `its appointments exceed a limit: ${message}` });
      }
    }
  });

  return { issues, packages, appointments, today };
}

export interface ImportResult {
  practiceId: number;
  slug: string;
  counts: {
    therapists: number;
    services: number;
    chains: number;
    clients: number;
    packages: number;
    appointments: number;
  };
}

/** The document and its plan as the rows the store writes. */
export function rowsOf(doc: PracticeDocument, plan: ReturnType<typeof planPractice>): PracticeRows {
  const p = doc.practice;
  return {
    practice: {
      slug: p.slug,
      name: p.name,
      plan: p.plan,
      timeZone: p.timeZone,
      contactEmail: p.contactEmail ?? null,
      onlineBookingEnabled: p.booking.enabled,
      minNoticeMinutes: p.booking.minNoticeMinutes,
      bookingWindowDays: p.booking.bookingWindowDays,
      slotMode: p.booking.slotMode,
      slotStepMinutes: p.booking.slotStepMinutes,
      cancelDeadlineMinutes: p.booking.cancelDeadlineMinutes,
      allowedOrigins: p.booking.allowedOrigins,
      privacyNoticeUrl: p.booking.privacyNoticeUrl ?? null,
      holdMinutes: p.booking.holdMinutes,
      maxOpenOnlineBookings: p.booking.maxOpenOnlineBookings,
      mailNamesService: p.booking.mailNamesService,
      onlineLimits: p.booking.limits,
    },
    users: doc.users.map((u) => ({ email: u.email, name: u.name, role: u.role })),
    therapists: doc.therapists.map((th) => ({
      key: th.key,
      name: th.name,
      userEmail: th.user ?? null,
      onlineBookable: th.onlineBookable,
      color: th.color,
      hours: th.hours.map((h) => ({
        weekday: weekdayNumber(h.weekday),
        startMinute: parseMinute(h.from),
        endMinute: parseMinute(h.to),
      })),
      exceptions: th.exceptions.map((e) => ({
        date: resolveDate(e.date, plan.today),
        kind: e.kind,
        startMinute: e.from ? parseMinute(e.from) : null,
        endMinute: e.to ? parseMinute(e.to) : null,
        note: e.note ?? null,
      })),
    })),
    rooms: doc.rooms.map((r) => ({ key: r.key, name: r.name })),
    services: doc.services.map((s) => ({
      code: s.code,
      name: s.name,
      priceCents: s.priceCents,
      durationMinutes: s.durationMinutes,
    })),
    templates: doc.packageTemplates.map((tp) => ({
      key: tp.key,
      name: tp.name,
      limits: limitsOf(tp.limits),
      validityKind: tp.validity.kind,
      validityDays: tp.validity.kind === 'days' ? tp.validity.days : null,
    })),
    chains: doc.chains.map((c) => ({
      key: c.key,
      name: c.name,
      description: c.description,
      durationMinutes: c.durationMinutes ?? null,
      bufferAfterMinutes: c.bufferAfterMinutes,
      needsRoom: c.needsRoom,
      onlineBookable: c.onlineBookable,
      minAge: c.minAge ?? null,
      maxAge: c.maxAge ?? null,
      minNoticeMinutes: c.minNoticeMinutes ?? null,
      bookingWindowDays: c.bookingWindowDays ?? null,
      lines: c.lines.map((l) => ({ code: l.code, quantity: l.quantity })),
      therapists: c.therapists,
      rules: c.packageRules.map((r) => ({
        template: r.template,
        offeredWhen: r.offeredWhen,
        createWhen: r.createOnBooking,
      })),
    })),
    clients: doc.clients.map((cl) => ({
      key: cl.key,
      firstName: cl.firstName,
      lastName: cl.lastName,
      email: cl.email ?? null,
      phone: cl.phone ?? null,
      birthDate: cl.birthDate ?? null,
      accessCode: cl.accessCode ?? newAccessCode(),
      exclusions: cl.exclusions.map((e) => ({ template: e.template, reason: e.reason })),
    })),
    packages: plan.packages.map((pk) => ({
      clientKey: pk.clientKey,
      key: pk.key,
      template: pk.template,
      name: pk.name,
      limits: pk.limits,
      validFrom: pk.validFrom,
      validUntil: pk.validUntil,
      status: pk.status,
      origin: pk.origin,
      closedReason: pk.closedReason,
    })),
    appointments: plan.appointments.map((a) => ({
      clientKey: a.clientKey,
      therapist: a.therapist,
      room: a.room,
      chain: a.chain,
      start: a.start,
      end: a.end,
      bufferAfterMinutes: a.bufferAfterMinutes,
      status: a.status,
      lines: a.lines,
      packages: a.packages,
      note: a.note,
    })),
  };
}

/**
 * Imports a practice document (unparsed input is fine: it is validated first) in one write
 * transaction. Throws `PracticeDocumentError` and writes nothing when anything is wrong.
 */
export async function importPractice(
  store: Store,
  input: unknown,
  options: { now: number },
): Promise<ImportResult> {
  const doc = parsePracticeDocument(input);
  const plan = planPractice(doc, options.now);
  if (plan.issues.length > 0) throw new PracticeDocumentError(plan.issues);
  const rows = rowsOf(doc, plan);
  const slug = doc.practice.slug;
  const taken = () =>
    new PracticeDocumentError([{ path: 'practice.slug', message: `a practice "${slug}" exists already` }]);
  let practiceId: number;
  try {
    practiceId = await store.write(async (tx) => {
      if ((await practiceIdBySlug(tx, slug)) !== undefined) throw taken();
      return insertPractice(tx, rows, options.now);
    });
  } catch (err) {
    // Another process or instance imported the same slug at the same moment.
    if (err instanceof StoreConflict) throw taken();
    throw err;
  }
  return {
    practiceId,
    slug,
    counts: {
      therapists: doc.therapists.length,
      services: doc.services.length,
      chains: doc.chains.length,
      clients: doc.clients.length,
      packages: plan.packages.length,
      appointments: plan.appointments.length,
    },
  };
}
