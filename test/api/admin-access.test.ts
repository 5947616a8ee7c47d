/**
 * Staff access to the back office's API: login with e-mail and password into an HttpOnly session
 * cookie, CSRF token and origin on every state-changing request, logout and expiry, login limits,
 * roles, one-time links to set a password, and no way from one practice's session to another
 * practice's rows — tried on every admin route of the route table.
 */
import { describe, expect, it } from 'vitest';
import { runHousekeeping } from '../../server/booking/housekeeping.ts';
import { DEMO_LOGINS, setDemoPasswords } from '../../server/demo/load.ts';
import { createPractice } from '../../server/practice/create.ts';
import { importPractice, parsePracticeDocument } from '../../server/practice/import.ts';
import { adminCall as call, demoApp, demoDoc, freshStore, staffLogin as login, NOW } from '../helpers.ts';

const ADMIN = DEMO_LOGINS[0];
const ANNA = DEMO_LOGINS[1];

async function setup() {
  const demo = await demoApp();
  await setDemoPasswords(demo.store, demo.practiceId);
  return demo;
}

describe('staff login', () => {
  it('logs in with e-mail and password into an HttpOnly, SameSite=Lax cookie, never stored as such', async () => {
    const { app, rows } = await setup();
    const res = await app.request('/api/v1/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ practice: 'demo', email: ADMIN.email.toUpperCase(), password: ADMIN.password }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^tk_staff=[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);
    const body = (await res.json()) as any;
    expect(body.user).toMatchObject({ email: ADMIN.email, role: 'admin', active: true });
    expect(body.practice).toEqual({
      slug: 'demo',
      name: 'Praxis am Lindenhof (Demo)',
      plan: 'XL',
      timeZone: 'Europe/Berlin',
    });
    const token = /tk_staff=([^;]+)/.exec(cookie)![1]!;
    const stored = await rows('SELECT id FROM staff_sessions');
    expect(stored).toHaveLength(1);
    expect(stored[0].id).not.toBe(token);
    const hashes = await rows('SELECT password_hash FROM users WHERE password_hash IS NOT NULL');
    for (const h of hashes) expect(h.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it('answers a wrong password, an unknown address, an unknown practice and a user without password alike', async () => {
    const { app } = await setup();
    const attempt = async (practice: string, email: string, password: string) => {
      const res = await app.request('/api/v1/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ practice, email, password }),
      });
      return [res.status, await res.text()];
    };
    const wrong = await attempt('demo', ADMIN.email, 'not-the-password');
    expect(wrong[0]).toBe(401);
    expect(JSON.parse(wrong[1] as string).code).toBe('invalid_credentials');
    expect(await attempt('demo', 'nobody@lindenhof.example', 'whatever-it-is')).toEqual(wrong);
    expect(await attempt('elsewhere', ADMIN.email, ADMIN.password)).toEqual(wrong);
    // Mika has no password yet.
    expect(await attempt('demo', 'mika.sommer@lindenhof.example', '')).not.toEqual(wrong); // 400: empty
    expect(await attempt('demo', 'mika.sommer@lindenhof.example', 'anything-at-all')).toEqual(wrong);
  });

  it('limits attempts per account: the 11th within 15 minutes gets 429 with Retry-After', async () => {
    const { app } = await setup();
    const attempt = () =>
      app.request('/api/v1/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ practice: 'demo', email: ADMIN.email, password: 'guess-guess-guess' }),
      });
    for (let i = 0; i < 10; i++) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Also with the right password now: the account waits.
    const right = await app.request('/api/v1/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ practice: 'demo', email: ADMIN.email, password: ADMIN.password }),
    });
    expect(right.status).toBe(429);
  });

  it('is shown on the front page for the demo practice', async () => {
    const { app } = await setup();
    const html = await (await app.request('/')).text();
    expect(html).toContain(ADMIN.email);
    expect(html).toContain(ANNA.password);
  });
});

describe('the session', () => {
  it('is needed for every admin route but login and password; ended by logout', async () => {
    const { app } = await setup();
    expect((await call(app, null, 'GET', '/me')).body.code).toBe('session_required');
    const s = await login(app, ADMIN.email, ADMIN.password);
    const me = await call(app, s, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(ADMIN.email);
    expect((await call(app, s, 'POST', '/logout')).status).toBe(204);
    expect((await call(app, s, 'GET', '/me')).status).toBe(401);
  });

  it('ends after 2 hours without a request and 12 hours after login, however busy', async () => {
    const { app, setNow } = await setup();
    const s = await login(app, ADMIN.email, ADMIN.password);
    setNow(NOW + 119 * 60_000);
    expect((await call(app, s, 'GET', '/me')).status).toBe(200);
    setNow(NOW + (119 + 121) * 60_000);
    expect((await call(app, s, 'GET', '/me')).status).toBe(401);

    setNow(NOW);
    const busy = await login(app, ADMIN.email, ADMIN.password);
    for (let h = 1; h < 12; h++) {
      setNow(NOW + h * 3_600_000);
      expect((await call(app, busy, 'GET', '/me')).status).toBe(200);
    }
    setNow(NOW + 12 * 3_600_000);
    expect((await call(app, busy, 'GET', '/me')).status).toBe(401);
  });

  it('ended sessions and used links are deleted by the housekeeping', async () => {
    const { app, store, count } = await setup();
    await login(app, ADMIN.email, ADMIN.password);
    const admin = await login(app, ADMIN.email, ADMIN.password);
    await call(app, admin, 'POST', `/users/${admin.body.user.id}/link`);
    expect(await count('SELECT count(*) AS n FROM staff_sessions')).toBe(2);
    const later = await runHousekeeping(store, NOW + 3 * 3_600_000, { mailRetentionDays: 30 });
    expect(later.staffAccessDeleted).toBeGreaterThanOrEqual(2);
    expect(await count('SELECT count(*) AS n FROM staff_sessions')).toBe(0);
  });

  it('refuses a state-changing request without the CSRF token or from another origin, writing nothing', async () => {
    const { app, count } = await setup();
    const s = await login(app, ADMIN.email, ADMIN.password);
    const invite = { email: 'neu@lindenhof.example', name: 'Neu', role: 'staff' };
    const before = await count('SELECT count(*) AS n FROM users');
    const noToken = await app.request('/api/v1/admin/users', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json' },
      body: JSON.stringify(invite),
    });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as any).code).toBe('csrf_failed');
    const foreign = await call(app, s, 'POST', '/users', invite, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await count('SELECT count(*) AS n FROM users')).toBe(before);
    // A form post from another site: hono's csrf.
    const form = await app.request('/api/v1/admin/logout', {
      method: 'POST',
      headers: {
        cookie: s.cookie,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'a=b',
    });
    expect(form.status).toBe(403);
    expect((await call(app, s, 'POST', '/users', invite, { origin: 'http://localhost:3000' })).status).toBe(
      201,
    );
    // Its own page under the address the browser used (127.0.0.1 rather than PUBLIC_URL's localhost).
    const local = await app.request('http://127.0.0.1:3000/api/v1/admin/users', {
      method: 'POST',
      headers: {
        cookie: s.cookie,
        'x-csrf-token': s.csrf,
        origin: 'http://127.0.0.1:3000',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...invite, email: 'zwei@lindenhof.example' }),
    });
    expect(local.status).toBe(201);
  });
});

describe('users and roles', () => {
  it('lets only admins see and change users: 403 role_required for staff', async () => {
    const { app } = await setup();
    const anna = await login(app, ANNA.email, ANNA.password);
    const refused = await call(app, anna, 'GET', '/users');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('role_required');
    expect(anna.body.user.therapistId).toEqual(expect.any(Number));
    const admin = await login(app, ADMIN.email, ADMIN.password);
    const list = await call(app, admin, 'GET', '/users');
    expect(list.body.users.map((u: any) => u.email)).toContain(ANNA.email);
  });

  it('invites a user with a one-time link that sets the password once; a short password is refused', async () => {
    const { app } = await setup();
    const admin = await login(app, ADMIN.email, ADMIN.password);
    const invited = await call(app, admin, 'POST', '/users', {
      email: 'lea.neu@lindenhof.example',
      name: 'Lea Neu',
      role: 'staff',
    });
    expect(invited.status).toBe(201);
    const token = new URL(invited.body.link).searchParams.get('token')!;
    expect(invited.body.link).toMatch(/^http:\/\/localhost:3000\/admin\/password\?token=/);
    const short = await call(app, null, 'POST', '/password', { token, password: 'kurz' });
    expect(short.status).toBe(400);
    expect(
      (await call(app, null, 'POST', '/password', { token, password: 'ein-langes-passwort' })).status,
    ).toBe(204);
    expect(
      (await call(app, null, 'POST', '/password', { token, password: 'noch-ein-passwort' })).body.code,
    ).toBe('link_expired');
    const lea = await login(app, 'lea.neu@lindenhof.example', 'ein-langes-passwort');
    expect(lea.body.user.role).toBe('staff');
    expect(
      (
        await call(app, admin, 'POST', '/users', {
          email: 'LEA.neu@lindenhof.example',
          name: 'X',
          role: 'staff',
        })
      ).body.code,
    ).toBe('user_exists');
  });

  it('deactivating a user ends their sessions; the last active admin cannot be demoted or deactivated', async () => {
    const { app } = await setup();
    const admin = await login(app, ADMIN.email, ADMIN.password);
    const anna = await login(app, ANNA.email, ANNA.password);
    const off = await call(app, admin, 'PATCH', `/users/${anna.body.user.id}`, { active: false });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await call(app, anna, 'GET', '/me')).status).toBe(401);
    await expect(login(app, ANNA.email, ANNA.password)).rejects.toThrow(/401/);
    const last = await call(app, admin, 'PATCH', `/users/${admin.body.user.id}`, { role: 'staff' });
    expect(last.status).toBe(409);
    expect(last.body.code).toBe('last_admin');
  });
});

describe('a new practice (practice:create)', () => {
  it('gets its admin, whose one-time link opens a form without script that sets the password once', async () => {
    const { app, store } = await setup();
    const { token } = await createPractice(
      store,
      { slug: 'neu', name: 'Praxis Neu', adminEmail: 'chefin@neu.example', adminName: 'Chefin' },
      NOW,
    );
    const page = await app.request(`/admin/password?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    const text = await page.text();
    expect(text).toContain('<label for="password">');
    expect(text).not.toContain('<script');
    const post = (password: string, origin = 'http://localhost:3000') =>
      app.request('/admin/password', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ token, password }).toString(),
      });
    expect((await post('kurz')).status).toBe(400);
    expect((await post('ein-gutes-passwort', 'https://evil.example')).status).toBe(403);
    expect((await post('ein-gutes-passwort')).status).toBe(200);
    expect((await post('ein-anderes-passwort')).status).toBe(404);
    const admin = await login(app, 'chefin@neu.example', 'ein-gutes-passwort', 'neu');
    expect(admin.body).toMatchObject({
      user: { role: 'admin', name: 'Chefin' },
      practice: { slug: 'neu', name: 'Praxis Neu', plan: 'L' },
    });
  });

  it('is refused with its problems named, writing nothing, for a slug that exists', async () => {
    const { store, count } = await setup();
    const before = await count('SELECT count(*) AS n FROM users');
    await expect(
      createPractice(store, { slug: 'demo', name: 'X', adminEmail: 'x@x.example' }, NOW),
    ).rejects.toThrow(/exists already/);
    expect(await count('SELECT count(*) AS n FROM users')).toBe(before);
  });
});

describe('plans', () => {
  it('packages need plan L or higher: on M, 403 plan_required naming the plan; on L, every staff user reads them', async () => {
    const { app, exec } = await setup();
    const anna = await login(app, ANNA.email, ANNA.password);
    const onXl = await call(app, anna, 'GET', '/package-templates');
    expect(onXl.status).toBe(200);
    expect(onXl.body.packageTemplates.map((t: any) => t.key)).toContain('rezept-kg6');
    await exec("UPDATE practices SET plan = 'M'");
    const onM = await call(app, anna, 'GET', '/package-templates');
    expect(onM.status).toBe(403);
    expect(onM.body).toMatchObject({ code: 'plan_required', plan: 'L' });
    expect(onM.body.detail).toMatch(/plan L or higher/);
  });
});

describe('the practice document', () => {
  it('exports the configuration as the JSON practice:import reads; imported into an empty database, the same practice again', async () => {
    const { app } = await setup();
    const admin = await login(app, ADMIN.email, ADMIN.password);
    const res = await call(app, admin, 'GET', '/practice/document');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="demo.json"');
    const doc = res.body;
    // It is a valid document, with what the demo configures.
    parsePracticeDocument(doc);
    expect(doc.chains.map((c: any) => c.key)).toEqual(demoDoc().chains.map((c: any) => c.key));
    const erst = doc.chains.find((c: any) => c.key === 'physio-erstbefund');
    expect(erst.packageRules).toEqual([
      expect.objectContaining({
        template: 'rezept-kg6',
        createOnBooking: expect.arrayContaining(['absent']),
      }),
    ]);
    expect(doc.practice.booking.allowedOrigins).toEqual(demoDoc().practice.booking.allowedOrigins);
    expect(doc.clients).toBeUndefined();
    expect(JSON.stringify(doc)).not.toMatch(/password|scrypt/);

    // Into an empty database, and out again: the same document.
    const store = await freshStore();
    const { practiceId } = await importPractice(store, doc, { now: NOW });
    const { exportPracticeDocument } = await import('../../server/practice/export.ts');
    expect(await exportPracticeDocument(store, practiceId)).toEqual(doc);
  });

  it('is for admins only', async () => {
    const { app } = await setup();
    const anna = await login(app, ANNA.email, ANNA.password);
    expect((await call(app, anna, 'GET', '/practice/document')).body.code).toBe('role_required');
    const doc = (await call(app, await login(app, ADMIN.email, ADMIN.password), 'GET', '/practice/document'))
      .body;
    expect((await call(app, anna, 'PUT', '/practice/document', doc)).body.code).toBe('role_required');
    expect((await call(app, anna, 'GET', '/changes')).body.code).toBe('role_required');
  });

  it('an admin changes the configuration by it: only the differences, based on the version loaded, in the history', async () => {
    const { app, count } = await setup();
    const admin = await login(app, ADMIN.email, ADMIN.password);
    const loaded = await call(app, admin, 'GET', '/practice/document');
    const etag = loaded.headers.get('etag')!;
    expect(etag).toMatch(/^"config-\d+"$/);
    const doc = loaded.body;
    doc.services.find((s: any) => s.code === 'KG').priceCents = 2950;

    const dry = await call(app, admin, 'PUT', '/practice/document?dryRun=true', doc, { 'if-match': etag });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      applied: false,
      changes: [{ entity: 'service', key: 'KG', action: 'changed' }],
    });
    expect(await count("SELECT count(*) AS n FROM services WHERE code = 'KG' AND price_cents = 2950")).toBe(
      0,
    );

    const saved = await call(app, admin, 'PUT', '/practice/document', doc, { 'if-match': etag });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({
      applied: true,
      version: expect.any(Number),
      changes: [
        {
          entity: 'service',
          key: 'KG',
          action: 'changed',
          fields: { priceCents: { before: 2800, after: 2950 } },
        },
      ],
    });
    expect(saved.headers.get('etag')).toBe(`"config-${saved.body.version}"`);
    expect(saved.headers.get('etag')).not.toBe(etag);

    // A second tab still on the old version: refused, nothing written.
    doc.rooms[0].name = 'Raum A';
    const stale = await call(app, admin, 'PUT', '/practice/document', doc, { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('config_changed');
    expect(await count("SELECT count(*) AS n FROM rooms WHERE name = 'Raum A'")).toBe(0);

    const history = await call(app, admin, 'GET', '/changes');
    expect(history.status).toBe(200);
    expect(history.body).toEqual({
      next: null,
      changes: [
        {
          id: expect.any(Number),
          at: new Date(NOW).toISOString(),
          source: 'admin',
          user: { name: 'Dana Admin', email: ADMIN.email },
          changes: saved.body.changes,
        },
      ],
    });
    // A role changed on the Users page moves the version too: a document loaded before cannot undo it.
    const fresh = await call(app, admin, 'GET', '/practice/document');
    const anna = (await call(app, admin, 'GET', '/users')).body.users.find(
      (u: any) => u.email === ANNA.email,
    );
    await call(app, admin, 'PATCH', `/users/${anna.id}`, { role: 'admin' });
    const overwrite = await call(app, admin, 'PUT', '/practice/document', fresh.body, {
      'if-match': fresh.headers.get('etag')!,
    });
    expect(overwrite.status).toBe(412);
    await call(app, admin, 'PATCH', `/users/${anna.id}`, { role: 'staff' });
  });

  it('an invitation, a role change and a deactivation are in the change history too, by whom', async () => {
    const { app } = await setup();
    const admin = await login(app, ADMIN.email, ADMIN.password);
    const invited = await call(app, admin, 'POST', '/users', {
      email: 'neu@lindenhof.example',
      name: 'Neu',
      role: 'staff',
    });
    expect(invited.status).toBe(201);
    await call(app, admin, 'PATCH', `/users/${invited.body.user.id}`, { role: 'admin' });
    await call(app, admin, 'PATCH', `/users/${invited.body.user.id}`, { active: false });
    const history = (await call(app, admin, 'GET', '/changes')).body.changes;
    expect(history.map((h: any) => h.changes[0])).toEqual([
      {
        entity: 'user',
        key: 'neu@lindenhof.example',
        action: 'changed',
        fields: { active: { before: true, after: false } },
      },
      {
        entity: 'user',
        key: 'neu@lindenhof.example',
        action: 'changed',
        fields: { role: { before: 'staff', after: 'admin' } },
      },
      {
        entity: 'user',
        key: 'neu@lindenhof.example',
        action: 'added',
        fields: { role: { before: null, after: 'staff' } },
      },
    ]);
    expect(history.every((h: any) => h.user.email === ADMIN.email)).toBe(true);
  });

  it('names every problem of a changed document with its path, as problem+json, and writes nothing', async () => {
    const { app, count } = await setup();
    const admin = await login(app, ADMIN.email, ADMIN.password);
    const doc = (await call(app, admin, 'GET', '/practice/document')).body;
    doc.chains[0].lines.push({ code: 'NOPE', quantity: 1 });
    doc.chains[1].therapists.push('nobody');
    doc.rooms[0].name = 'Raum A';
    const res = await call(app, admin, 'PUT', '/practice/document?lang=en', doc);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('invalid_document');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        {
          path: `chains[0].lines[${doc.chains[0].lines.length - 1}].code`,
          message: 'unknown service code "NOPE"',
        },
        {
          path: `chains[1].therapists[${doc.chains[1].therapists.length - 1}]`,
          message: 'unknown therapist "nobody"',
        },
      ]),
    );
    // In German by default, as the back office shows them: zod's own messages too.
    doc.services[0].durationMinutes = 0;
    const german = await call(app, admin, 'PUT', '/practice/document', doc);
    expect(german.body.errors).toContainEqual({
      path: 'services[0].durationMinutes',
      message: 'Zu klein: erwartet, dass number >=1 ist',
    });
    doc.services[0].durationMinutes = 20;
    expect((await call(app, admin, 'PUT', '/practice/document', doc)).body.errors).toEqual(
      expect.arrayContaining([{ path: expect.any(String), message: 'unbekannte Leistungsziffer „NOPE“' }]),
    );
    expect(await count("SELECT count(*) AS n FROM rooms WHERE name = 'Raum A'")).toBe(0);
    expect(await count('SELECT count(*) AS n FROM config_changes')).toBe(0);
  });
});

describe('tenant isolation', () => {
  it('no admin route of the route table returns or changes another practice’s data, whatever ids are sent', async () => {
    const { app, store, rows } = await setup();
    // Practice B: the same document under another slug and other addresses.
    const doc = demoDoc();
    doc.practice.slug = 'other';
    doc.practice.contactEmail = 'praxis@other.example';
    doc.practice.booking.privacyNoticeUrl = 'https://other.example/datenschutz';
    for (const u of doc.users) u.email = u.email.replace('@lindenhof.example', '@other.example');
    for (const t of doc.therapists)
      if (t.user) t.user = t.user.replace('@lindenhof.example', '@other.example');
    for (const c of doc.clients ?? []) c.email = c.email?.replace('@example.org', '@other.example.org');
    const other = await importPractice(store, doc, { now: NOW });
    await setDemoPasswords(store, other.practiceId);
    await store.write((tx) =>
      tx.run(
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = ?) WHERE email = 'admin@other.example'",
        [ADMIN.email],
      ),
    );
    const b = await login(app, 'admin@other.example', ADMIN.password, 'other');
    const aUsers = await rows(
      "SELECT id, email, role, active, password_hash FROM users WHERE email LIKE '%@lindenhof.example' ORDER BY id",
    );
    const routes = app.routes.filter((r) => r.path.startsWith('/api/v1/admin/') && r.method !== 'ALL');
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const aAdmin = await login(app, ADMIN.email, ADMIN.password);
    const aDocument = (await call(app, aAdmin, 'GET', '/practice/document')).body;
    const aVersion = await rows("SELECT config_version FROM practices WHERE slug = 'demo'");
    /** A body each route accepts, so that what answers is the route, not its validation. */
    const bodyFor = (method: string, path: string) => {
      if (method === 'GET' || method === 'DELETE') return undefined;
      if (path === '/api/v1/admin/users/:id') return { active: false };
      if (path === '/api/v1/admin/clients/:id') return { firstName: 'X' };
      if (path === '/api/v1/admin/clients/:id/packages/:packageId') return { status: 'closed', reason: 'x' };
      if (path === '/api/v1/admin/clients/:id/packages') return { template: 'coaching6' };
      if (path === '/api/v1/admin/clients/:id/exclusions') return { template: 'hypnose5', reason: 'x' };
      if (path === '/api/v1/admin/clients') return { firstName: 'X', lastName: 'Y' };
      if (path === '/api/v1/admin/appointments/:id') return { durationMinutes: 30 };
      if (path === '/api/v1/admin/appointments')
        return {
          client: aClients[0].id,
          therapist: 1,
          lines: [{ service: 1, quantity: 1 }],
          start: '2026-12-01T08:00:00+01:00',
        };
      if (path === '/api/v1/admin/users') return { email: 'x@other.example', name: 'X', role: 'staff' };
      // A's own document, sent with B's session: refused (it names A's slug), A unchanged.
      if (path === '/api/v1/admin/practice/document') return aDocument;
      if (path === '/api/v1/admin/password')
        return { token: 'x'.repeat(43), password: 'long-enough-password' };
      return undefined;
    };
    // A's rows, by the ids a route may name: users, client files, packages.
    const aClients = await rows(
      'SELECT c.* FROM clients c JOIN practices p ON p.id = c.practice_id WHERE p.slug = ? ORDER BY c.id',
      ['demo'],
    );
    const aPackages = await rows(
      'SELECT k.* FROM packages k JOIN practices p ON p.id = k.practice_id WHERE p.slug = ? ORDER BY k.id',
      ['demo'],
    );
    const aExclusions = await rows(
      'SELECT e.* FROM exclusions e JOIN practices p ON p.id = e.practice_id WHERE p.slug = ? ORDER BY e.id',
      ['demo'],
    );
    const aAppointments = await rows(
      'SELECT a.id, a.status, a.starts_at, a.ends_at FROM appointments a JOIN practices p ON p.id = a.practice_id WHERE p.slug = ? ORDER BY a.id',
      ['demo'],
    );
    const idsFor = (path: string) =>
      path.startsWith('/api/v1/admin/clients')
        ? aClients.map((c: any) => c.id as number)
        : path.startsWith('/api/v1/admin/appointments')
          ? aAppointments.map((a: any) => a.id as number)
          : aUsers.map((u: any) => u.id as number);
    // Logging in and out are the session's own; every other route is tried with each of A's ids.
    for (const r of routes.filter((x) => !/\/(login|logout)$/.test(x.path))) {
      for (const id of idsFor(r.path)) {
        for (const packageId of r.path.includes(':packageId') ? aPackages.map((k: any) => k.id) : [0]) {
          const path = r.path
            .replace('/api/v1/admin', '')
            .replace(':id', String(id))
            .replace(':packageId', String(packageId))
            .replace(':template', 'hypnose5');
          const res = await call(app, b, r.method, path, bodyFor(r.method, r.path));
          expect(res.text, `${r.method} ${r.path}`).not.toContain('@lindenhof.example');
          expect(res.text, `${r.method} ${r.path}`).not.toMatch(/@example\.org/);
          if (r.path.includes(':id')) expect(res.status, `${r.method} ${path}`).toBe(404);
        }
      }
    }
    expect(
      await rows(
        'SELECT c.* FROM clients c JOIN practices p ON p.id = c.practice_id WHERE p.slug = ? ORDER BY c.id',
        ['demo'],
      ),
    ).toEqual(aClients);
    expect(
      await rows(
        'SELECT k.* FROM packages k JOIN practices p ON p.id = k.practice_id WHERE p.slug = ? ORDER BY k.id',
        ['demo'],
      ),
    ).toEqual(aPackages);
    expect(
      await rows(
        'SELECT e.* FROM exclusions e JOIN practices p ON p.id = e.practice_id WHERE p.slug = ? ORDER BY e.id',
        ['demo'],
      ),
    ).toEqual(aExclusions);
    expect(
      await rows(
        'SELECT a.id, a.status, a.starts_at, a.ends_at FROM appointments a JOIN practices p ON p.id = a.practice_id WHERE p.slug = ? ORDER BY a.id',
        ['demo'],
      ),
    ).toEqual(aAppointments);
    expect(
      await rows(
        "SELECT id, email, role, active, password_hash FROM users WHERE email LIKE '%@lindenhof.example' ORDER BY id",
      ),
    ).toEqual(aUsers);
    expect(await rows("SELECT config_version FROM practices WHERE slug = 'demo'")).toEqual(aVersion);
    expect((await call(app, aAdmin, 'GET', '/changes')).body.changes).toEqual([]);
  });
});
