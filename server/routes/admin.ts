/**
 * The back office's API, /api/v1/admin: staff log in with e-mail and password and get a session in
 * an HttpOnly cookie; every other admin request needs that session, and a state-changing one also
 * its CSRF token (header `X-CSRF-Token`) and, where the browser says where it comes from, this
 * server's origin (hono's csrf for forms). What a user may do depends on their role and their
 * practice's plan: beyond it, 403 with `role_required` or `plan_required`. Every query names the
 * session's practice, so no id reaches another practice's rows.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../auth/password.ts';
import { limiterRegistry } from '../auth/rateLimit.ts';
import {
  endSession,
  newStaffLink,
  passwordLink,
  SESSION_COOKIE,
  SESSION_MS,
  sessionOf,
  startSession,
  tokenHash,
} from '../auth/staff.ts';
import {
  bumpConfigVersion,
  configChangesOf,
  configVersionOf,
  insertConfigChange,
} from '../db/queries/configWrite.ts';
import { practiceIdBySlug } from '../db/queries/practice.ts';
import { storedConfiguration } from '../db/queries/practiceExport.ts';
import {
  activeAdmins,
  deleteSessionsOf,
  endStaffTokensOf,
  insertUser,
  type StaffRole,
  type StaffSession,
  type StaffUser,
  setPasswordHash,
  takeStaffToken,
  updateUser,
  userById,
  userForLogin,
  usersOf,
} from '../db/queries/staff.ts';
import { DEFAULT_ONLINE_LIMITS, type PlanName } from '../engine/config.ts';
import { applyPracticeDocument, ConfigVersionConflict } from '../practice/apply.ts';
import { documentOf, exportPracticeDocument } from '../practice/export.ts';
import { PracticeDocumentError } from '../practice/import.ts';
import { localizeIssue } from '../practice/messages.ts';
import { ApiError } from '../problem.ts';
import { Problem } from './contract.ts';
import type { AppEnv } from './env.ts';
import { clientIp, enforceLimits } from './limits.ts';
import { validationHook } from './validation.ts';

const PLANS: PlanName[] = ['S', 'M', 'L', 'XL', 'XXL'];

/** 403 `role_required` unless the session's user has the role. */
export function needRole(c: Context<AppEnv>, role: StaffRole): StaffSession {
  const s = c.get('staff')!;
  if (s.user.role !== role) {
    throw new ApiError(403, 'role_required', `Only a practice's ${role}s may do this.`, { role });
  }
  return s;
}

/** What a session may do: the rules `needRole`, `needPlan` and `needPackageRights` enforce. */
export function rightsOf(s: StaffSession) {
  const packages = PLANS.indexOf(s.practice.plan) >= PLANS.indexOf('L');
  return {
    configure: s.user.role === 'admin',
    packages,
    editPackages: packages && (s.practice.plan !== 'L' || s.user.role === 'admin'),
  };
}

/** 403 `plan_required` unless the session's practice has at least the plan. */
export function needPlan(c: Context<AppEnv>, plan: PlanName): StaffSession {
  const s = c.get('staff')!;
  if (PLANS.indexOf(s.practice.plan) < PLANS.indexOf(plan)) {
    throw new ApiError(
      403,
      'plan_required',
      `This needs plan ${plan} or higher (the practice has ${s.practice.plan}).`,
      {
        plan,
      },
    );
  }
  return s;
}

export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: 'Problem', content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );

const User = z
  .object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'staff']),
    active: z.boolean(),
    therapistId: z.number().int().nullable(),
  })
  .openapi('StaffUser');

const AdminSession = z
  .object({
    user: User,
    practice: z.object({
      slug: z.string(),
      name: z.string(),
      plan: z.enum(['S', 'M', 'L', 'XL', 'XXL']),
      timeZone: z.string(),
    }),
    rights: z
      .object({
        configure: z.boolean(),
        packages: z.boolean(),
        editPackages: z.boolean(),
      })
      .openapi({
        description:
          'What the user may do, for the back office to show or explain: configure (admins), see packages (plan L and up), create and change them (on L admins, from XL all staff)',
      }),
    csrfToken: z
      .string()
      .openapi({ description: 'Send as `X-CSRF-Token` with every state-changing request' }),
    expiresAt: z.string(),
  })
  .openapi('AdminSession');

const email = z.email().max(254);
const password = z.string().min(1).max(1024);

const loginRoute = createRoute({
  method: 'post',
  path: '/login',
  summary: 'Staff login',
  description:
    'E-mail and password of a user of the practice; sets the session cookie. Limited per address and per account (429).',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({ practice: z.string().min(1).max(64), email, password })
            .openapi('StaffLogin'),
        },
      },
    },
  },
  responses: {
    200: { description: 'Logged in', content: { 'application/json': { schema: AdminSession } } },
    ...problems(400, 401, 403, 429),
  },
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/logout',
  summary: 'Staff logout: ends the session',
  responses: { 204: { description: 'Logged out' }, ...problems(401, 403) },
});

const meRoute = createRoute({
  method: 'get',
  path: '/me',
  summary: 'The session’s user and practice',
  responses: {
    200: { description: 'The session', content: { 'application/json': { schema: AdminSession } } },
    ...problems(401),
  },
});

const PasswordBody = z
  .strictObject({
    token: z.string().min(10).max(200),
    password: z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(1024),
  })
  .openapi('StaffPassword');

const passwordRoute = createRoute({
  method: 'post',
  path: '/password',
  summary: 'Set a password through a one-time link',
  description:
    'The token of the link (from practice:create, an invitation or a reset); ends the user’s sessions.',
  request: { body: { required: true, content: { 'application/json': { schema: PasswordBody } } } },
  responses: { 204: { description: 'Set' }, ...problems(400, 404) },
});

const usersRoute = createRoute({
  method: 'get',
  path: '/users',
  summary: 'The practice’s users (admins only)',
  responses: {
    200: {
      description: 'Users',
      content: { 'application/json': { schema: z.object({ users: z.array(User) }) } },
    },
    ...problems(401, 403),
  },
});

const inviteRoute = createRoute({
  method: 'post',
  path: '/users',
  summary: 'Invite a user (admins only): a one-time link to set their password',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              email,
              name: z.string().trim().min(1).max(100),
              role: z.enum(['admin', 'staff']),
            })
            .openapi('StaffInvite'),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'Invited',
      content: { 'application/json': { schema: z.object({ user: User, link: z.string() }) } },
    },
    ...problems(400, 401, 403, 409),
  },
});

const UserParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer' }),
});

const changeRoute = createRoute({
  method: 'patch',
  path: '/users/{id}',
  summary: 'Change a user’s role, or deactivate or reactivate them (admins only)',
  request: {
    params: UserParam,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({ role: z.enum(['admin', 'staff']).optional(), active: z.boolean().optional() })
            .openapi('StaffChange'),
        },
      },
    },
  },
  responses: {
    200: { description: 'Changed', content: { 'application/json': { schema: User } } },
    ...problems(400, 401, 403, 404, 409),
  },
});

const linkRoute = createRoute({
  method: 'post',
  path: '/users/{id}/link',
  summary: 'A new one-time link for a user to set their password (admins only)',
  request: { params: UserParam },
  responses: {
    201: {
      description: 'The link',
      content: { 'application/json': { schema: z.object({ link: z.string() }) } },
    },
    ...problems(401, 403, 404),
  },
});

const documentRoute = createRoute({
  method: 'get',
  path: '/practice/document',
  summary: 'The practice’s configuration as a practice document (admins only)',
  description:
    'The same JSON `npm run practice:import` reads (see docs/PRACTICE-DOCUMENT.md): settings, users, therapists with hours and exceptions, rooms, services, package templates and chains. Client files are not configuration and are not in it.',
  responses: {
    200: {
      description: 'The practice document',
      content: { 'application/json': { schema: z.looseObject({}).openapi('PracticeDocument') } },
    },
    ...problems(401, 403),
  },
});

const templatesRoute = createRoute({
  method: 'get',
  path: '/package-templates',
  summary: 'The practice’s package templates (plan L or higher)',
  description: 'Packages need plan L or higher: below it, 403 `plan_required`.',
  responses: {
    200: {
      description: 'Templates, as in the practice document',
      content: {
        'application/json': {
          schema: z.object({
            packageTemplates: z.array(z.looseObject({ key: z.string(), name: z.string() })),
          }),
        },
      },
    },
    ...problems(401, 403),
  },
});

const ConfigChange = z
  .object({
    entity: z.enum(['practice', 'user', 'therapist', 'room', 'service', 'template', 'chain', 'client']),
    key: z.string(),
    action: z.enum(['added', 'changed', 'removed', 'archived']),
    fields: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })).optional(),
  })
  .openapi('ConfigChange');

const putDocumentRoute = createRoute({
  method: 'put',
  path: '/practice/document',
  summary: 'Change the practice’s configuration by its practice document (admins only)',
  description:
    'The whole document (as GET gives it) with the changes made: checked by the same rules as `practice:import`, then only the differences are written, in one transaction, and recorded in the change history. Every problem is named with its path (422 `invalid_document`, nothing written). `If-Match` with the ETag of the document the change is based on refuses it (412 `config_changed`) when someone else has changed the configuration since. `?dryRun=true` only reports the changes.',
  request: {
    query: z.object({
      dryRun: z.enum(['true', 'false']).optional(),
      lang: z.enum(['de', 'en']).optional().openapi({ description: 'Language of the problems (default de)' }),
    }),
    headers: z.object({ 'if-match': z.string().max(100).optional() }),
    body: {
      required: true,
      content: { 'application/json': { schema: z.looseObject({}).openapi('PracticeDocumentInput') } },
    },
  },
  responses: {
    200: {
      description: 'Applied (or, for a dry run, what would change)',
      content: {
        'application/json': {
          schema: z
            .object({ changes: z.array(ConfigChange), applied: z.boolean(), version: z.number().int() })
            .openapi('ConfigApplied'),
        },
      },
    },
    ...problems(400, 401, 403, 412, 422),
  },
});

const ConfigChangeRecord = z
  .object({
    id: z.number().int(),
    at: z.string(),
    source: z.enum(['admin', 'import']),
    user: z.object({ name: z.string(), email: z.string() }).nullable(),
    changes: z.array(ConfigChange),
  })
  .openapi('ConfigChangeRecord');

const changesRoute = createRoute({
  method: 'get',
  path: '/changes',
  summary: 'The change history of the configuration, newest first (admins only)',
  request: {
    query: z.object({
      before: z.coerce.number().int().positive().optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: {
      description: 'Changes',
      content: {
        'application/json': {
          schema: z.object({ changes: z.array(ConfigChangeRecord), next: z.number().int().nullable() }),
        },
      },
    },
    ...problems(400, 401, 403),
  },
});

/** The ETag of a configuration version. */
const configTag = (version: number) => `"config-${version}"`;

/** Routes that need no session: logging in, and setting a password through a link. */
const OPEN = new Set(['/api/v1/admin/login', '/api/v1/admin/password']);

function sessionGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (OPEN.has(c.req.path)) return next();
    const { store, clock } = c.get('deps');
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await sessionOf(store, token, clock()) : undefined;
    if (!session)
      throw new ApiError(401, 'session_required', 'Log in first (or again: the session has ended).');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.header('x-csrf-token') !== session.csrf) {
      throw new ApiError(403, 'csrf_failed', 'The request lacks the session’s X-CSRF-Token.');
    }
    c.set('staff', session);
    await next();
  };
}

/**
 * This server's own origins: its public address, and the one the request was sent to (so that
 * http://127.0.0.1:3000 works as well as PUBLIC_URL's http://localhost:3000).
 */
const ownOrigins = (c: Context<AppEnv>) => [
  new URL(c.get('deps').config.publicUrl).origin,
  new URL(c.req.url).origin,
];

/**
 * hono's csrf, answered as problem+json: a form post, or a request without a content type, must say
 * (Origin or Sec-Fetch-Site) that it comes from this server's own pages.
 */
export function fromThisSite(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    try {
      await csrf({ origin: ownOrigins(c) })(c, async () => {});
    } catch {
      throw new ApiError(403, 'csrf_failed', 'This request does not say it comes from this site.');
    }
    await next();
  };
}

/** A JSON request from another origin than this server's: refused (the API is the back office's own). */
function sameOrigin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && c.req.method !== 'GET' && !ownOrigins(c).includes(origin)) {
      throw new ApiError(403, 'csrf_failed', 'This request comes from another site.');
    }
    await next();
  };
}

const userView = (u: StaffUser) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  active: u.active,
  therapistId: u.therapistId,
});

const sessionView = (s: StaffSession) => ({
  user: userView(s.user),
  practice: {
    slug: s.practice.slug,
    name: s.practice.name,
    plan: s.practice.plan,
    timeZone: s.practice.timeZone,
  },
  rights: rightsOf(s),
  csrfToken: s.csrf,
  expiresAt: new Date(s.expiresAt).toISOString(),
});

export function adminRoutes() {
  const limiterFor = limiterRegistry();
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use('*', fromThisSite());
  app.use('*', sameOrigin());
  app.use('*', sessionGuard());
  return app
    .openapi(loginRoute, async (c) => {
      const { store, clock, config } = c.get('deps');
      const body = c.req.valid('json');
      const practiceId = await store.read((tx) => practiceIdBySlug(tx, body.practice));
      // Counted before the password is checked, at an unknown practice too (as practice 0).
      const who = { id: practiceId ?? 0, onlineLimits: DEFAULT_ONLINE_LIMITS };
      await enforceLimits(c, [
        [await limiterFor(store, clock, who, 'staff-login-address'), clientIp(c, config.trustProxy ?? 0)],
        [
          await limiterFor(store, clock, who, 'staff-login-account'),
          tokenHash(body.email.trim().toLowerCase()),
        ],
      ]);
      const user = await store.read((tx) => userForLogin(tx, body.practice, body.email));
      const ok = await verifyPassword(user?.passwordHash ?? null, body.password);
      if (!user || !ok || !user.active) {
        throw new ApiError(401, 'invalid_credentials', 'E-mail address or password is not right.');
      }
      const now = clock();
      const started = await startSession(store, user.practiceId, user.id, now);
      setCookie(c, SESSION_COOKIE, started.token, {
        httpOnly: true,
        sameSite: 'Lax',
        secure: config.publicUrl.startsWith('https:'),
        path: '/',
        maxAge: Math.floor(SESSION_MS / 1000),
      });
      const session = (await sessionOf(store, started.token, now))!;
      return c.json(sessionView(session), 200);
    })
    .openapi(logoutRoute, async (c) => {
      await endSession(c.get('deps').store, getCookie(c, SESSION_COOKIE)!);
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return c.body(null, 204);
    })
    .openapi(meRoute, (c) => c.json(sessionView(c.get('staff')!), 200))
    .openapi(passwordRoute, async (c) => {
      const body = c.req.valid('json');
      await setPassword(c, body.token, body.password);
      return c.body(null, 204);
    })
    .openapi(usersRoute, async (c) => {
      const s = needRole(c, 'admin');
      const users = await c.get('deps').store.read((tx) => usersOf(tx, s.practice.id));
      return c.json({ users: users.map(userView) }, 200);
    })
    .openapi(inviteRoute, async (c) => {
      const s = needRole(c, 'admin');
      const { store, clock, config } = c.get('deps');
      const body = c.req.valid('json');
      const now = clock();
      const done = await store.write(async (tx) => {
        const exists = (await usersOf(tx, s.practice.id)).some(
          (u) => u.email.toLowerCase() === body.email.trim().toLowerCase(),
        );
        if (exists)
          throw new ApiError(409, 'user_exists', 'This practice has a user with this address already.');
        const id = await insertUser(tx, { practiceId: s.practice.id, ...body, now });
        const link = await newStaffLink(tx, s.practice.id, id, now);
        await insertConfigChange(tx, {
          practiceId: s.practice.id,
          userId: s.user.id,
          at: now,
          source: 'admin',
          changes: [
            {
              entity: 'user',
              key: body.email,
              action: 'added',
              fields: { role: { before: null, after: body.role } },
            },
          ],
        });
        await bumpConfigVersion(tx, s.practice.id);
        return { user: (await userById(tx, s.practice.id, id))!, link };
      });
      return c.json({ user: userView(done.user), link: passwordLink(config.publicUrl, done.link) }, 201);
    })
    .openapi(changeRoute, async (c) => {
      const s = needRole(c, 'admin');
      const { id } = c.req.valid('param');
      const change = c.req.valid('json');
      const { store, clock } = c.get('deps');
      const user = await store.write(async (tx) => {
        const before = await userById(tx, s.practice.id, id);
        if (!before) throw new ApiError(404, 'user_not_found', 'No such user in this practice.');
        const losesAdmin =
          before.role === 'admin' && before.active && (change.role === 'staff' || change.active === false);
        if (losesAdmin && (await activeAdmins(tx, s.practice.id)) <= 1) {
          throw new ApiError(409, 'last_admin', 'The practice needs at least one active admin.');
        }
        await updateUser(tx, s.practice.id, id, change);
        const fields = Object.fromEntries(
          (['role', 'active'] as const)
            .filter((k) => change[k] !== undefined && change[k] !== before[k])
            .map((k) => [k, { before: before[k], after: change[k] }]),
        );
        if (Object.keys(fields).length > 0) {
          await insertConfigChange(tx, {
            practiceId: s.practice.id,
            userId: s.user.id,
            at: clock(),
            source: 'admin',
            changes: [{ entity: 'user', key: before.email, action: 'changed', fields }],
          });
          await bumpConfigVersion(tx, s.practice.id);
        }
        // A user deactivated or given another role logs in anew.
        if (change.active === false || (change.role && change.role !== before.role)) {
          await deleteSessionsOf(tx, s.practice.id, id);
        }
        return (await userById(tx, s.practice.id, id))!;
      });
      return c.json(userView(user), 200);
    })
    .openapi(documentRoute, async (c) => {
      const s = needRole(c, 'admin');
      const { store } = c.get('deps');
      const [stored, version] = await store.read(
        async (tx) =>
          [await storedConfiguration(tx, s.practice.id), await configVersionOf(tx, s.practice.id)] as const,
        { snapshot: true },
      );
      const doc = documentOf(stored!);
      c.header('content-disposition', `attachment; filename="${s.practice.slug}.json"`);
      c.header('etag', configTag(version));
      c.header('cache-control', 'no-store');
      return c.json(doc, 200);
    })
    .openapi(putDocumentRoute, async (c) => {
      const s = needRole(c, 'admin');
      const { store, clock } = c.get('deps');
      const ifMatch = c.req.valid('header')['if-match'];
      const lang = c.req.valid('query').lang ?? 'de';
      const expected = ifMatch === undefined ? undefined : /^(?:W\/)?"config-(\d+)"$/.exec(ifMatch);
      if (expected === null) {
        throw new ApiError(
          412,
          'config_changed',
          'If-Match names no configuration version of this practice.',
        );
      }
      try {
        const result = await applyPracticeDocument(store, s.practice.id, c.req.valid('json'), {
          now: clock(),
          userId: s.user.id,
          source: 'admin',
          expectedVersion: expected ? Number(expected[1]) : undefined,
          dryRun: c.req.valid('query').dryRun === 'true',
          lang,
        });
        c.header('etag', configTag(result.version));
        return c.json(result, 200);
      } catch (err) {
        if (err instanceof PracticeDocumentError) {
          const errors = err.issues.map((i) => ({ path: i.path, message: localizeIssue(i.message, lang) }));
          throw new ApiError(
            422,
            'invalid_document',
            errors.map((i) => `${i.path}: ${i.message}`).join('; '),
            {
              errors,
            },
          );
        }
        if (err instanceof ConfigVersionConflict) {
          throw new ApiError(
            412,
            'config_changed',
            'Someone has changed the configuration since you loaded it. Load it again and redo your change.',
            { version: err.current },
          );
        }
        throw err;
      }
    })
    .openapi(changesRoute, async (c) => {
      const s = needRole(c, 'admin');
      const { before, limit } = c.req.valid('query');
      const rows = await c
        .get('deps')
        .store.read((tx) => configChangesOf(tx, s.practice.id, limit + 1, before));
      const page = rows.slice(0, limit);
      return c.json(
        {
          changes: page.map((r) => ({
            id: r.id,
            at: new Date(r.at).toISOString(),
            source: r.source,
            user: r.userEmail ? { name: r.userName ?? '', email: r.userEmail } : null,
            changes: r.changes as z.infer<typeof ConfigChange>[],
          })),
          next: rows.length > limit ? page[page.length - 1]!.id : null,
        },
        200,
      );
    })
    .openapi(templatesRoute, async (c) => {
      const s = needPlan(c, 'L');
      const doc = await exportPracticeDocument(c.get('deps').store, s.practice.id);
      return c.json({ packageTemplates: doc!.packageTemplates }, 200);
    })
    .openapi(linkRoute, async (c) => {
      const s = needRole(c, 'admin');
      const { id } = c.req.valid('param');
      const { store, clock, config } = c.get('deps');
      const link = await store.write(async (tx) => {
        if (!(await userById(tx, s.practice.id, id))) {
          throw new ApiError(404, 'user_not_found', 'No such user in this practice.');
        }
        return newStaffLink(tx, s.practice.id, id, clock());
      });
      return c.json({ link: passwordLink(config.publicUrl, link) }, 201);
    });
}

/** Sets the password of a one-time link's user; the link ends, and so do the user's sessions. */
export async function setPassword(c: Context<AppEnv>, token: string, password: string): Promise<void> {
  const { store, clock } = c.get('deps');
  const hash = await hashPassword(password);
  const now = clock();
  const done = await store.write(async (tx) => {
    const taken = await takeStaffToken(tx, tokenHash(token), now);
    if (!taken) return false;
    await setPasswordHash(tx, taken.practiceId, taken.userId, hash);
    await endStaffTokensOf(tx, taken.practiceId, taken.userId, now);
    await deleteSessionsOf(tx, taken.practiceId, taken.userId);
    return true;
  });
  if (!done)
    throw new ApiError(404, 'link_expired', 'This link has been used or has run out. Ask for a new one.');
}
