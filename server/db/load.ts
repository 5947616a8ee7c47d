/**
 * Loading what the rules need, as plain data: a practice, its chains, the scheduling picture of a
 * time window, a client file's budget. Reads only; works on the db or inside a transaction.
 */
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { BudgetAppointment, BudgetPackage, PackageStateName, ServiceLine } from '../../shared/domain.ts';
import type { ValidityRule } from '../../shared/validity.ts';
import type { ChainRule, ClientBudget, EligibilityChain } from '../engine/eligibility.ts';
import type { BusyInterval, SlotTherapist } from '../engine/slots.ts';
import type { Db, Tx } from './index.ts';
import * as t from './schema.ts';

export type Reader = Db | Tx;
export type PracticeRow = typeof t.practices.$inferSelect;

export function practiceBySlug(db: Reader, slug: string): PracticeRow | undefined {
  return db.select().from(t.practices).where(eq(t.practices.slug, slug)).get();
}

export interface LoadedChain extends EligibilityChain {
  key: string;
  name: string;
  description: string;
  durationMinutes: number;
  bufferAfterMinutes: number;
  needsRoom: boolean;
  onlineBookable: boolean;
  minNoticeMinutes: number | null;
  bookingWindowDays: number | null;
  therapistIds: number[];
  priceCents: number;
  /** Service ids per line, for writing appointment lines. */
  serviceIds: number[];
}

export function validityRuleOf(template: typeof t.packageTemplates.$inferSelect): ValidityRule {
  if (template.validityKind === 'days') return { kind: 'days', days: template.validityDays ?? 1 };
  return { kind: template.validityKind };
}

/** Every chain of a practice with its lines (at today's prices), therapists and package rules. */
export function loadChains(db: Reader, practiceId: number, only?: { chainId?: number }): LoadedChain[] {
  const chainRows = db
    .select()
    .from(t.chains)
    .where(
      only?.chainId === undefined
        ? eq(t.chains.practiceId, practiceId)
        : and(eq(t.chains.practiceId, practiceId), eq(t.chains.id, only.chainId)),
    )
    .orderBy(asc(t.chains.sortOrder), asc(t.chains.id))
    .all();
  if (chainRows.length === 0) return [];
  const ids = chainRows.map((c) => c.id);
  const lines = db
    .select({
      chainId: t.chainLines.chainId,
      quantity: t.chainLines.quantity,
      serviceId: t.services.id,
      code: t.services.code,
      priceCents: t.services.priceCents,
      durationMinutes: t.services.durationMinutes,
    })
    .from(t.chainLines)
    .innerJoin(t.services, eq(t.services.id, t.chainLines.serviceId))
    .where(inArray(t.chainLines.chainId, ids))
    .orderBy(asc(t.chainLines.chainId), asc(t.chainLines.position))
    .all();
  const therapists = db
    .select({ chainId: t.chainTherapists.chainId, therapistId: t.chainTherapists.therapistId })
    .from(t.chainTherapists)
    .innerJoin(t.therapists, eq(t.therapists.id, t.chainTherapists.therapistId))
    .where(and(inArray(t.chainTherapists.chainId, ids), eq(t.therapists.active, true)))
    .orderBy(asc(t.chainTherapists.therapistId))
    .all();
  const rules = db
    .select({ rule: t.chainPackageRules, template: t.packageTemplates })
    .from(t.chainPackageRules)
    .innerJoin(t.packageTemplates, eq(t.packageTemplates.id, t.chainPackageRules.templateId))
    .where(inArray(t.chainPackageRules.chainId, ids))
    .orderBy(asc(t.chainPackageRules.id))
    .all();

  return chainRows.map((c) => {
    const own = lines.filter((l) => l.chainId === c.id);
    const serviceLines: ServiceLine[] = own.map((l) => ({
      code: l.code,
      quantity: l.quantity,
      unitPriceCents: l.priceCents,
    }));
    const chainRules: ChainRule[] = rules
      .filter((r) => r.rule.chainId === c.id)
      .map(({ rule, template }) => {
        const offeredWhen = new Set<PackageStateName>();
        if (rule.whenAbsent) offeredWhen.add('absent');
        if (rule.whenPresent) offeredWhen.add('present');
        if (rule.whenExhausted) offeredWhen.add('exhausted');
        if (rule.whenExcluded) offeredWhen.add('excluded');
        return {
          templateId: rule.templateId,
          templateName: template.name,
          offeredWhen,
          createOnBooking: rule.createOnBooking,
          templateLimits: {
            maxAppointments: template.maxAppointments,
            maxAmountCents: template.maxAmountCents,
            codeLimits: template.codeLimits,
          },
          templateValidity: validityRuleOf(template),
        };
      });
    return {
      id: c.id,
      key: c.key,
      name: c.name,
      description: c.description,
      durationMinutes: c.durationMinutes ?? own.reduce((s, l) => s + l.durationMinutes * l.quantity, 0),
      bufferAfterMinutes: c.bufferAfterMinutes,
      needsRoom: c.needsRoom,
      onlineBookable: c.onlineBookable,
      minAge: c.minAge,
      maxAge: c.maxAge,
      minNoticeMinutes: c.minNoticeMinutes,
      bookingWindowDays: c.bookingWindowDays,
      therapistIds: therapists.filter((x) => x.chainId === c.id).map((x) => x.therapistId),
      lines: serviceLines,
      serviceIds: own.map((l) => l.serviceId),
      priceCents: serviceLines.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0),
      rules: chainRules,
    };
  });
}

/** Therapists with their weekly hours and the exceptions between two local dates. */
export function loadTherapists(
  db: Reader,
  practiceId: number,
  therapistIds: number[],
  fromDate: string,
  toDate: string,
): SlotTherapist[] {
  if (therapistIds.length === 0) return [];
  const rows = db
    .select({ id: t.therapists.id, name: t.therapists.name })
    .from(t.therapists)
    .where(and(eq(t.therapists.practiceId, practiceId), inArray(t.therapists.id, therapistIds)))
    .orderBy(asc(t.therapists.id))
    .all();
  const hours = db
    .select()
    .from(t.workingHours)
    .where(inArray(t.workingHours.therapistId, therapistIds))
    .all();
  const exceptions = db
    .select()
    .from(t.availabilityExceptions)
    .where(
      and(
        inArray(t.availabilityExceptions.therapistId, therapistIds),
        sql`${t.availabilityExceptions.date} BETWEEN ${fromDate} AND ${toDate}`,
      ),
    )
    .all();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    weeklyHours: hours
      .filter((h) => h.therapistId === r.id)
      .map((h) => ({ weekday: h.weekday, startMinute: h.startMinute, endMinute: h.endMinute })),
    exceptions: exceptions
      .filter((e) => e.therapistId === r.id)
      .map((e) => ({ date: e.date, kind: e.kind, startMinute: e.startMinute, endMinute: e.endMinute })),
  }));
}

export function loadRooms(db: Reader, practiceId: number): { id: number; name: string }[] {
  return db
    .select({ id: t.rooms.id, name: t.rooms.name })
    .from(t.rooms)
    .where(eq(t.rooms.practiceId, practiceId))
    .orderBy(asc(t.rooms.id))
    .all();
}

/** The longest an appointment can block its therapist or room: 24 h plus an 8 h buffer (schema checks). */
export const LONGEST_BLOCK_MS = 32 * 3_600_000;

/**
 * The non-cancelled appointments that block the given therapists or rooms inside [from, to), each
 * until its buffer ends. Both queries run on the (therapist, start) and (room, start) indexes with a
 * bounded start range: the cost follows the appointments in the window, not the size of the table.
 */
export function loadBusy(
  db: Reader,
  practiceId: number,
  who: { therapistIds: number[]; roomIds: number[] },
  from: number,
  to: number,
): BusyInterval[] {
  const cols = {
    id: t.appointments.id,
    therapistId: t.appointments.therapistId,
    roomId: t.appointments.roomId,
    start: t.appointments.startsAt,
    end: t.appointments.blockedUntil,
  };
  const overlapping = and(
    eq(t.appointments.practiceId, practiceId),
    sql`${t.appointments.startsAt} >= ${from - LONGEST_BLOCK_MS}`,
    sql`${t.appointments.startsAt} < ${to}`,
    sql`${t.appointments.blockedUntil} > ${from}`,
    ne(t.appointments.status, 'cancelled'),
  );
  const byTherapist =
    who.therapistIds.length === 0
      ? []
      : db
          .select(cols)
          .from(t.appointments)
          .where(and(inArray(t.appointments.therapistId, who.therapistIds), overlapping))
          .all();
  const seen = new Set(byTherapist.map((b) => b.id));
  const byRoom =
    who.roomIds.length === 0
      ? []
      : db
          .select(cols)
          .from(t.appointments)
          .where(and(inArray(t.appointments.roomId, who.roomIds), overlapping))
          .all()
          .filter((b) => !seen.has(b.id));
  return [...byTherapist, ...byRoom].map(({ id: _id, ...busy }) => busy);
}

/** A client file's packages, their appointments, exclusions and birth date. */
export function loadClientBudget(db: Reader, practiceId: number, clientId: number): ClientBudget | undefined {
  const client = db
    .select({ id: t.clients.id, birthDate: t.clients.birthDate })
    .from(t.clients)
    .where(and(eq(t.clients.practiceId, practiceId), eq(t.clients.id, clientId)))
    .get();
  if (!client) return undefined;
  const packageRows = db
    .select()
    .from(t.packages)
    .where(and(eq(t.packages.practiceId, practiceId), eq(t.packages.clientId, clientId)))
    .orderBy(asc(t.packages.id))
    .all();
  const packages: BudgetPackage[] = packageRows.map((p) => ({
    id: p.id,
    templateId: p.templateId,
    name: p.name,
    limits: {
      maxAppointments: p.maxAppointments,
      maxAmountCents: p.maxAmountCents,
      codeLimits: p.codeLimits,
    },
    validFrom: p.validFrom,
    validUntil: p.validUntil,
    status: p.status,
  }));
  const appointmentsByPackage = new Map<number, BudgetAppointment[]>();
  if (packages.length > 0) {
    const links = db
      .select({
        packageId: t.appointmentPackages.packageId,
        id: t.appointments.id,
        start: t.appointments.startsAt,
        end: t.appointments.endsAt,
        status: t.appointments.status,
      })
      .from(t.appointmentPackages)
      .innerJoin(t.appointments, eq(t.appointments.id, t.appointmentPackages.appointmentId))
      .where(
        inArray(
          t.appointmentPackages.packageId,
          packages.map((p) => p.id),
        ),
      )
      .all();
    const appointmentIds = [...new Set(links.map((l) => l.id))];
    const lines =
      appointmentIds.length === 0
        ? []
        : db
            .select({
              appointmentId: t.appointmentLines.appointmentId,
              code: t.appointmentLines.code,
              quantity: t.appointmentLines.quantity,
              unitPriceCents: t.appointmentLines.unitPriceCents,
            })
            .from(t.appointmentLines)
            .where(inArray(t.appointmentLines.appointmentId, appointmentIds))
            .all();
    const linesOf = new Map<number, ServiceLine[]>();
    for (const { appointmentId, ...line } of lines) {
      const list = linesOf.get(appointmentId) ?? [];
      list.push(line);
      linesOf.set(appointmentId, list);
    }
    for (const p of packages) appointmentsByPackage.set(p.id, []);
    for (const l of links) {
      appointmentsByPackage.get(l.packageId)!.push({
        id: l.id,
        start: l.start,
        end: l.end,
        status: l.status,
        lines: linesOf.get(l.id) ?? [],
      });
    }
  }
  const excluded = db
    .select({ templateId: t.exclusions.templateId })
    .from(t.exclusions)
    .where(and(eq(t.exclusions.practiceId, practiceId), eq(t.exclusions.clientId, clientId)))
    .all();
  return {
    clientId,
    birthDate: client.birthDate,
    packages,
    appointmentsByPackage,
    excludedTemplateIds: new Set(excluded.map((e) => e.templateId)),
  };
}
