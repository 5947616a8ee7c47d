/**
 * A practice as plain data for the decision's unit tests: services, chains with package rules as in
 * the product description, two therapists (Mon–Fri 08:00–18:00), two rooms. No database.
 */

import type { ClientFile, Snapshot } from '../../server/engine/appointment.ts';
import {
  type Chain,
  DEFAULT_ONLINE_LIMITS,
  type Practice,
  type PracticeConfig,
  type Service,
} from '../../server/engine/config.ts';
import type { ChainRule, CreateState, FilePackage } from '../../server/engine/eligibility.ts';
import type { BudgetAppointment, Limits, PackageStateName } from '../../shared/domain.ts';
import { localToInstant, parseMinute } from '../../shared/time.ts';
import type { ValidityRule } from '../../shared/validity.ts';

export const TZ = 'Europe/Berlin';

/** Friday 2026-11-27 10:00 in Berlin. */
export const NOW = Date.UTC(2026, 10, 27, 9, 0);

/** The instant of a local date and time in Berlin. */
export const at = (date: string, hhmm: string) => localToInstant(date, parseMinute(hhmm), TZ)!;

export const SERVICES: Service[] = [
  { id: 1, code: 'ERST', name: 'Befund', priceCents: 2500, durationMinutes: 20 },
  { id: 2, code: 'KG', name: 'Krankengymnastik', priceCents: 2800, durationMinutes: 25 },
  { id: 3, code: 'FANGO', name: 'Fango', priceCents: 2500, durationMinutes: 20 },
  { id: 4, code: 'ABSCHL', name: 'Abschlussbefund', priceCents: 3000, durationMinutes: 30 },
  { id: 5, code: 'HYPNOSE', name: 'Hypnose', priceCents: 12000, durationMinutes: 60 },
  { id: 6, code: 'COACHING', name: 'Coaching', priceCents: 9000, durationMinutes: 50 },
  { id: 7, code: 'MASSAGE', name: 'Massage', priceCents: 6000, durationMinutes: 30 },
  { id: 8, code: 'MT', name: 'Manuelle Therapie', priceCents: 4500, durationMinutes: 30 },
  { id: 9, code: 'HP', name: 'Erstgespräch', priceCents: 8000, durationMinutes: 60 },
];

export interface TemplateDef {
  id: number;
  name: string;
  limits: Limits;
  validity: ValidityRule;
}

export const TEMPLATES = {
  rezept: {
    id: 1,
    name: 'Rezept KG 6×',
    limits: { maxAppointments: 6, codeLimits: [{ code: 'KG', maxQuantity: 6 }] },
    validity: { kind: 'days', days: 90 },
  },
  hypnose: {
    id: 2,
    name: 'Hypnose 5er',
    limits: { maxAppointments: 5, codeLimits: [] },
    validity: { kind: 'days', days: 365 },
  },
  coaching: {
    id: 3,
    name: 'Coaching 6er',
    limits: { maxAppointments: 6, codeLimits: [] },
    validity: { kind: 'days', days: 365 },
  },
  wellness: {
    id: 4,
    name: 'Wellness 250 €',
    limits: { maxAmountCents: 25000, codeLimits: [] },
    validity: { kind: 'none' },
  },
  zusatz: {
    id: 5,
    name: 'Zusatzversicherung 2026',
    limits: { maxAmountCents: 60000, codeLimits: [{ code: 'MT', maxQuantity: 20 }] },
    validity: { kind: 'calendar_year' },
  },
  kasse: {
    id: 6,
    name: 'Erstattung Krankenkasse',
    limits: { maxAmountCents: 20000, codeLimits: [] },
    validity: { kind: 'none' },
  },
} satisfies Record<string, TemplateDef>;

export function rule(
  template: TemplateDef,
  offeredWhen: PackageStateName[],
  createWhen: CreateState[] = [],
): ChainRule {
  return {
    templateId: template.id,
    templateName: template.name,
    offeredWhen: new Set(offeredWhen),
    createWhen: new Set(createWhen),
    templateLimits: template.limits,
    templateValidity: template.validity,
  };
}

interface ChainDef {
  id: number;
  key: string;
  lines: [code: string, quantity: number][];
  durationMinutes?: number;
  bufferAfterMinutes?: number;
  needsRoom?: boolean;
  therapistIds?: number[];
  /** Default: all of `therapistIds`. */
  onlineTherapistIds?: number[];
  rules?: ChainRule[];
  minAge?: number | null;
  maxAge?: number | null;
  onlineBookable?: boolean;
}

export function chain(def: ChainDef): Chain {
  const lines = def.lines.map(([code, quantity]) => {
    const s = SERVICES.find((x) => x.code === code)!;
    return { code, quantity, unitPriceCents: s.priceCents, serviceId: s.id, duration: s.durationMinutes };
  });
  return {
    id: def.id,
    key: def.key,
    name: def.key,
    description: '',
    durationMinutes: def.durationMinutes ?? lines.reduce((sum, l) => sum + l.duration * l.quantity, 0),
    bufferAfterMinutes: def.bufferAfterMinutes ?? 0,
    needsRoom: def.needsRoom ?? false,
    onlineBookable: def.onlineBookable ?? true,
    minAge: def.minAge ?? null,
    maxAge: def.maxAge ?? null,
    minNoticeMinutes: null,
    bookingWindowDays: null,
    therapistIds: def.therapistIds ?? [1, 2],
    onlineTherapistIds: def.onlineTherapistIds ?? def.therapistIds ?? [1, 2],
    lines: lines.map(({ code, quantity, unitPriceCents }) => ({ code, quantity, unitPriceCents })),
    serviceIds: lines.map((l) => l.serviceId),
    priceCents: lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
    rules: def.rules ?? [],
  };
}

export const CHAINS = {
  erstbefund: chain({
    id: 1,
    key: 'erstbefund',
    lines: [
      ['ERST', 1],
      ['KG', 1],
    ],
    bufferAfterMinutes: 10,
    needsRoom: true,
    rules: [rule(TEMPLATES.rezept, ['absent', 'exhausted'], ['absent', 'exhausted'])],
  }),
  folgetermin: chain({
    id: 2,
    key: 'folgetermin',
    lines: [['KG', 1]],
    bufferAfterMinutes: 5,
    needsRoom: true,
    rules: [rule(TEMPLATES.rezept, ['present'])],
  }),
  abschluss: chain({
    id: 3,
    key: 'abschluss',
    lines: [['ABSCHL', 1]],
    needsRoom: true,
    therapistIds: [1],
    rules: [rule(TEMPLATES.rezept, ['exhausted'])],
  }),
  hypnose: chain({
    id: 4,
    key: 'hypnose',
    lines: [['HYPNOSE', 1]],
    therapistIds: [2],
    minAge: 18,
    rules: [rule(TEMPLATES.hypnose, ['absent', 'present'], ['absent'])],
  }),
  coaching: chain({
    id: 5,
    key: 'coaching',
    lines: [['COACHING', 1]],
    therapistIds: [2],
    rules: [rule(TEMPLATES.coaching, ['present'])],
  }),
  massage: chain({
    id: 6,
    key: 'massage',
    lines: [['MASSAGE', 1]],
    rules: [rule(TEMPLATES.wellness, ['present'])],
  }),
  fango: chain({
    id: 7,
    key: 'fango',
    lines: [['FANGO', 1]],
    rules: [rule(TEMPLATES.wellness, ['present'])],
  }),
  mt: chain({ id: 8, key: 'mt', lines: [['MT', 1]], rules: [rule(TEMPLATES.zusatz, ['present'])] }),
  hp: chain({ id: 9, key: 'hp', lines: [['HP', 1]], therapistIds: [2], minAge: 18 }),
};

export const PRACTICE: Practice = {
  id: 1,
  slug: 'test',
  name: 'Testpraxis',
  plan: 'XL',
  timeZone: TZ,
  onlineBookingEnabled: true,
  minNoticeMinutes: 120,
  bookingWindowDays: 400,
  slotMode: 'grid',
  slotStepMinutes: 15,
  cancelDeadlineMinutes: 1440,
  allowedOrigins: [],
  privacyNoticeUrl: null,
  contactEmail: null,
  holdMinutes: 10,
  maxOpenOnlineBookings: 3,
  mailNamesService: false,
  onlineLimits: DEFAULT_ONLINE_LIMITS,
  configVersion: 1,
};

const weekdays = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, startMinute: 8 * 60, endMinute: 18 * 60 }));

export function practice(over: { practice?: Partial<Practice>; chains?: Chain[] } = {}): PracticeConfig {
  const chains = over.chains ?? Object.values(CHAINS);
  return {
    practice: { ...PRACTICE, ...over.practice },
    version: 1,
    chains,
    chainById: new Map(chains.map((c) => [c.id, c])),
    therapistById: new Map([
      [1, { id: 1, name: 'Anna', active: true, weeklyHours: weekdays, exceptions: [] }],
      [2, { id: 2, name: 'Jo', active: true, weeklyHours: weekdays, exceptions: [] }],
    ]),
    rooms: [
      { id: 1, name: 'Raum 1' },
      { id: 2, name: 'Raum 2' },
    ],
    serviceById: new Map(SERVICES.map((s) => [s.id, s])),
  };
}

/** A package on the file: from a template, with overrides (validity, limits, status, origin). */
export function pkg(id: number, template: TemplateDef, over: Partial<FilePackage> = {}): FilePackage {
  return {
    id,
    templateId: template.id,
    name: template.name,
    limits: template.limits,
    validFrom: null,
    validUntil: null,
    status: 'active',
    origin: 'manual',
    ...over,
  };
}

let nextAppointmentId = 1000;

/** An appointment on a package: `count` of them, a week apart from `first`, with these lines. */
export function appointments(
  first: number,
  count: number,
  lines: [code: string, quantity: number][],
  minutes = 30,
): BudgetAppointment[] {
  return Array.from({ length: count }, (_, i) => {
    const start = first + i * 7 * 86_400_000;
    return {
      id: nextAppointmentId++,
      start,
      end: start + minutes * 60_000,
      status: 'booked' as const,
      lines: lines.map(([code, quantity]) => ({
        code,
        quantity,
        unitPriceCents: SERVICES.find((s) => s.code === code)!.priceCents,
      })),
    };
  });
}

/** A client file with packages, their appointments and exclusions. */
export function file(
  over: {
    packages?: FilePackage[];
    byPackage?: [number, BudgetAppointment[]][];
    excluded?: number[];
    birthDate?: string | null;
    appointments?: ClientFile['appointments'];
  } = {},
): ClientFile {
  const byPackage = new Map(over.byPackage ?? []);
  const all = [...byPackage.values()].flat().filter((a) => a.status !== 'cancelled');
  return {
    clientId: 7,
    birthDate: over.birthDate === undefined ? '1990-05-05' : over.birthDate,
    packages: over.packages ?? [],
    appointmentsByPackage: byPackage,
    excludedTemplateIds: new Set(over.excluded ?? []),
    appointments: over.appointments ?? all.map((a) => ({ id: a.id, start: a.start, end: a.end })),
  };
}

export function snapshot(client: ClientFile | null, over: Partial<Snapshot> = {}): Snapshot {
  return { config: practice(), client, busy: [], ...over };
}

export const NEW_CLIENT = {
  firstName: 'Nora',
  lastName: 'Neu',
  email: 'nora@example.org',
  birthDate: '1990-05-05',
};
