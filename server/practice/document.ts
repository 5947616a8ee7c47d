/**
 * A whole practice as one document: settings, therapists with hours, rooms, services, package
 * templates, chains with their package rules, and client files with packages and appointments.
 * `docs/PRACTICE-DOCUMENT.md` describes it for people; this schema is the definition.
 *
 * Cross references are by key (therapist, room, template, package) or service code; every broken
 * reference, duplicate and contradiction is reported with its path, e.g.
 * `chains[2].lines[0].code: unknown service code "KGX"`.
 */
import { z } from 'zod';
import { isDate, isTimeZone, parseMinute } from '../../shared/time.ts';

const key = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a key is 1–64 lower-case letters, digits, - or _');
const name = z.string().trim().min(1).max(200);
const cents = z.number().int().min(0).max(100_000_000);
const positiveInt = (max: number) => z.number().int().min(1).max(max);

/** `HH:MM`, 00:00–24:00. */
const time = z.string().refine(
  (s) => {
    try {
      parseMinute(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'a time is HH:MM between 00:00 and 24:00' },
);

/** A local date `YYYY-MM-DD`, or relative to the day of import: `today`, `today+3`, `today-14`. */
export const dateRef = z.string().refine((s) => /^today([+-]\d{1,4})?$/.test(s) || isDate(s), {
  message: 'a date is YYYY-MM-DD or today, today+N, today-N',
});

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const weekdayNumber = (w: (typeof WEEKDAYS)[number]) => WEEKDAYS.indexOf(w) + 1;

const codeLimit = z.strictObject({
  code: z.string().min(1).max(32),
  maxQuantity: positiveInt(10_000).optional(),
  maxAmountCents: positiveInt(100_000_000).optional(),
});

export const limitsSchema = z
  .strictObject({
    maxAppointments: positiveInt(10_000).optional(),
    maxAmountCents: positiveInt(100_000_000).optional(),
    codes: z.array(codeLimit).max(50).default([]),
  })
  .superRefine((l, ctx) => {
    const anyCode = l.codes.some((c) => c.maxQuantity !== undefined || c.maxAmountCents !== undefined);
    if (l.maxAppointments === undefined && l.maxAmountCents === undefined && !anyCode) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs at least one limit (maxAppointments, maxAmountCents or a code limit)',
      });
    }
    l.codes.forEach((c, i) => {
      if (c.maxQuantity === undefined && c.maxAmountCents === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['codes', i],
          message: `code limit for "${c.code}" needs maxQuantity or maxAmountCents`,
        });
      }
      if (l.codes.findIndex((o) => o.code === c.code) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['codes', i, 'code'],
          message: `code "${c.code}" is limited twice`,
        });
      }
    });
  });

const validity = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('days'), days: positiveInt(3660) }),
  z.strictObject({ kind: z.literal('calendar_year') }),
]);

const PACKAGE_STATE = z.enum(['absent', 'present', 'exhausted', 'excluded']);

const hours = z.strictObject({ weekday: z.enum(WEEKDAYS), from: time, to: time });
const exception = z.strictObject({
  date: dateRef,
  kind: z.enum(['closed', 'open']),
  from: time.optional(),
  to: time.optional(),
  note: z.string().max(500).optional(),
});

const appointmentLine = z.strictObject({
  code: z.string().min(1).max(32),
  quantity: positiveInt(100).default(1),
  /** Defaults to the service's price. */
  unitPriceCents: cents.optional(),
});

const appointment = z.strictObject({
  date: dateRef,
  time,
  therapist: key,
  room: key.optional(),
  /** The chain fills lines, duration and buffer unless they are given. */
  chain: key.optional(),
  lines: z.array(appointmentLine).min(1).max(50).optional(),
  durationMinutes: positiveInt(1440).optional(),
  status: z.enum(['booked', 'done', 'no_show', 'cancelled']).default('booked'),
  packages: z.array(key).max(10).default([]),
  note: z.string().max(2000).optional(),
});

const packageDoc = z.strictObject({
  key,
  template: key,
  name: name.optional(),
  /** Defaults to the template's limits. */
  limits: limitsSchema.optional(),
  /** First valid local day; defaults to the template's validity rule applied on the day of import. */
  validFrom: dateRef.optional(),
  /** Last valid local day (inclusive). */
  validUntil: dateRef.optional(),
  status: z.enum(['active', 'closed']).default('active'),
  closedReason: z.string().max(500).optional(),
  origin: z.enum(['manual', 'booking']).default('manual'),
});

const client = z.strictObject({
  key,
  firstName: name,
  lastName: name,
  email: z.email().max(254).optional(),
  phone: z.string().max(40).optional(),
  birthDate: z.string().refine(isDate, { message: 'a birth date is YYYY-MM-DD' }).optional(),
  accessCode: z
    .string()
    .regex(/^[A-Z0-9]{6,16}$/, 'an access code is 6–16 upper-case letters or digits')
    .optional(),
  exclusions: z
    .array(z.strictObject({ template: key, reason: z.string().trim().min(1).max(500) }))
    .default([]),
  packages: z.array(packageDoc).max(100).default([]),
  appointments: z.array(appointment).max(10_000).default([]),
});

const chain = z.strictObject({
  key,
  name,
  description: z.string().max(2000).default(''),
  lines: z
    .array(z.strictObject({ code: z.string().min(1).max(32), quantity: positiveInt(100).default(1) }))
    .min(1)
    .max(50),
  /** Defaults to the sum of the services' durations. */
  durationMinutes: positiveInt(1440).optional(),
  bufferAfterMinutes: z.number().int().min(0).max(480).default(0),
  needsRoom: z.boolean().default(false),
  onlineBookable: z.boolean().default(true),
  therapists: z.array(key).min(1),
  minAge: z.number().int().min(0).max(150).optional(),
  maxAge: z.number().int().min(0).max(150).optional(),
  minNoticeMinutes: z.number().int().min(0).max(525_600).optional(),
  bookingWindowDays: positiveInt(730).optional(),
  packageRules: z
    .array(
      z.strictObject({
        template: key,
        offeredWhen: z.array(PACKAGE_STATE).min(1),
        /**
         * The states in which booking creates a package from the template: `true` is `["absent"]`
         * (a first prescription); `["absent", "exhausted"]` also starts the next one after the last
         * ran out or expired.
         */
        createOnBooking: z
          .union([z.boolean(), z.array(z.enum(['absent', 'exhausted'])).max(2)])
          .default(false)
          .transform((v): ('absent' | 'exhausted')[] =>
            v === true ? ['absent'] : v === false ? [] : [...new Set(v)],
          ),
      }),
    )
    .default([]),
});

/** At most `count` in `minutes`. */
const rateWindow = z.strictObject({
  count: z.number().int().min(1).max(1_000_000),
  minutes: z.number().int().min(1).max(10_080),
});

/** Overrides of the online limits (engine/config.ts DEFAULT_ONLINE_LIMITS); what is left out stays the default. */
const onlineLimitsSchema = z
  .strictObject({
    codeRequestsPerAddress: rateWindow,
    codeRequestsPerEmail: rateWindow,
    verifyPerAddress: rateWindow,
    verifyFailuresPerEmailPerDay: z.number().int().min(1).max(1000),
    holdsPerAddress: rateWindow,
    holdsPerPractice: rateWindow,
    bookingsPerAddress: rateWindow,
  })
  .partial();

const documentShape = z.strictObject({
  practice: z.strictObject({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a slug is lower-case letters, digits and -'),
    name,
    plan: z.enum(['S', 'M', 'L', 'XL', 'XXL']),
    timeZone: z.string().refine(isTimeZone, { message: 'not an IANA time zone' }).default('Europe/Berlin'),
    contactEmail: z.email().optional(),
    booking: z
      .strictObject({
        enabled: z.boolean().default(true),
        minNoticeMinutes: z.number().int().min(0).max(525_600).default(120),
        bookingWindowDays: positiveInt(730).default(60),
        slotMode: z.enum(['grid', 'compact']).default('grid'),
        slotStepMinutes: z.number().int().min(5).max(240).default(15),
        cancelDeadlineMinutes: z.number().int().min(0).max(525_600).default(1440),
        allowedOrigins: z.array(z.url()).max(50).default([]),
        privacyNoticeUrl: z.url().optional(),
        holdMinutes: z.number().int().min(1).max(60).default(10),
        maxOpenOnlineBookings: z.number().int().min(1).max(100).default(3),
        mailNamesService: z.boolean().default(false),
        limits: onlineLimitsSchema.default({}),
      })
      .prefault({}),
  }),
  users: z.array(z.strictObject({ email: z.email(), name, role: z.enum(['admin', 'staff']) })).default([]),
  therapists: z
    .array(
      z.strictObject({
        key,
        name,
        user: z.email().optional(),
        /** Whether clients may book them online (staff always may). */
        onlineBookable: z.boolean().default(true),
        /** Their appointments' colour in the calendar. */
        color: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/, 'a colour is #rrggbb')
          .transform((c) => c.toLowerCase())
          .default('#2f6f8f'),
        hours: z.array(hours).max(100).default([]),
        exceptions: z.array(exception).max(1000).default([]),
      }),
    )
    .default([]),
  rooms: z.array(z.strictObject({ key, name })).default([]),
  services: z
    .array(
      z.strictObject({
        code: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'a service code is 1–32 letters, digits, . _ -'),
        name,
        priceCents: cents,
        durationMinutes: positiveInt(1440),
      }),
    )
    .default([]),
  packageTemplates: z
    .array(z.strictObject({ key, name, limits: limitsSchema, validity: validity.default({ kind: 'none' }) }))
    .default([]),
  chains: z.array(chain).default([]),
  clients: z.array(client).default([]),
});

export const practiceDocumentSchema = documentShape.superRefine(checkReferences);

export type PracticeDocument = z.output<typeof practiceDocumentSchema>;
export type PracticeDocumentInput = z.input<typeof practiceDocumentSchema>;

type Ctx = z.RefinementCtx;

function duplicates<T>(
  ctx: Ctx,
  items: T[],
  keyOf: (t: T) => string,
  path: (i: number) => (string | number)[],
  what: string,
) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = keyOf(item);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: path(i), message: `duplicate ${what} "${k}"` });
    seen.add(k);
  });
}

/** Every cross reference, duplicate and contradiction that a single field cannot see. */
function checkReferences(doc: z.output<typeof documentShape>, ctx: Ctx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });

  duplicates(
    ctx,
    doc.users,
    (u) => u.email.toLowerCase(),
    (i) => ['users', i, 'email'],
    'user e-mail',
  );
  duplicates(
    ctx,
    doc.therapists,
    (t) => t.key,
    (i) => ['therapists', i, 'key'],
    'therapist key',
  );
  duplicates(
    ctx,
    doc.rooms,
    (r) => r.key,
    (i) => ['rooms', i, 'key'],
    'room key',
  );
  duplicates(
    ctx,
    doc.services,
    (s) => s.code,
    (i) => ['services', i, 'code'],
    'service code',
  );
  duplicates(
    ctx,
    doc.packageTemplates,
    (t) => t.key,
    (i) => ['packageTemplates', i, 'key'],
    'template key',
  );
  duplicates(
    ctx,
    doc.chains,
    (c) => c.key,
    (i) => ['chains', i, 'key'],
    'chain key',
  );
  duplicates(
    ctx,
    doc.clients,
    (c) => c.key,
    (i) => ['clients', i, 'key'],
    'client key',
  );
  const emails = new Set<string>();
  doc.clients.forEach((c, i) => {
    const email = c.email?.toLowerCase();
    if (email && emails.has(email)) issue(['clients', i, 'email'], `duplicate client e-mail "${c.email}"`);
    if (email) emails.add(email);
  });

  const codes = new Set(doc.services.map((s) => s.code));
  const therapistKeys = new Set(doc.therapists.map((t) => t.key));
  const roomKeys = new Set(doc.rooms.map((r) => r.key));
  const templateKeys = new Set(doc.packageTemplates.map((t) => t.key));
  const chainKeys = new Set(doc.chains.map((c) => c.key));
  const userEmails = new Set(doc.users.map((u) => u.email.toLowerCase()));
  const packagesAllowed = ['L', 'XL', 'XXL'].includes(doc.practice.plan);

  doc.therapists.forEach((t, ti) => {
    if (t.user && !userEmails.has(t.user.toLowerCase())) {
      issue(['therapists', ti, 'user'], `unknown user "${t.user}"`);
    }
    const spans = t.hours.map((h, hi) => ({
      hi,
      weekday: h.weekday,
      from: parseMinute(h.from),
      to: parseMinute(h.to),
    }));
    for (const s of spans) {
      if (s.from >= s.to)
        issue(['therapists', ti, 'hours', s.hi], `hours end (${t.hours[s.hi]!.to}) must be after start`);
    }
    for (const a of spans) {
      for (const b of spans) {
        if (a.hi < b.hi && a.weekday === b.weekday && a.from < b.to && b.from < a.to) {
          issue(['therapists', ti, 'hours', b.hi], `overlaps hours[${a.hi}] on ${a.weekday}`);
        }
      }
    }
    t.exceptions.forEach((e, ei) => {
      const hasFrom = e.from !== undefined;
      if (hasFrom !== (e.to !== undefined)) {
        issue(['therapists', ti, 'exceptions', ei], 'give both from and to, or neither');
      } else if (hasFrom && parseMinute(e.from!) >= parseMinute(e.to!)) {
        issue(['therapists', ti, 'exceptions', ei, 'to'], 'must be after from');
      } else if (!hasFrom && e.kind === 'open') {
        issue(['therapists', ti, 'exceptions', ei], 'extra hours (open) need from and to');
      }
    });
  });

  doc.packageTemplates.forEach((t, ti) => {
    if (!packagesAllowed)
      issue(['packageTemplates', ti], `packages need plan L or higher (plan is ${doc.practice.plan})`);
    t.limits.codes.forEach((c, ci) => {
      if (!codes.has(c.code))
        issue(['packageTemplates', ti, 'limits', 'codes', ci, 'code'], `unknown service code "${c.code}"`);
    });
  });

  doc.chains.forEach((c, ci) => {
    c.lines.forEach((l, li) => {
      if (!codes.has(l.code)) issue(['chains', ci, 'lines', li, 'code'], `unknown service code "${l.code}"`);
    });
    c.therapists.forEach((t, i) => {
      if (!therapistKeys.has(t)) issue(['chains', ci, 'therapists', i], `unknown therapist "${t}"`);
    });
    duplicates(
      ctx,
      c.therapists,
      (t) => t,
      (i) => ['chains', ci, 'therapists', i],
      'therapist',
    );
    if (c.minAge !== undefined && c.maxAge !== undefined && c.minAge > c.maxAge) {
      issue(['chains', ci, 'maxAge'], 'must not be below minAge');
    }
    if (c.needsRoom && doc.rooms.length === 0)
      issue(['chains', ci, 'needsRoom'], 'the practice has no rooms');
    duplicates(
      ctx,
      c.packageRules,
      (r) => r.template,
      (i) => ['chains', ci, 'packageRules', i, 'template'],
      'rule for template',
    );
    c.packageRules.forEach((r, ri) => {
      if (!templateKeys.has(r.template))
        issue(['chains', ci, 'packageRules', ri, 'template'], `unknown package template "${r.template}"`);
      for (const state of r.createOnBooking) {
        if (!r.offeredWhen.includes(state)) {
          issue(
            ['chains', ci, 'packageRules', ri, 'createOnBooking'],
            `creating a package on booking when ${state} needs "${state}" in offeredWhen`,
          );
        }
      }
    });
  });

  doc.clients.forEach((cl, ci) => {
    const at = (...p: (string | number)[]) => ['clients', ci, ...p];
    cl.exclusions.forEach((e, ei) => {
      if (!templateKeys.has(e.template))
        issue(at('exclusions', ei, 'template'), `unknown package template "${e.template}"`);
    });
    duplicates(
      ctx,
      cl.exclusions,
      (e) => e.template,
      (i) => at('exclusions', i, 'template'),
      'exclusion of template',
    );
    duplicates(
      ctx,
      cl.packages,
      (p) => p.key,
      (i) => at('packages', i, 'key'),
      'package key',
    );
    const packageKeys = new Set(cl.packages.map((p) => p.key));
    cl.packages.forEach((p, pi) => {
      if (!packagesAllowed)
        issue(at('packages', pi), `packages need plan L or higher (plan is ${doc.practice.plan})`);
      if (!templateKeys.has(p.template))
        issue(at('packages', pi, 'template'), `unknown package template "${p.template}"`);
      p.limits?.codes.forEach((c, i) => {
        if (!codes.has(c.code))
          issue(at('packages', pi, 'limits', 'codes', i, 'code'), `unknown service code "${c.code}"`);
      });
    });
    cl.appointments.forEach((a, ai) => {
      if (!therapistKeys.has(a.therapist))
        issue(at('appointments', ai, 'therapist'), `unknown therapist "${a.therapist}"`);
      if (a.room !== undefined && !roomKeys.has(a.room))
        issue(at('appointments', ai, 'room'), `unknown room "${a.room}"`);
      if (a.chain !== undefined && !chainKeys.has(a.chain))
        issue(at('appointments', ai, 'chain'), `unknown chain "${a.chain}"`);
      if (a.chain === undefined && a.lines === undefined)
        issue(at('appointments', ai), 'needs a chain or lines');
      a.lines?.forEach((l, li) => {
        if (!codes.has(l.code))
          issue(at('appointments', ai, 'lines', li, 'code'), `unknown service code "${l.code}"`);
      });
      a.packages.forEach((p, pi) => {
        if (!packageKeys.has(p))
          issue(at('appointments', ai, 'packages', pi), `unknown package "${p}" of this client`);
      });
      duplicates(
        ctx,
        a.packages,
        (p) => p,
        (i) => at('appointments', ai, 'packages', i),
        'package',
      );
    });
  });
}
