/**
 * Client files in the back office, /api/v1/admin/clients (behind the admin API's session, CSRF
 * and origin checks, server/routes/admin.ts): search, create and edit files; the access code and
 * the personal direct link; the file's packages with their budget bars (`bars()`, the same shared
 * code the booking checks with) and ledger; packages by hand — created from a template, limits
 * changed (never below what is used and planned), closed and reopened — and exclusions from a
 * template. Packages need plan L or higher; on L only admins create or change them, from XL on
 * every staff user. Every query names the session's practice.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bars, limitsBelowUse } from '../../shared/budget.ts';
import type { BudgetAppointment, Limits } from '../../shared/domain.ts';
import { addDays, isDate, localDate, startOfLocalDay } from '../../shared/time.ts';
import { validityFor } from '../../shared/validity.ts';
import { newAccessCode } from '../auth/codes.ts';
import { directLinkForClient, regenerateAccessCode } from '../auth/tokens.ts';
import { ledgerWrite, loadClientBudget, lockClient } from '../db/queries/calendar.ts';
import {
  anonymiseClient,
  appointmentsOfClient,
  clientDetail,
  deleteExclusion,
  emailTaken,
  exclusionHistoryOf,
  exclusionsOf,
  insertClient,
  insertExclusion,
  insertPackage,
  ledgerOf,
  mailsTo,
  packagesOf,
  searchClients,
  serviceCodesOf,
  templateByKey,
  upcomingOf,
  updateClient,
  updatePackage,
} from '../db/queries/clients.ts';
import { insertConfigChange } from '../db/queries/configWrite.ts';
import type { StaffSession } from '../db/queries/staff.ts';
import type { Tx } from '../db/store.ts';
import { limitsSchema } from '../practice/document.ts';
import { limitsOf } from '../practice/import.ts';
import { ApiError } from '../problem.ts';
import { needPlan, needRole, problems, rightsOf } from './admin.ts';
import type { AppEnv } from './env.ts';
import { validationHook } from './validation.ts';

/** 403 unless the session may create and change packages: plan L or higher, on L admins only. */
export function needPackageRights(c: Context<AppEnv>): StaffSession {
  const s = needPlan(c, 'L');
  if (!rightsOf(s).editPackages) {
    throw new ApiError(
      403,
      'role_required',
      'On plan L only admins create or change packages (from XL on, all staff).',
      {
        role: 'admin',
      },
    );
  }
  return s;
}

const date = z.string().refine(isDate, { message: 'a date is YYYY-MM-DD' });
const ClientFields = z.strictObject({
  firstName: z.string().trim().min(1).max(200),
  lastName: z.string().trim().min(1).max(200),
  email: z.email().max(254).nullable().optional(),
  phone: z.string().trim().max(40).nullable().optional(),
  birthDate: date.nullable().optional(),
});

const Client = z
  .object({
    id: z.number().int(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    birthDate: z.string().nullable(),
  })
  .openapi('ClientRow');

const BarView = z.object({
  criterion: z.enum(['appointments', 'amount', 'codeQuantity', 'codeAmount']),
  code: z.string().optional(),
  limit: z.number(),
  used: z.number(),
  planned: z.number(),
  ratio: z.number(),
  colour: z.enum(['green', 'amber', 'red']),
});

const PackageView = z
  .object({
    id: z.number().int(),
    template: z.string(),
    name: z.string(),
    limits: z.object({
      maxAppointments: z.number().nullable(),
      maxAmountCents: z.number().nullable(),
      codeLimits: z.array(
        z.object({
          code: z.string(),
          maxQuantity: z.number().nullable(),
          maxAmountCents: z.number().nullable(),
        }),
      ),
    }),
    validFrom: z.string().nullable().openapi({ description: 'First valid local day' }),
    validUntil: z.string().nullable().openapi({ description: 'Last valid local day' }),
    status: z.enum(['active', 'closed', 'withdrawn']),
    origin: z.enum(['manual', 'booking']),
    closedReason: z.string().nullable(),
    bars: z.array(BarView),
    ledger: z.array(
      z.object({
        at: z.string(),
        actor: z.string(),
        action: z.string(),
        appointmentId: z.number().nullable(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .openapi('FilePackage');

const ClientFile = z
  .object({
    client: Client.extend({
      accessCode: z.string(),
      consentAt: z.string().nullable(),
      createdAt: z.string(),
    }),
    packages: z.array(PackageView),
    exclusionHistory: z.array(
      z.object({
        template: z.string(),
        templateName: z.string(),
        action: z.enum(['excluded', 'readmitted']),
        reason: z.string().nullable(),
        by: z.string(),
        at: z.string(),
      }),
    ),
    exclusions: z.array(
      z.object({
        template: z.string(),
        templateName: z.string(),
        reason: z.string(),
        by: z.string(),
        at: z.string(),
      }),
    ),
    appointments: z.array(
      z.object({
        id: z.number().int(),
        start: z.string(),
        end: z.string(),
        status: z.string(),
        therapist: z.string(),
        chain: z.string().nullable(),
        packages: z.array(z.number().int()),
      }),
    ),
  })
  .openapi('ClientFile');

const Id = z.coerce
  .number()
  .int()
  .positive()
  .openapi({ param: { name: 'id', in: 'path' }, type: 'integer' });
const IdParam = z.object({ id: Id });
const json = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});
const answer = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

const searchRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Search client files by name, e-mail, phone or birth date',
  request: {
    query: z.object({
      q: z.string().max(200).default(''),
      limit: z.coerce.number().int().min(1).max(100).default(25),
    }),
  },
  responses: { 200: answer('Files', z.object({ clients: z.array(Client) })), ...problems(400, 401) },
});

const createClientRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Create a client file (its access code is made for it)',
  request: { body: json(ClientFields.openapi('ClientFields')) },
  responses: { 201: answer('Created', ClientFile), ...problems(400, 401, 403, 409) },
});

const fileRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A client file: packages with their bars and ledger, exclusions, appointments',
  request: { params: IdParam },
  responses: { 200: answer('The file', ClientFile), ...problems(401, 404) },
});

const editRoute = createRoute({
  method: 'patch',
  path: '/{id}',
  summary: 'Edit a client file; a new e-mail address ends its tokens and direct links',
  request: { params: IdParam, body: json(ClientFields.partial().openapi('ClientChange')) },
  responses: { 200: answer('The file', ClientFile), ...problems(400, 401, 403, 404, 409) },
});

const accessCodeRoute = createRoute({
  method: 'post',
  path: '/{id}/access-code',
  summary: 'A new access code: the old one, its tokens and direct links end',
  request: { params: IdParam },
  responses: {
    200: answer('The new code', z.object({ accessCode: z.string() })),
    ...problems(401, 403, 404),
  },
});

const linkRoute = createRoute({
  method: 'get',
  path: '/{id}/link',
  summary: 'The personal direct link token (for a page with the widget: ?terminkette=TOKEN)',
  request: { params: IdParam },
  responses: { 200: answer('The token', z.object({ token: z.string() })), ...problems(401, 404, 409) },
});

const PackageNew = z
  .strictObject({
    template: z.string().min(1).max(64),
    name: z.string().trim().min(1).max(200).optional(),
    limits: limitsSchema.optional(),
    validFrom: date.optional(),
    validUntil: date.optional(),
  })
  .openapi('PackageNew');

const createPackageRoute = createRoute({
  method: 'post',
  path: '/{id}/packages',
  summary: 'Create a package by hand, from a template (its limits and validity rule unless given)',
  description: 'Plan L or higher; on L admins only (403 `plan_required`, `role_required`).',
  request: { params: IdParam, body: json(PackageNew) },
  responses: { 201: answer('The file', ClientFile), ...problems(400, 401, 403, 404) },
});

const PackageChange = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    limits: limitsSchema.optional(),
    validFrom: date.nullable().optional(),
    validUntil: date.nullable().optional(),
    status: z.enum(['active', 'closed']).optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .openapi('PackageChange');

const changePackageRoute = createRoute({
  method: 'patch',
  path: '/{id}/packages/{packageId}',
  summary:
    'Change a package: name, limits (never below what is used and planned), validity; close or reopen it',
  description:
    'Limits below what the appointments already use and plan: 409 `limit_below_use` with each criterion, its limit and the use. Plan L or higher; on L admins only.',
  request: {
    params: z.object({
      id: Id,
      packageId: z.coerce
        .number()
        .int()
        .positive()
        .openapi({ param: { name: 'packageId', in: 'path' }, type: 'integer' }),
    }),
    body: json(PackageChange),
  },
  responses: { 200: answer('The file', ClientFile), ...problems(400, 401, 403, 404, 409) },
});

const excludeRoute = createRoute({
  method: 'post',
  path: '/{id}/exclusions',
  summary: 'Exclude the file from a package template, with the reason',
  request: {
    params: IdParam,
    body: json(
      z
        .strictObject({ template: z.string().min(1).max(64), reason: z.string().trim().min(1).max(500) })
        .openapi('Exclusion'),
    ),
  },
  responses: { 201: answer('The file', ClientFile), ...problems(400, 401, 403, 404, 409) },
});

const readmitRoute = createRoute({
  method: 'delete',
  path: '/{id}/exclusions/{template}',
  summary: 'Readmit the file to a package template',
  request: {
    params: z.object({
      id: Id,
      template: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'template', in: 'path' } }),
    }),
    query: z.object({ reason: z.string().trim().min(1).max(500).optional() }),
  },
  responses: { 200: answer('The file', ClientFile), ...problems(400, 401, 403, 404) },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/{id}/export',
  summary: 'Everything the practice holds about a client, as JSON (the right of access)',
  description:
    'The file, its appointments with their lines, packages with their ledger, exclusions and the mails sent to it.',
  request: { params: IdParam },
  responses: {
    200: {
      description: 'The data',
      content: { 'application/json': { schema: z.looseObject({}).openapi('ClientExport') } },
    },
    ...problems(401, 404),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Delete a client’s personal data (admins only); appointments and packages stay, anonymous',
  description:
    'Names, contact data, birth date, notes and consent are removed, the access code replaced, the mails to the client scrubbed; appointments, packages and ledger stay without a name, so budgets and statistics stay true. Refused (409 `appointments_to_come`) while appointments are still to come. The deletion is recorded in the change history, without personal data.',
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...problems(401, 403, 404, 409) },
});

const notFound = () => new ApiError(404, 'client_not_found', 'No such client file in this practice.');
const iso = (t: number) => new Date(t).toISOString();

/** The whole file as the back office shows it, read in one snapshot. */
async function fileView(tx: Tx, practiceId: number, clientId: number, timeZone: string, now: number) {
  const client = await clientDetail(tx, practiceId, clientId);
  if (!client) throw notFound();
  const packages = await packagesOf(tx, practiceId, clientId);
  const budget = (await loadClientBudget(tx, practiceId, clientId))!;
  const ledger = await ledgerOf(
    tx,
    packages.map((p) => p.id),
  );
  // Holds have no client, so a file's appointments are never holds.
  const appointments = await appointmentsOfClient(tx, practiceId, clientId, { limit: 200 });
  const day = (t: number | null) => (t === null ? null : localDate(t, timeZone));
  return {
    client: {
      id: client.id,
      firstName: client.firstName,
      lastName: client.lastName,
      email: client.email,
      phone: client.phone,
      birthDate: client.birthDate,
      accessCode: client.accessCode,
      consentAt: client.consentAt === null ? null : iso(client.consentAt),
      createdAt: iso(client.createdAt),
    },
    packages: packages.map((p) => {
      const apps: readonly BudgetAppointment[] = budget.appointmentsByPackage.get(p.id) ?? [];
      return {
        id: p.id,
        template: p.templateKey,
        name: p.name,
        limits: {
          maxAppointments: p.limits.maxAppointments ?? null,
          maxAmountCents: p.limits.maxAmountCents ?? null,
          codeLimits: p.limits.codeLimits.map((l) => ({
            code: l.code,
            maxQuantity: l.maxQuantity ?? null,
            maxAmountCents: l.maxAmountCents ?? null,
          })),
        },
        validFrom: day(p.validFrom),
        validUntil: p.validUntil === null ? null : day(p.validUntil - 1),
        status: p.status,
        origin: p.origin,
        closedReason: p.closedReason,
        bars: bars({ ...p, status: p.status === 'closed' ? 'closed' : 'active' }, apps, now).map(
          ({ draft: _, ...b }) => b,
        ),
        ledger: ledger
          .filter((l) => l.packageId === p.id)
          .map((l) => ({
            at: iso(l.at),
            actor: l.actor,
            action: l.action,
            appointmentId: l.appointmentId,
            details: l.details,
          })),
      };
    }),
    exclusions: (await exclusionsOf(tx, practiceId, clientId)).map((e) => ({ ...e, at: iso(e.at) })),
    exclusionHistory: (await exclusionHistoryOf(tx, practiceId, clientId)).map((e) => ({
      ...e,
      at: iso(e.at),
    })),
    appointments: appointments.map((a) => ({
      id: a.id,
      start: iso(a.start),
      end: iso(a.end),
      status: a.status,
      therapist: a.therapist,
      chain: a.chain,
      packages: a.packages,
    })),
  };
}

const actorOf = (s: StaffSession) => `staff:${s.user.email}`;

/** 400 naming each limit whose service code the practice does not have (it would never apply). */
async function knownCodes(tx: Tx, practiceId: number, limits: Limits) {
  const codes = new Set(await serviceCodesOf(tx, practiceId));
  const errors = limits.codeLimits.flatMap((l, i) =>
    codes.has(l.code)
      ? []
      : [{ path: `json.limits.codes[${i}].code`, message: `unknown service code "${l.code}"` }],
  );
  if (errors.length > 0) {
    throw new ApiError(400, 'invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
      errors,
    });
  }
}

export function clientRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  /** The file after a change, read anew. */
  const view = (c: Context<AppEnv>, clientId: number) => {
    const s = c.get('staff')!;
    const { store, clock } = c.get('deps');
    return store.read((tx) => fileView(tx, s.practice.id, clientId, s.practice.timeZone, clock()), {
      snapshot: true,
    });
  };
  return app
    .openapi(searchRoute, async (c) => {
      const s = c.get('staff')!;
      const { q, limit } = c.req.valid('query');
      const clients = await c.get('deps').store.read((tx) => searchClients(tx, s.practice.id, q, limit));
      return c.json({ clients }, 200);
    })
    .openapi(createClientRoute, async (c) => {
      const s = c.get('staff')!;
      const body = c.req.valid('json');
      const { store, clock } = c.get('deps');
      const id = await store.write(async (tx) => {
        if (body.email && (await emailTaken(tx, s.practice.id, body.email))) {
          throw new ApiError(409, 'client_exists', 'A file with this e-mail address exists already.');
        }
        return insertClient(tx, {
          practiceId: s.practice.id,
          firstName: body.firstName,
          lastName: body.lastName,
          email: body.email ?? null,
          phone: body.phone ?? null,
          birthDate: body.birthDate ?? null,
          accessCode: newAccessCode(),
          now: clock(),
        });
      });
      return c.json(await view(c, id), 201);
    })
    .openapi(fileRoute, async (c) => c.json(await view(c, c.req.valid('param').id), 200))
    .openapi(editRoute, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      const change = c.req.valid('json');
      await c.get('deps').store.write(async (tx) => {
        const before = await clientDetail(tx, s.practice.id, id, { lock: true });
        if (!before) throw notFound();
        const after = {
          firstName: change.firstName ?? before.firstName,
          lastName: change.lastName ?? before.lastName,
          email: change.email === undefined ? before.email : change.email,
          phone: change.phone === undefined ? before.phone : change.phone,
          birthDate: change.birthDate === undefined ? before.birthDate : change.birthDate,
        };
        const newEmail = (after.email ?? '').toLowerCase() !== (before.email ?? '').toLowerCase();
        if (newEmail && after.email && (await emailTaken(tx, s.practice.id, after.email, id))) {
          throw new ApiError(409, 'client_exists', 'Another file has this e-mail address.');
        }
        await updateClient(tx, s.practice.id, id, after, newEmail);
      });
      return c.json(await view(c, id), 200);
    })
    .openapi(accessCodeRoute, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      const done = await regenerateAccessCode(c.get('deps').store, s.practice.id, id);
      if (!done) throw notFound();
      return c.json({ accessCode: done.accessCode }, 200);
    })
    .openapi(linkRoute, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      const { store, config } = c.get('deps');
      if (!(await store.read((tx) => clientDetail(tx, s.practice.id, id)))) throw notFound();
      const token = await directLinkForClient(store, config.secret, s.practice.id, id);
      if (!token) throw new ApiError(409, 'email_required', 'A direct link needs the file’s e-mail address.');
      return c.json({ token }, 200);
    })
    .openapi(createPackageRoute, async (c) => {
      const s = needPackageRights(c);
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const { store, clock } = c.get('deps');
      const tz = s.practice.timeZone;
      const now = clock();
      await store.write(async (tx) => {
        await lockClient(tx, s.practice.id, id);
        if (!(await clientDetail(tx, s.practice.id, id))) throw notFound();
        const template = await templateByKey(tx, s.practice.id, body.template);
        if (!template)
          throw new ApiError(404, 'template_not_found', `No package template "${body.template}".`);
        const from = body.validFrom ? startOfLocalDay(body.validFrom, tz) : null;
        // The template's rule from the first valid day given, else from today.
        const rule = validityFor(
          template.validityKind === 'days'
            ? { kind: 'days', days: template.validityDays ?? 1 }
            : { kind: template.validityKind === 'calendar_year' ? 'calendar_year' : 'none' },
          from ?? now,
          tz,
        );
        const validFrom = from ?? rule.validFrom;
        const validUntil = body.validUntil
          ? startOfLocalDay(addDays(body.validUntil, 1), tz)
          : rule.validUntil;
        if (validFrom !== null && validUntil !== null && validFrom >= validUntil) {
          throw new ApiError(400, 'invalid_validity', 'The last valid day is before the first.');
        }
        const limits = body.limits ? limitsOf(body.limits) : template.limits;
        await knownCodes(tx, s.practice.id, limits);
        const packageId = await insertPackage(tx, {
          practiceId: s.practice.id,
          clientId: id,
          templateId: template.id,
          name: body.name ?? template.name,
          limits,
          validFrom,
          validUntil,
          now,
        });
        await tx.batch([
          ledgerWrite({
            practiceId: s.practice.id,
            packageId,
            at: now,
            actor: actorOf(s),
            action: 'created',
            appointmentId: null,
            details: { template: body.template, limits, by: 'hand' },
          }),
        ]);
        tx.touch(s.practice.id);
      });
      return c.json(await view(c, id), 201);
    })
    .openapi(changePackageRoute, async (c) => {
      const s = needPackageRights(c);
      const { id, packageId } = c.req.valid('param');
      const change = c.req.valid('json');
      const { store, clock } = c.get('deps');
      const tz = s.practice.timeZone;
      const now = clock();
      await store.write(async (tx) => {
        await lockClient(tx, s.practice.id, id);
        const pkg = (await packagesOf(tx, s.practice.id, id)).find((p) => p.id === packageId);
        if (!pkg || pkg.status === 'withdrawn') {
          throw new ApiError(404, 'package_not_found', 'No such package in this file.');
        }
        const budget = (await loadClientBudget(tx, s.practice.id, id))!;
        const appointments = budget.appointmentsByPackage.get(packageId) ?? [];
        const limits = change.limits ? limitsOf(change.limits) : pkg.limits;
        if (change.limits) await knownCodes(tx, s.practice.id, limits);
        const validFrom =
          change.validFrom === undefined
            ? pkg.validFrom
            : change.validFrom === null
              ? null
              : startOfLocalDay(change.validFrom, tz);
        const validUntil =
          change.validUntil === undefined
            ? pkg.validUntil
            : change.validUntil === null
              ? null
              : startOfLocalDay(addDays(change.validUntil, 1), tz);
        if (validFrom !== null && validUntil !== null && validFrom >= validUntil) {
          throw new ApiError(400, 'invalid_validity', 'The last valid day is before the first.');
        }
        if (change.limits) {
          const over = limitsBelowUse({ ...pkg, status: 'active' }, limits, appointments, now);
          if (over.length > 0) {
            throw new ApiError(
              409,
              'limit_below_use',
              `The appointments already use or plan more: ${over.map((u) => `${u.code ?? u.criterion} ${u.used + u.planned} > ${u.limit}`).join(', ')}.`,
              { package: pkg.name, criteria: over },
            );
          }
        }
        const status = change.status ?? (pkg.status === 'closed' ? 'closed' : 'active');
        await updatePackage(tx, s.practice.id, packageId, {
          name: change.name ?? pkg.name,
          limits,
          validFrom,
          validUntil,
          status,
          closedReason: status === 'closed' ? (change.reason ?? pkg.closedReason) : null,
        });
        const entry = (
          action: 'limits_changed' | 'closed' | 'reopened' | 'updated',
          details: Record<string, unknown>,
        ) =>
          ledgerWrite({
            practiceId: s.practice.id,
            packageId,
            at: now,
            actor: actorOf(s),
            action,
            appointmentId: null,
            details,
          });
        const writes = [];
        if (change.limits) writes.push(entry('limits_changed', { before: pkg.limits, after: limits }));
        if (status !== pkg.status) {
          writes.push(
            entry(
              status === 'closed' ? 'closed' : 'reopened',
              change.reason ? { reason: change.reason } : {},
            ),
          );
        }
        if (
          (change.name !== undefined && change.name !== pkg.name) ||
          validFrom !== pkg.validFrom ||
          validUntil !== pkg.validUntil
        ) {
          writes.push(
            entry('updated', {
              name: change.name ?? pkg.name,
              validFrom: validFrom === null ? null : localDate(validFrom, tz),
              validUntil: validUntil === null ? null : localDate(validUntil - 1, tz),
            }),
          );
        }
        await tx.batch(writes);
        tx.touch(s.practice.id);
      });
      return c.json(await view(c, id), 200);
    })
    .openapi(excludeRoute, async (c) => {
      const s = needPackageRights(c);
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const { store, clock } = c.get('deps');
      await store.write(async (tx) => {
        await lockClient(tx, s.practice.id, id);
        if (!(await clientDetail(tx, s.practice.id, id))) throw notFound();
        const template = await templateByKey(tx, s.practice.id, body.template);
        if (!template)
          throw new ApiError(404, 'template_not_found', `No package template "${body.template}".`);
        if ((await exclusionsOf(tx, s.practice.id, id)).some((e) => e.template === body.template)) {
          throw new ApiError(409, 'already_excluded', 'The file is excluded from this template already.');
        }
        await insertExclusion(tx, {
          practiceId: s.practice.id,
          clientId: id,
          templateId: template.id,
          reason: body.reason,
          by: actorOf(s),
          now: clock(),
        });
        tx.touch(s.practice.id);
      });
      return c.json(await view(c, id), 201);
    })
    .openapi(exportRoute, async (c) => {
      const s = c.get('staff')!;
      const { id } = c.req.valid('param');
      const { store, clock } = c.get('deps');
      const data = await store.read(
        async (tx) => {
          const file = await fileView(tx, s.practice.id, id, s.practice.timeZone, clock());
          const client = (await clientDetail(tx, s.practice.id, id))!;
          return {
            exportedAt: iso(clock()),
            practice: { slug: s.practice.slug, name: s.practice.name },
            client: file.client,
            // Oldest first, as a record reads.
            appointments: (await appointmentsOfClient(tx, s.practice.id, id))
              .reverse()
              .map(({ packages: _, ...a }) => ({ ...a, start: iso(a.start), end: iso(a.end) })),
            packages: file.packages,
            exclusions: file.exclusions,
            exclusionHistory: file.exclusionHistory,
            mails: client.email
              ? (await mailsTo(tx, s.practice.id, client.email)).map((m) => ({
                  ...m,
                  createdAt: iso(m.createdAt),
                  sentAt: m.sentAt === null ? null : iso(m.sentAt),
                }))
              : [],
          };
        },
        { snapshot: true },
      );
      c.header('content-disposition', `attachment; filename="client-${id}.json"`);
      c.header('cache-control', 'no-store');
      return c.json(data, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const s = needRole(c, 'admin');
      const { id } = c.req.valid('param');
      const { store, clock } = c.get('deps');
      const now = clock();
      await store.write(async (tx) => {
        await lockClient(tx, s.practice.id, id);
        const client = await clientDetail(tx, s.practice.id, id);
        if (!client) throw notFound();
        const upcoming = await upcomingOf(tx, s.practice.id, id, now);
        if (upcoming > 0) {
          throw new ApiError(
            409,
            'appointments_to_come',
            `The client has ${upcoming} appointment(s) to come: cancel them first.`,
            { count: upcoming },
          );
        }
        await anonymiseClient(tx, s.practice.id, id, client.email, newAccessCode());
        await insertConfigChange(tx, {
          practiceId: s.practice.id,
          userId: s.user.id,
          at: now,
          source: 'admin',
          changes: [{ entity: 'client', key: `#${id}`, action: 'removed' }],
        });
        tx.touch(s.practice.id);
      });
      return c.body(null, 204);
    })
    .openapi(readmitRoute, async (c) => {
      const s = needPackageRights(c);
      const { id, template } = c.req.valid('param');
      const { reason } = c.req.valid('query');
      const { store, clock } = c.get('deps');
      await store.write(async (tx) => {
        await lockClient(tx, s.practice.id, id);
        const t = await templateByKey(tx, s.practice.id, template);
        const readmitted =
          t &&
          (await deleteExclusion(tx, {
            practiceId: s.practice.id,
            clientId: id,
            templateId: t.id,
            reason: reason ?? null,
            by: actorOf(s),
            now: clock(),
          }));
        if (!readmitted) {
          throw new ApiError(404, 'exclusion_not_found', 'The file is not excluded from this template.');
        }
        tx.touch(s.practice.id);
      });
      return c.json(await view(c, id), 200);
    });
}
