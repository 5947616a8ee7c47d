/**
 * Client files in the back office: search, create and edit files, the access code, the file's
 * packages with their bars and ledger, packages by hand (from a template; limits never below what
 * is used and planned; closed and reopened), exclusions — and who may do what on which plan.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_LOGINS, setDemoPasswords } from '../../server/demo/load.ts';
import {
  bookVerified,
  adminCall as call,
  demoApp,
  staffLogin as login,
  call as publicCall,
} from '../helpers.ts';

const ADMIN = DEMO_LOGINS[0];
const ANNA = DEMO_LOGINS[1];

async function setup() {
  const demo = await demoApp();
  await setDemoPasswords(demo.store, demo.practiceId);
  const admin = await login(demo.app, ADMIN.email, ADMIN.password);
  const anna = await login(demo.app, ANNA.email, ANNA.password);
  const lena = (await demo.client('lena.vogel@example.org')).id;
  return { ...demo, admin, anna, lena };
}

describe('client files', () => {
  it('are found by the start of a name, the e-mail, the phone number or the birth date', async () => {
    const d = await setup();
    const search = async (q: string) =>
      (await call(d.app, d.anna, 'GET', `/clients?q=${encodeURIComponent(q)}`)).body.clients.map(
        (c: any) => `${c.firstName} ${c.lastName}`,
      );
    expect(await search('vog')).toEqual(['Lena Vogel']);
    expect(await search('LENA v')).toEqual(['Lena Vogel']);
    expect(await search('lena.vogel@')).toEqual(['Lena Vogel']);
    const lena = await d.row('SELECT phone, birth_date FROM clients WHERE id = ?', [d.lena]);
    if (lena.phone) expect(await search(lena.phone.replace(/\s/g, ' '))).toContain('Lena Vogel');
    if (lena.birth_date) {
      const [y, m, day] = lena.birth_date.split('-');
      expect(await search(`${day}.${m}.${y}`)).toContain('Lena Vogel');
    }
    expect(await search('nobody-like-this')).toEqual([]);
    // Beyond ASCII, and a phone number written with parentheses.
    await call(d.app, d.anna, 'POST', '/clients', {
      firstName: 'Ömer',
      lastName: 'Özdemir',
      phone: '(0170) 555 1234',
    });
    expect(await search('özd')).toEqual(['Ömer Özdemir']);
    expect(await search('ÖMER')).toEqual(['Ömer Özdemir']);
    expect(await search('0170 5551234')).toEqual(['Ömer Özdemir']);
    // Without a query: every file, by last name.
    const all = await search('');
    expect(all.length).toBe(await d.count('SELECT count(*) AS n FROM clients'));
  });

  it('a new file gets an access code; a second file with the same e-mail is refused', async () => {
    const d = await setup();
    const created = await call(d.app, d.anna, 'POST', '/clients', {
      firstName: 'Mara',
      lastName: 'Neu',
      email: 'mara.neu@example.org',
      birthDate: '1990-04-02',
    });
    expect(created.status).toBe(201);
    expect(created.body.client).toMatchObject({ firstName: 'Mara', email: 'mara.neu@example.org' });
    expect(created.body.client.accessCode).toMatch(/^[A-Z0-9]{8}$/);
    expect(created.body.packages).toEqual([]);
    const again = await call(d.app, d.anna, 'POST', '/clients', {
      firstName: 'M',
      lastName: 'N',
      email: 'MARA.NEU@example.org',
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('client_exists');
    const bad = await call(d.app, d.anna, 'POST', '/clients', {
      firstName: '',
      lastName: 'N',
      birthDate: '2.4.1990',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual(['json.firstName', 'json.birthDate']);
  });

  it('a new e-mail address or a new access code ends the tokens of the old one', async () => {
    const d = await setup();
    const token = await d.tokenFor('lena.vogel@example.org');
    const chains = (t: string) => publicCall(d.app, 'GET', '/api/v1/p/demo/chains', { token: t });
    expect((await chains(token)).status).toBe(200);
    const code = await call(d.app, d.anna, 'POST', `/clients/${d.lena}/access-code`);
    expect(code.status).toBe(200);
    expect(code.body.accessCode).toMatch(/^[A-Z0-9]{8}$/);
    expect((await chains(token)).status).toBe(401);

    const fresh = await d.tokenFor('lena.vogel@example.org');
    expect((await chains(fresh)).status).toBe(200);
    const edited = await call(d.app, d.anna, 'PATCH', `/clients/${d.lena}`, {
      email: 'lena.neu@example.org',
      phone: null,
    });
    expect(edited.status).toBe(200);
    expect(edited.body.client).toMatchObject({ email: 'lena.neu@example.org', phone: null });
    expect((await chains(fresh)).status).toBe(401);
    // A name change alone keeps them.
    const third = await d.tokenFor('lena.neu@example.org');
    await call(d.app, d.anna, 'PATCH', `/clients/${d.lena}`, { firstName: 'Lene' });
    expect((await chains(third)).status).toBe(200);
  });

  it('shows each package with the bars the booking checks with, and its ledger', async () => {
    const d = await setup();
    const file = (await call(d.app, d.anna, 'GET', `/clients/${d.lena}`)).body;
    const rezept = file.packages.find((p: any) => p.template === 'rezept-kg6');
    expect(rezept.bars).toContainEqual(
      expect.objectContaining({
        criterion: 'codeQuantity',
        code: 'KG',
        limit: 6,
        colour: expect.any(String),
      }),
    );
    const kg = rezept.bars.find((b: any) => b.code === 'KG');
    expect(kg.used + kg.planned).toBe(
      await d.count(
        `SELECT coalesce(sum(l.quantity), 0) AS n FROM appointment_packages ap JOIN appointments a ON a.id = ap.appointment_id
           JOIN appointment_lines l ON l.appointment_id = a.id WHERE ap.package_id = ? AND l.code = 'KG' AND a.status <> 'cancelled'`,
        [rezept.id],
      ),
    );
    expect(file.appointments.length).toBeGreaterThan(0);
    expect(file.appointments.filter((a: any) => a.packages.includes(rezept.id)).length).toBeGreaterThan(0);
  });
});

describe('packages by hand', () => {
  it('are created from a template, with its limits and validity rule unless given; the ledger says by whom', async () => {
    const d = await setup();
    const made = await call(d.app, d.anna, 'POST', `/clients/${d.lena}/packages`, { template: 'coaching6' });
    expect(made.status).toBe(201);
    const pkg = made.body.packages.at(-1);
    expect(pkg).toMatchObject({ template: 'coaching6', status: 'active', origin: 'manual' });
    expect(pkg.ledger).toEqual([
      expect.objectContaining({
        action: 'created',
        actor: `staff:${ANNA.email}`,
        details: expect.objectContaining({ by: 'hand' }),
      }),
    ]);
    const own = await call(d.app, d.anna, 'POST', `/clients/${d.lena}/packages`, {
      template: 'wellness250',
      name: 'Gutschein',
      limits: { maxAmountCents: 10_000, codes: [{ code: 'MASSAGE', maxQuantity: 2 }] },
      validFrom: '2026-12-01',
      validUntil: '2026-12-31',
    });
    expect(own.status).toBe(201);
    expect(own.body.packages.at(-1)).toMatchObject({
      name: 'Gutschein',
      validFrom: '2026-12-01',
      validUntil: '2026-12-31',
      limits: {
        maxAppointments: null,
        maxAmountCents: 10_000,
        codeLimits: [{ code: 'MASSAGE', maxQuantity: 2, maxAmountCents: null }],
      },
    });
  });

  it('from a first valid day ahead run their template’s days from that day; limits name only the practice’s services', async () => {
    const d = await setup();
    const ahead = await call(d.app, d.anna, 'POST', `/clients/${d.lena}/packages`, {
      template: 'rezept-kg6',
      validFrom: '2027-03-01',
    });
    expect(ahead.status).toBe(201);
    expect(ahead.body.packages.at(-1)).toMatchObject({ validFrom: '2027-03-01', validUntil: '2027-05-29' });
    const unknown = await call(d.app, d.anna, 'POST', `/clients/${d.lena}/packages`, {
      template: 'rezept-kg6',
      limits: { codes: [{ code: 'KGX', maxQuantity: 6 }] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { path: 'json.limits.codes[0].code', message: 'unknown service code "KGX"' },
    ]);
  });

  it('never get limits below what is used and planned: refused with the numbers, nothing written', async () => {
    const d = await setup();
    const file = (await call(d.app, d.anna, 'GET', `/clients/${d.lena}`)).body;
    const rezept = file.packages.find((p: any) => p.template === 'rezept-kg6');
    const kg = rezept.bars.find((b: any) => b.code === 'KG');
    const taken = kg.used + kg.planned;
    const below = await call(d.app, d.anna, 'PATCH', `/clients/${d.lena}/packages/${rezept.id}`, {
      limits: { codes: [{ code: 'KG', maxQuantity: taken - 1 }] },
    });
    expect(below.status).toBe(409);
    expect(below.body.code).toBe('limit_below_use');
    expect(below.body.criteria).toEqual([
      { criterion: 'codeQuantity', code: 'KG', limit: taken - 1, used: kg.used, planned: kg.planned },
    ]);
    const unchanged = (await call(d.app, d.anna, 'GET', `/clients/${d.lena}`)).body.packages.find(
      (p: any) => p.id === rezept.id,
    );
    expect(unchanged.limits).toEqual(rezept.limits);
    expect(unchanged.ledger).toEqual(rezept.ledger);

    const exact = await call(d.app, d.anna, 'PATCH', `/clients/${d.lena}/packages/${rezept.id}`, {
      limits: { codes: [{ code: 'KG', maxQuantity: taken }] },
    });
    expect(exact.status).toBe(200);
    const after = exact.body.packages.find((p: any) => p.id === rezept.id);
    expect(after.bars.find((b: any) => b.code === 'KG')).toMatchObject({ limit: taken, colour: 'red' });
    expect(after.ledger.at(-1)).toMatchObject({ action: 'limits_changed', actor: `staff:${ANNA.email}` });
  });

  it('are closed with a reason and reopened, each in the ledger', async () => {
    const d = await setup();
    const rezept = (await call(d.app, d.anna, 'GET', `/clients/${d.lena}`)).body.packages.find(
      (p: any) => p.template === 'rezept-kg6',
    );
    const closed = await call(d.app, d.anna, 'PATCH', `/clients/${d.lena}/packages/${rezept.id}`, {
      status: 'closed',
      reason: 'Rezept abgelaufen',
    });
    expect(closed.body.packages.find((p: any) => p.id === rezept.id)).toMatchObject({
      status: 'closed',
      closedReason: 'Rezept abgelaufen',
    });
    const reopened = await call(d.app, d.anna, 'PATCH', `/clients/${d.lena}/packages/${rezept.id}`, {
      status: 'active',
    });
    const pkg = reopened.body.packages.find((p: any) => p.id === rezept.id);
    expect(pkg).toMatchObject({ status: 'active', closedReason: null });
    expect(pkg.ledger.slice(-2).map((l: any) => [l.action, l.details])).toEqual([
      ['closed', { reason: 'Rezept abgelaufen' }],
      ['reopened', {}],
    ]);
  });

  it('a file is excluded from a template with a reason, and readmitted', async () => {
    const d = await setup();
    const excluded = await call(d.app, d.anna, 'POST', `/clients/${d.lena}/exclusions`, {
      template: 'hypnose5',
      reason: 'ärztlich abgeraten',
    });
    expect(excluded.status).toBe(201);
    expect(excluded.body.exclusions).toEqual([
      expect.objectContaining({
        template: 'hypnose5',
        reason: 'ärztlich abgeraten',
        by: `staff:${ANNA.email}`,
      }),
    ]);
    expect(
      (
        await call(d.app, d.anna, 'POST', `/clients/${d.lena}/exclusions`, {
          template: 'hypnose5',
          reason: 'x',
        })
      ).status,
    ).toBe(409);
    const readmitted = await call(
      d.app,
      d.anna,
      'DELETE',
      `/clients/${d.lena}/exclusions/hypnose5?reason=${encodeURIComponent('Freigabe liegt vor')}`,
    );
    expect(readmitted.status).toBe(200);
    expect(readmitted.body.exclusions).toEqual([]);
    // Both in the file's exclusion history, with reason, by whom and when.
    expect(readmitted.body.exclusionHistory).toEqual([
      expect.objectContaining({
        template: 'hypnose5',
        action: 'excluded',
        reason: 'ärztlich abgeraten',
        by: `staff:${ANNA.email}`,
      }),
      expect.objectContaining({
        template: 'hypnose5',
        action: 'readmitted',
        reason: 'Freigabe liegt vor',
        by: `staff:${ANNA.email}`,
      }),
    ]);
    expect((await call(d.app, d.anna, 'DELETE', `/clients/${d.lena}/exclusions/hypnose5`)).status).toBe(404);
  });

  it('need plan L; on L only admins create or change them, from XL every staff user — and /me says so', async () => {
    const d = await setup();
    const make = (s: typeof d.admin) =>
      call(d.app, s, 'POST', `/clients/${d.lena}/packages`, { template: 'coaching6' });
    expect((await call(d.app, d.anna, 'GET', '/me')).body.rights).toEqual({
      configure: false,
      packages: true,
      editPackages: true,
    });
    expect((await make(d.anna)).status).toBe(201);

    await d.exec("UPDATE practices SET plan = 'L'");
    const onL = await make(d.anna);
    expect(onL.status).toBe(403);
    expect(onL.body.code).toBe('role_required');
    expect((await call(d.app, d.anna, 'GET', '/me')).body.rights).toEqual({
      configure: false,
      packages: true,
      editPackages: false,
    });
    expect((await make(d.admin)).status).toBe(201);

    await d.exec("UPDATE practices SET plan = 'M'");
    const onM = await make(d.admin);
    expect(onM.status).toBe(403);
    expect(onM.body.code).toBe('plan_required');
    expect((await call(d.app, d.admin, 'GET', '/me')).body.rights).toEqual({
      configure: true,
      packages: false,
      editPackages: false,
    });
    // Files themselves are every plan's.
    expect((await call(d.app, d.anna, 'GET', `/clients/${d.lena}`)).status).toBe(200);
  });
});

describe('a client’s data', () => {
  it('is exported whole: file, appointments with lines, packages with ledger, exclusions and mails', async () => {
    const d = await setup();
    const booked = await bookVerified(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: '2026-12-01T08:00:00+01:00' },
      'export-1',
      await d.tokenFor('lena.vogel@example.org'),
    );
    expect(booked.status).toBe(201);
    const res = await call(d.app, d.anna, 'GET', `/clients/${d.lena}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="client-${d.lena}.json"`);
    expect(res.body.client).toMatchObject({
      firstName: 'Lena',
      lastName: 'Vogel',
      email: 'lena.vogel@example.org',
    });
    expect(res.body.appointments).toHaveLength(
      await d.count('SELECT count(*) AS n FROM appointments WHERE client_id = ?', [d.lena]),
    );
    expect(res.body.appointments[0].lines.length).toBeGreaterThan(0);
    expect(res.body.packages[0].ledger.length).toBeGreaterThan(0);
    expect(res.body.mails).toEqual([
      expect.objectContaining({ kind: expect.any(String), status: 'pending', subject: expect.any(String) }),
    ]);
  });

  it('is deleted by an admin: personal data gone, appointments and packages kept anonymous, budgets true, recorded without names', async () => {
    const d = await setup();
    const token = await d.tokenFor('lena.vogel@example.org');
    const booked = await bookVerified(
      d,
      { chain: await d.chainId('physio-folgetermin'), start: '2026-12-01T08:00:00+01:00' },
      'delete-1',
      token,
    );
    expect((await call(d.app, d.anna, 'DELETE', `/clients/${d.lena}`)).body.code).toBe('role_required');
    const admin = await login(d.app, ADMIN.email, ADMIN.password);
    const early = await call(d.app, admin, 'DELETE', `/clients/${d.lena}`);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'appointments_to_come', count: 1 });
    expect(
      (await call(d.app, admin, 'POST', `/appointments/${booked.body.booking?.id ?? booked.body.id}/cancel`))
        .status,
    ).toBe(200);

    await call(d.app, admin, 'POST', `/clients/${d.lena}/exclusions`, {
      template: 'hypnose5',
      reason: 'Epilepsie',
    });
    const rezeptId = (await call(d.app, admin, 'GET', `/clients/${d.lena}`)).body.packages[0].id;
    await call(d.app, admin, 'PATCH', `/clients/${d.lena}/packages/${rezeptId}`, {
      status: 'closed',
      reason: 'Klinikaufenthalt',
    });
    await call(d.app, admin, 'PATCH', `/clients/${d.lena}/packages/${rezeptId}`, { status: 'active' });
    const before = (await call(d.app, admin, 'GET', `/clients/${d.lena}`)).body;
    const appointments = await d.count('SELECT count(*) AS n FROM appointments WHERE client_id = ?', [
      d.lena,
    ]);
    const deleted = await call(d.app, admin, 'DELETE', `/clients/${d.lena}`);
    expect(deleted.status).toBe(204);

    const after = (await call(d.app, admin, 'GET', `/clients/${d.lena}`)).body;
    expect(after.client).toMatchObject({
      firstName: 'Gelöscht',
      lastName: `#${d.lena}`,
      email: null,
      phone: null,
      birthDate: null,
    });
    expect(await d.count('SELECT count(*) AS n FROM appointments WHERE client_id = ?', [d.lena])).toBe(
      appointments,
    );
    expect(after.packages.map((p: any) => p.bars)).toEqual(before.packages.map((p: any) => p.bars));
    expect(
      await d.count("SELECT count(*) AS n FROM outbox WHERE lower(to_address) = 'lena.vogel@example.org'"),
    ).toBe(0);
    // Her name and address are nowhere in the database: every text column of every table, searched.
    const columns =
      d.store.dialect === 'sqlite'
        ? await d.rows(
            `SELECT m.name AS "table", p.name AS "column" FROM sqlite_master m, pragma_table_info(m.name) p
              WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND (p.type LIKE '%TEXT%' OR p.type = '')`,
          )
        : await d.rows(
            `SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
              WHERE table_schema = current_schema() AND data_type IN ('text', 'jsonb', 'character varying')`,
          );
    expect(columns.length).toBeGreaterThan(20);
    for (const { table, column } of columns) {
      const cast = d.store.dialect === 'postgres' ? '::text' : '';
      const hits = await d.count(
        `SELECT count(*) AS n FROM "${table}" WHERE lower("${column}"${cast}) LIKE '%vogel%'`,
      );
      expect(hits, `${table}.${column}`).toBe(0);
    }
    expect((await publicCall(d.app, 'GET', '/api/v1/p/demo/chains', { token })).status).toBe(401);
    const history = (await call(d.app, admin, 'GET', '/changes')).body.changes[0];
    expect(history.changes).toEqual([{ entity: 'client', key: `#${d.lena}`, action: 'removed' }]);
    expect(JSON.stringify(history)).not.toMatch(/Vogel|lena/i);
    // Nor any staff text about her.
    expect(JSON.stringify((await call(d.app, admin, 'GET', `/clients/${d.lena}/export`)).body)).not.toMatch(
      /Epilepsie|Klinikaufenthalt|Vogel/,
    );
  });
});
