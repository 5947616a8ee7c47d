/**
 * The calendar and appointments in the back office (behind the admin API's session, CSRF and
 * origin checks): a range of days per therapist and room with working hours, appointments and
 * holds; one appointment with what its packages' bars need in the browser (the packages, their
 * other appointments, the services' prices), so the bars move while services are edited — from
 * the same shared `bars()` the server checks with; and create, edit and cancel by the one decision
 * online booking uses (booking/staff.ts → engine/appointment.ts): a refusal is the same typed
 * answer, a limit names package, criterion, limit and what was asked, and nothing is written.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { refusedText } from '../../shared/i18n.ts';
import {
  addDays,
  daysBetween,
  isDate,
  localDate,
  localToInstant,
  startOfLocalDay,
} from '../../shared/time.ts';
import { practiceConfig } from '../booking/config.ts';
import {
  bookSeries,
  cancelAppointment,
  createAppointment,
  editAppointment,
  type StaffContext,
  type StaffResult,
} from '../booking/staff.ts';
import { loadAppointment, loadBusy, loadClientBudget } from '../db/queries/calendar.ts';
import { calendarAppointments, clientDetail, therapistColors } from '../db/queries/clients.ts';
import { outboxOf, resendMail } from '../db/queries/outbox.ts';
import type { StaffSession } from '../db/queries/staff.ts';
import { busyWindow, slotSearchInput } from '../engine/availability.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { explainDay } from '../engine/slots.ts';
import { workingMinutes } from '../engine/workingHours.ts';
import { ApiError } from '../problem.ts';
import { problems } from './admin.ts';
import { needPackageRights } from './admin-clients.ts';
import { cancelLinks } from './bookings.ts';
import type { AppEnv } from './env.ts';
import { refusalError } from './refusals.ts';
import { validationHook } from './validation.ts';

const date = z.string().refine(isDate, { message: 'a date is YYYY-MM-DD' });
const instant = z.iso
  .datetime({ offset: true })
  .openapi({ description: 'An instant, e.g. 2026-12-07T09:00:00+01:00' });
const MAX_DAYS = 14;

const calendarRoute = createRoute({
  method: 'get',
  path: '/calendar',
  summary: 'Days of the calendar: therapists with their working hours, rooms, appointments and holds',
  request: {
    query: z.object({
      from: date,
      to: date,
      therapist: z.coerce.number().int().positive().optional(),
      room: z.coerce.number().int().positive().optional(),
    }),
  },
  responses: {
    200: {
      description: 'The days',
      content: {
        'application/json': {
          schema: z
            .object({
              timeZone: z.string(),
              therapists: z.array(
                z.object({
                  id: z.number().int(),
                  name: z.string(),
                  color: z.string(),
                  hours: z.record(z.string(), z.array(z.object({ from: z.number(), to: z.number() }))),
                }),
              ),
              rooms: z.array(z.object({ id: z.number().int(), name: z.string() })),
              chains: z.array(
                z.object({ id: z.number().int(), name: z.string(), therapistIds: z.array(z.number().int()) }),
              ),
              services: z.array(
                z.object({
                  id: z.number().int(),
                  code: z.string(),
                  name: z.string(),
                  priceCents: z.number(),
                  durationMinutes: z.number(),
                }),
              ),
              appointments: z.array(
                z.object({
                  id: z.number().int(),
                  start: z.string(),
                  end: z.string(),
                  status: z.string(),
                  therapistId: z.number().int(),
                  roomId: z.number().int().nullable(),
                  client: z.object({ id: z.number().int(), name: z.string() }).nullable(),
                  title: z.string(),
                  hold: z.boolean(),
                }),
              ),
            })
            .openapi('CalendarDays'),
        },
      },
    },
    ...problems(400, 401),
  },
});

const AppointmentBody = z.strictObject({
  client: z.number().int().positive(),
  therapist: z.number().int().positive(),
  start: instant,
  chain: z.number().int().positive().optional(),
  lines: z
    .array(
      z.strictObject({ service: z.number().int().positive(), quantity: z.number().int().min(1).max(100) }),
    )
    .min(1)
    .max(50)
    .optional(),
  room: z.number().int().positive().nullable().optional(),
  durationMinutes: z.number().int().min(5).max(1440).optional(),
  packages: z.union([z.literal('auto'), z.array(z.number().int().positive()).max(10)]).optional(),
  outsideHours: z.boolean().optional(),
});

const Change = z.strictObject({
  therapist: z.number().int().positive().optional(),
  start: instant.optional(),
  lines: AppointmentBody.shape.lines,
  room: z.number().int().positive().nullable().optional(),
  durationMinutes: z.number().int().min(5).max(1440).optional(),
  packages: z.array(z.number().int().positive()).max(10).optional(),
  outsideHours: z.boolean().optional(),
});

const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer' }),
});

const AppointmentDetail = z
  .object({
    appointment: z.object({
      id: z.number().int(),
      clientId: z.number().int(),
      client: z.string(),
      start: z.string(),
      end: z.string(),
      status: z.string(),
      therapistId: z.number().int(),
      roomId: z.number().int().nullable(),
      chainId: z.number().int().nullable(),
      lines: z.array(
        z.object({
          serviceId: z.number().int(),
          code: z.string(),
          quantity: z.number().int(),
          unitPriceCents: z.number(),
        }),
      ),
      packageIds: z.array(z.number().int()),
    }),
    packages: z.array(
      z.object({
        id: z.number().int(),
        templateId: z.number().int(),
        name: z.string(),
        limits: z.looseObject({}),
        validFrom: z.number().nullable(),
        validUntil: z.number().nullable(),
        status: z.string(),
        appointments: z.array(z.looseObject({})),
      }),
    ),
    services: z.array(
      z.object({
        id: z.number().int(),
        code: z.string(),
        name: z.string(),
        priceCents: z.number(),
        durationMinutes: z.number(),
      }),
    ),
  })
  .openapi('AppointmentDetail');

const detailRoute = createRoute({
  method: 'get',
  path: '/appointments/{id}',
  summary: 'One appointment, with its client file’s packages and their appointments (for the live bars)',
  request: { params: IdParam },
  responses: {
    200: { description: 'The appointment', content: { 'application/json': { schema: AppointmentDetail } } },
    ...problems(401, 404),
  },
});

const done = {
  description: 'Done',
  content: {
    'application/json': {
      schema: z.object({ appointmentIds: z.array(z.number().int()) }).openapi('AppointmentsDone'),
    },
  },
};

const createRouteDef = createRoute({
  method: 'post',
  path: '/appointments',
  summary:
    'Create an appointment for a client file: from a chain (packages by its rules, as online) or free lines',
  description:
    'The same decision as online booking. Refusals: e.g. 409 `slot_taken`, 409 `package_limit` naming the package, each criterion, its limit and what was asked; nothing is written. Choosing packages explicitly needs the right to change packages (plan L, on L admins).',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: AppointmentBody.openapi('StaffAppointment') } },
    },
  },
  responses: { 201: done, ...problems(400, 401, 403, 404, 409, 422) },
});

const editRouteDef = createRoute({
  method: 'patch',
  path: '/appointments/{id}',
  summary: 'Change an appointment: time, therapist, room, services and quantities, packages',
  request: {
    params: IdParam,
    body: {
      required: true,
      content: { 'application/json': { schema: Change.openapi('StaffAppointmentChange') } },
    },
  },
  responses: { 200: done, ...problems(400, 401, 403, 404, 409, 422) },
});

const SeriesBody = AppointmentBody.omit({ start: true })
  .extend({
    first: instant.openapi({ description: 'The first start; the others follow at the same wall-clock time' }),
    everyDays: z.number().int().min(1).max(365).default(7),
    count: z.number().int().min(1).max(100).optional(),
    until: date.optional().openapi({ description: 'Last local date (inclusive)' }),
    mode: z.enum(['all', 'fitting']).default('all'),
    dryRun: z.boolean().default(false),
  })
  .refine((b) => (b.count === undefined) !== (b.until === undefined), {
    message: 'give count or until, one of them',
    path: ['count'],
  })
  .openapi('StaffSeries');

const seriesRouteDef = createRoute({
  method: 'post',
  path: '/appointments/series',
  summary: 'A series (Terminserie): every N days by count or until a date, checked whole in one decision',
  description:
    'Every date is checked against hours, conflicts and every package’s budget before anything is written (one decision, one transaction). `mode: all` writes all or nothing (409 `series_refused` naming each date that does not fit and why); `fitting` writes the ones that fit and names the others. `dryRun: true` only says which dates fit.',
  request: { body: { required: true, content: { 'application/json': { schema: SeriesBody } } } },
  responses: {
    200: {
      description: 'Written, or (dry run) what would be',
      content: {
        'application/json': {
          schema: z
            .object({
              appointmentIds: z.array(z.number().int()),
              fitting: z.array(z.string()),
              refused: z.array(
                z.object({
                  start: z.string(),
                  code: z.string(),
                  detail: z.string(),
                  extra: z.record(z.string(), z.unknown()),
                }),
              ),
            })
            .openapi('SeriesResult'),
        },
      },
    },
    ...problems(400, 401, 403, 404, 409, 422),
  },
});

const whyRoute = createRoute({
  method: 'get',
  path: '/why',
  summary: 'Why not? Every candidate start of a chain on a day for a client file, offered or with its reason',
  description:
    'The slot engine’s explain mode with the file’s package rules and age, as online booking sees it: what a therapist tells a client on the phone.',
  request: {
    query: z.object({
      client: z.coerce.number().int().positive(),
      chain: z.coerce.number().int().positive(),
      date,
    }),
  },
  responses: {
    200: {
      description: 'The candidates',
      content: {
        'application/json': {
          schema: z
            .object({
              date: z.string(),
              candidates: z.array(
                z.object({
                  start: z.string(),
                  therapistId: z.number().int(),
                  offered: z.boolean(),
                  reason: z.string().nullable(),
                  text: z.string().nullable(),
                }),
              ),
            })
            .openapi('WhyNot'),
        },
      },
    },
    ...problems(400, 401, 404),
  },
});

const Mail = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    to: z.string(),
    subject: z.string(),
    status: z.enum(['pending', 'sent', 'failed']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .openapi('OutboxMail');

const mailsRoute = createRoute({
  method: 'get',
  path: '/mails',
  summary: 'The mails the practice has written and their delivery state, newest first',
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: {
    200: {
      description: 'Mails',
      content: { 'application/json': { schema: z.object({ mails: z.array(Mail) }) } },
    },
    ...problems(400, 401),
  },
});

const resendRoute = createRoute({
  method: 'post',
  path: '/mails/{id}/resend',
  summary:
    'Send a mail again (a new copy in the outbox); not one still waiting, nor one scrubbed after the retention time',
  request: { params: IdParam },
  responses: {
    201: {
      description: 'Queued',
      content: { 'application/json': { schema: z.object({ id: z.number().int() }) } },
    },
    ...problems(401, 404, 409),
  },
});

const cancelRouteDef = createRoute({
  method: 'post',
  path: '/appointments/{id}/cancel',
  summary: 'Cancel an appointment: its budget is released, the ledger says so, an online client gets a mail',
  request: { params: IdParam },
  responses: { 200: done, ...problems(401, 404, 409) },
});

const at = (iso: string) => Date.parse(iso);

/** The practice's services at today's prices, for the browser's drafts. */
const servicesOf = (config: PracticeConfig) =>
  [...config.serviceById.values()].map((sv) => ({
    id: sv.id,
    code: sv.code,
    name: sv.name,
    priceCents: sv.priceCents,
    durationMinutes: sv.durationMinutes,
  }));

function contextOf(c: Context<AppEnv>, s: StaffSession): StaffContext {
  return {
    practiceId: s.practice.id,
    slug: s.practice.slug,
    actor: `staff:${s.user.email}`,
    clock: c.get('deps').clock,
    cancelUrl: cancelLinks(c, s.practice.id).cancelUrl,
  };
}

/** The appointments a decision wrote, or its refusal as the answer. */
function written(result: StaffResult): { appointmentIds: number[] } {
  if ('refusal' in result) throw refusalError(result.refusal, 'de');
  return { appointmentIds: result.appointmentIds };
}

/**
 * The starts of a series: the first, then every `everyDays` days at the same local wall-clock
 * time (across a clock change too), `count` of them or until the local date `until`. A time that
 * does not exist on a day (the spring clock change) is left out.
 */
export function seriesStarts(
  first: number,
  everyDays: number,
  count: number | undefined,
  until: string | undefined,
  tz: string,
) {
  const day = localDate(first, tz);
  const minute = Math.round((first - startOfLocalDay(day, tz)) / 60_000);
  const starts: number[] = [];
  for (let i = 0; starts.length < (count ?? 100) && i < 400; i++) {
    const date = addDays(day, i * everyDays);
    if (until !== undefined && date > until) break;
    const t = localToInstant(date, minute, tz);
    if (t !== null) starts.push(t);
  }
  return starts;
}

/** Choosing packages by hand is changing them: plan L, on L admins only (`needPackageRights`). */
function mayChoosePackages(c: Context<AppEnv>, packages: unknown) {
  if (packages !== undefined && packages !== 'auto') needPackageRights(c);
}

/** The fields an appointment request shares with an edit and a series, as the staff functions take them. */
function fieldsOf(body: {
  therapist?: number | undefined;
  room?: number | null | undefined;
  lines?: { service: number; quantity: number }[] | undefined;
  durationMinutes?: number | undefined;
  outsideHours?: boolean | undefined;
}) {
  return {
    ...(body.therapist !== undefined ? { therapistId: body.therapist } : {}),
    ...(body.room !== undefined ? { roomId: body.room } : {}),
    ...(body.lines ? { lines: body.lines.map((l) => ({ serviceId: l.service, quantity: l.quantity })) } : {}),
    ...(body.durationMinutes !== undefined ? { durationMinutes: body.durationMinutes } : {}),
    ...(body.outsideHours !== undefined ? { outsideHours: body.outsideHours } : {}),
  };
}

export function calendarRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  return app
    .openapi(calendarRoute, async (c) => {
      const s = c.get('staff')!;
      const q = c.req.valid('query');
      const days = daysBetween(q.from, q.to) + 1;
      if (days < 1 || days > MAX_DAYS) {
        throw new ApiError(
          400,
          'invalid_range',
          `A calendar range is 1 to ${MAX_DAYS} days, from before to.`,
        );
      }
      const { store } = c.get('deps');
      const config = (await practiceConfig(store, s.practice.slug))!;
      const tz = config.practice.timeZone;
      const from = startOfLocalDay(q.from, tz);
      const to = startOfLocalDay(addDays(q.to, 1), tz);
      const now = c.get('deps').clock();
      const rows = await store.read(
        async (tx) => ({
          color: await therapistColors(tx, s.practice.id),
          appointments: await calendarAppointments(tx, s.practice.id, from, to, now),
        }),
        { snapshot: true },
      );
      const color = rows.color;
      const therapists = [...config.therapistById.values()].filter(
        (t) => t.active && (q.therapist === undefined || t.id === q.therapist),
      );
      const dates = Array.from({ length: days }, (_, i) => addDays(q.from, i));
      return c.json(
        {
          timeZone: tz,
          therapists: therapists.map((t) => ({
            id: t.id,
            name: t.name,
            color: color.get(t.id) ?? '#2f6f8f',
            hours: Object.fromEntries(
              dates.map((d) => [d, workingMinutes(t, d).map((i) => ({ from: i.start, to: i.end }))]),
            ),
          })),
          rooms: config.rooms.map((r) => ({ id: r.id, name: r.name })),
          chains: config.chains.map((ch) => ({ id: ch.id, name: ch.name, therapistIds: ch.therapistIds })),
          services: servicesOf(config),
          appointments: rows.appointments
            .filter(
              (a) =>
                (q.therapist === undefined || a.therapistId === q.therapist) &&
                (q.room === undefined || a.roomId === q.room),
            )
            .map((a) => ({
              ...a,
              start: new Date(a.start).toISOString(),
              end: new Date(a.end).toISOString(),
              hold: a.status === 'held',
            })),
        },
        200,
      );
    })
    .openapi(detailRoute, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      const { store } = c.get('deps');
      const config = (await practiceConfig(store, s.practice.slug))!;
      const found = await store.read(
        async (tx) => {
          const a = await loadAppointment(tx, s.practice.id, id);
          if (!a || a.clientId === null) return undefined;
          const budget = (await loadClientBudget(tx, s.practice.id, a.clientId))!;
          const client = await clientDetail(tx, s.practice.id, a.clientId);
          return { a, budget, client };
        },
        { snapshot: true },
      );
      if (!found) throw new ApiError(404, 'appointment_not_found', 'No such appointment in this practice.');
      const { a, budget, client } = found;
      return c.json(
        {
          appointment: {
            id: a.id,
            clientId: a.clientId,
            client: client ? `${client.firstName} ${client.lastName}` : '',
            start: new Date(a.start).toISOString(),
            end: new Date(a.end).toISOString(),
            status: a.status,
            therapistId: a.therapistId,
            roomId: a.roomId,
            chainId: a.chainId,
            lines: a.lines.map((l) => ({
              serviceId: l.serviceId,
              code: l.code,
              quantity: l.quantity,
              unitPriceCents: l.unitPriceCents,
            })),
            packageIds: a.packageIds,
          },
          packages: budget.packages.map((p) => ({
            id: p.id,
            templateId: p.templateId,
            name: p.name,
            limits: p.limits,
            validFrom: p.validFrom,
            validUntil: p.validUntil,
            status: p.status,
            appointments: (budget.appointmentsByPackage.get(p.id) ?? []).map((x) => ({ ...x })),
          })),
          services: servicesOf(config),
        },
        200,
      );
    })
    .openapi(createRouteDef, async (c) => {
      const s = c.get('staff')!;
      const body = c.req.valid('json');
      mayChoosePackages(c, body.packages);
      const result = await createAppointment(c.get('deps').store, contextOf(c, s), body.client, {
        ...fieldsOf(body),
        start: at(body.start),
        therapistId: body.therapist,
        ...(body.chain !== undefined ? { chainId: body.chain } : {}),
        ...(body.packages !== undefined ? { packages: body.packages } : {}),
      });
      return c.json(written(result), 201);
    })
    .openapi(editRouteDef, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      mayChoosePackages(c, body.packages);
      const result = await editAppointment(c.get('deps').store, contextOf(c, s), {
        ...fieldsOf(body),
        appointmentId: id,
        ...(body.start !== undefined ? { start: at(body.start) } : {}),
        ...(body.packages !== undefined ? { packages: body.packages } : {}),
      });
      return c.json(written(result), 200);
    })
    .openapi(seriesRouteDef, async (c) => {
      const s = c.get('staff')!;
      const body = c.req.valid('json');
      mayChoosePackages(c, body.packages);
      const config = (await practiceConfig(c.get('deps').store, s.practice.slug))!;
      const starts = seriesStarts(
        at(body.first),
        body.everyDays,
        body.count,
        body.until,
        config.practice.timeZone,
      );
      const result = await bookSeries(
        c.get('deps').store,
        contextOf(c, s),
        body.client,
        {
          ...fieldsOf(body),
          therapistId: body.therapist,
          ...(body.chain !== undefined ? { chainId: body.chain } : {}),
          ...(body.packages !== undefined ? { packages: body.packages } : {}),
        },
        starts,
        body.dryRun ? 'fitting' : body.mode,
        { dryRun: body.dryRun },
      );
      const refused = (result.refused ?? []).map((r) => {
        const e = refusalError(r.refusal, 'de');
        return { start: new Date(r.start).toISOString(), code: e.code, detail: e.message, extra: e.extra };
      });
      const refusedStarts = new Set((result.refused ?? []).map((r) => r.start));
      const fitting = starts.filter((t) => !refusedStarts.has(t)).map((t) => new Date(t).toISOString());
      if (!body.dryRun && body.mode === 'all' && refused.length > 0) {
        throw new ApiError(
          409,
          'series_refused',
          `${refused.length} of ${starts.length} dates do not fit; nothing was written.`,
          {
            fitting,
            refused,
          },
        );
      }
      return c.json(
        { appointmentIds: 'refusal' in result ? [] : result.appointmentIds, fitting, refused },
        200,
      );
    })
    .openapi(whyRoute, async (c) => {
      const s = c.get('staff')!;
      const q = c.req.valid('query');
      const { store, clock } = c.get('deps');
      const config = (await practiceConfig(store, s.practice.slug))!;
      const chain = config.chainById.get(q.chain);
      if (!chain) throw new ApiError(404, 'chain_not_found', `No chain ${q.chain} in this practice.`);
      const now = clock();
      const query = { from: q.date, to: q.date, client: null, now };
      const found = await store.read(
        async (tx) => {
          const client = await loadClientBudget(tx, s.practice.id, q.client);
          if (!client) return undefined;
          return { client, busy: await loadBusy(tx, busyWindow(config, chain, { ...query, client })) };
        },
        { snapshot: true },
      );
      if (!found) throw new ApiError(404, 'client_not_found', 'No such client file in this practice.');
      const explained = explainDay(
        slotSearchInput(config, chain, { ...query, client: found.client }, found.busy),
      );
      return c.json(
        {
          date: explained.date,
          candidates: explained.candidates
            .sort((a, b) => a.start - b.start || a.therapistId - b.therapistId)
            .map((x) => ({
              start: new Date(x.start).toISOString(),
              therapistId: x.therapistId,
              offered: x.offered,
              reason: x.reason,
              text: x.reason === null ? null : refusedText(x.reason, 'de'),
            })),
        },
        200,
      );
    })
    .openapi(mailsRoute, async (c) => {
      const s = c.get('staff')!;
      const { limit } = c.req.valid('query');
      const mails = await c.get('deps').store.read((tx) => outboxOf(tx, s.practice.id, limit));
      return c.json(
        {
          mails: mails.map((m) => ({
            ...m,
            createdAt: new Date(m.createdAt).toISOString(),
            sentAt: m.sentAt === null ? null : new Date(m.sentAt).toISOString(),
          })),
        },
        200,
      );
    })
    .openapi(resendRoute, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      const { store, clock } = c.get('deps');
      const copy = await store.write((tx) => resendMail(tx, s.practice.id, id, clock()));
      if (copy === undefined) throw new ApiError(404, 'mail_not_found', 'No such mail of this practice.');
      if (copy === null) {
        throw new ApiError(
          409,
          'not_resendable',
          'This mail is still waiting to be sent, or its content was removed after the retention time.',
        );
      }
      return c.json({ id: copy }, 201);
    })
    .openapi(cancelRouteDef, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      return c.json(written(await cancelAppointment(c.get('deps').store, contextOf(c, s), id)), 200);
    });
}
