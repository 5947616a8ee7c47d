import { describe, expect, it } from 'vitest';
import { bool } from '../../server/db/sql.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice, PracticeDocumentError } from '../../server/practice/import.ts';
import { count, demoDoc, freshStore, NOW, row, rows } from '../helpers.ts';

/** Imports `doc` into a fresh database, expecting a refusal; returns the issues and the row count after. */
async function refusal(doc: unknown) {
  const store = await freshStore();
  let error: unknown;
  try {
    await importPractice(store, doc, { now: NOW });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PracticeDocumentError);
  const practices = await count(store, 'SELECT count(*) AS n FROM practices');
  return { issues: (error as PracticeDocumentError).issues, practices };
}

function minimal(): Record<string, any> {
  return {
    practice: { slug: 'mini', name: 'Mini', plan: 'L' },
    therapists: [{ key: 'a', name: 'A', hours: [{ weekday: 'mon', from: '08:00', to: '12:00' }] }],
    services: [
      { code: 'KG', name: 'KG', priceCents: 2800, durationMinutes: 20 },
      { code: 'FANGO', name: 'Fango', priceCents: 1500, durationMinutes: 20 },
    ],
    packageTemplates: [{ key: 'kg6', name: 'KG 6', limits: { codes: [{ code: 'KG', maxQuantity: 6 }] } }],
    chains: [
      {
        key: 'kg',
        name: 'KG',
        lines: [{ code: 'KG' }],
        therapists: ['a'],
        packageRules: [{ template: 'kg6', offeredWhen: ['absent', 'present'], createOnBooking: true }],
      },
    ],
    clients: [],
  };
}

describe('importing a practice document', () => {
  it('loads the demo practice with everything the product description names', async () => {
    const store = await freshStore();
    const result = await importPractice(store, demoDocument(), { now: NOW });
    expect(result.slug).toBe('demo');
    const practice = await row(store, 'SELECT plan, time_zone AS "timeZone" FROM practices WHERE id = ?', [
      result.practiceId,
    ]);
    expect(practice).toMatchObject({ plan: 'XL', timeZone: 'Europe/Berlin' });
    expect(await count(store, 'SELECT count(*) AS n FROM therapists')).toBe(3);
    expect(await count(store, 'SELECT count(*) AS n FROM rooms')).toBe(2);
    const codes = (await rows<{ code: string }>(store, 'SELECT code FROM services')).map((s) => s.code);
    expect(codes).toEqual(
      expect.arrayContaining(['ERST', 'KG', 'MT', 'FANGO', 'MASSAGE', 'HYPNOSE', 'COACHING']),
    );
    const chains = (await rows<{ name: string }>(store, 'SELECT name FROM chains')).map((c) => c.name);
    expect(chains).toEqual(
      expect.arrayContaining([
        'Physiotherapie Erstbefund',
        'Physiotherapie Folgetermin',
        'Physiotherapie Abschlussbefund',
        'Hypnose Raucherentwöhnung',
        'Coaching Sitzung',
        'Wellness Massage',
        'Wellness Fango',
        'Heilpraktik Erstgespräch',
      ]),
    );
    expect(await count(store, 'SELECT count(*) AS n FROM exclusions')).toBe(1);
  });

  it('places the demo appointments relative to the day of loading', async () => {
    const later = NOW + 400 * 86_400_000;
    /** The start of the first appointment of the demo loaded at `now` into a fresh database. */
    const first = async (now: number) => {
      const store = await freshStore();
      await importPractice(store, demoDocument(), { now });
      return (await row<{ s: number }>(store, 'SELECT starts_at AS s FROM appointments ORDER BY id LIMIT 1'))!
        .s;
    };
    const a = await first(NOW);
    const b = await first(later);
    // 400 days later, give or take the hour a clock change moves local 09:00 by.
    expect(Math.abs(b - a - 400 * 86_400_000)).toBeLessThanOrEqual(3_600_000);
  });

  it('writes a ledger entry for every package created and every appointment assigned', async () => {
    const store = await freshStore();
    await importPractice(store, demoDocument(), { now: NOW });
    const created = await count(store, "SELECT count(*) AS n FROM package_ledger WHERE action = 'created'");
    const packages = await count(store, 'SELECT count(*) AS n FROM packages');
    const assigned = await count(store, "SELECT count(*) AS n FROM package_ledger WHERE action = 'assigned'");
    const links = await count(store, 'SELECT count(*) AS n FROM appointment_packages');
    expect(created).toBe(packages);
    expect(assigned).toBe(links);
  });

  it('accepts a minimal document and fills in the defaults', async () => {
    const store = await freshStore();
    await importPractice(store, minimal(), { now: NOW });
    const p = (await row(
      store,
      `SELECT time_zone AS "timeZone", slot_mode AS "slotMode", slot_step_minutes AS "slotStepMinutes",
              online_booking_enabled AS "onlineBookingEnabled"
         FROM practices`,
    ))!;
    expect({ ...p, onlineBookingEnabled: bool(p.onlineBookingEnabled) }).toMatchObject({
      timeZone: 'Europe/Berlin',
      slotMode: 'grid',
      slotStepMinutes: 15,
      onlineBookingEnabled: true,
    });
  });

  it('refuses a template without any limit, naming its path, and writes nothing', async () => {
    const doc = minimal();
    doc.packageTemplates[0].limits = { codes: [] };
    const { issues, practices } = await refusal(doc);
    expect(issues).toContainEqual({
      path: 'packageTemplates[0].limits',
      message: expect.stringMatching(/at least one limit/),
    });
    expect(practices).toBe(0);
  });

  it('refuses a negative price', async () => {
    const doc = minimal();
    doc.services[1].priceCents = -100;
    expect((await refusal(doc)).issues.map((i) => i.path)).toContain('services[1].priceCents');
  });

  it('refuses a chain line with an unknown service code', async () => {
    const doc = minimal();
    doc.chains[0].lines.push({ code: 'KGX' });
    expect((await refusal(doc)).issues).toContainEqual({
      path: 'chains[0].lines[1].code',
      message: 'unknown service code "KGX"',
    });
  });

  it('refuses a rule pointing at a missing template', async () => {
    const doc = minimal();
    doc.chains[0].packageRules[0].template = 'nope';
    expect((await refusal(doc)).issues).toContainEqual({
      path: 'chains[0].packageRules[0].template',
      message: 'unknown package template "nope"',
    });
  });

  it('refuses overlapping weekly hours', async () => {
    const doc = minimal();
    doc.therapists[0].hours.push({ weekday: 'mon', from: '11:00', to: '13:00' });
    expect((await refusal(doc)).issues).toContainEqual({
      path: 'therapists[0].hours[1]',
      message: 'overlaps hours[0] on mon',
    });
  });

  it('refuses a duplicate service code and a duplicate slug', async () => {
    const doc = minimal();
    doc.services.push({ code: 'KG', name: 'again', priceCents: 1, durationMinutes: 10 });
    expect((await refusal(doc)).issues).toContainEqual({
      path: 'services[2].code',
      message: 'duplicate service code "KG"',
    });

    const store = await freshStore();
    await importPractice(store, minimal(), { now: NOW });
    await expect(importPractice(store, minimal(), { now: NOW })).rejects.toThrow(
      /practice.slug: a practice "mini" exists already/,
    );
    expect(await count(store, 'SELECT count(*) AS n FROM practices')).toBe(1);
  });

  it('refuses a package whose appointments already exceed its limits', async () => {
    const doc = minimal();
    doc.clients = [
      {
        key: 'c',
        firstName: 'C',
        lastName: 'D',
        packages: [{ key: 'p', template: 'kg6', limits: { codes: [{ code: 'KG', maxQuantity: 2 }] } }],
        appointments: ['today+1', 'today+2', 'today+3'].map((date) => ({
          date,
          time: '09:00',
          therapist: 'a',
          chain: 'kg',
          packages: ['p'],
        })),
      },
    ];
    const { issues, practices } = await refusal(doc);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('clients[0].packages[0]');
    expect(issues[0]!.message).toMatch(/exceed.*KG.*2/);
    expect(practices).toBe(0);
  });

  it('does not count a cancelled appointment against a package', async () => {
    const doc = minimal();
    doc.clients = [
      {
        key: 'c',
        firstName: 'C',
        lastName: 'D',
        packages: [{ key: 'p', template: 'kg6', limits: { codes: [{ code: 'KG', maxQuantity: 1 }] } }],
        appointments: [
          {
            date: 'today+1',
            time: '09:00',
            therapist: 'a',
            chain: 'kg',
            packages: ['p'],
            status: 'cancelled',
          },
          { date: 'today+2', time: '09:00', therapist: 'a', chain: 'kg', packages: ['p'] },
        ],
      },
    ];
    await expect(importPractice(await freshStore(), doc, { now: NOW })).resolves.toMatchObject({
      slug: 'mini',
    });
  });

  it('refuses a double-booked therapist and a wall-clock time that does not exist', async () => {
    const doc = minimal();
    doc.clients = [
      {
        key: 'c',
        firstName: 'C',
        lastName: 'D',
        appointments: [
          { date: '2027-03-01', time: '09:00', therapist: 'a', chain: 'kg' },
          { date: '2027-03-01', time: '09:10', therapist: 'a', chain: 'kg' },
          { date: '2027-03-28', time: '02:30', therapist: 'a', chain: 'kg' },
        ],
      },
    ];
    const paths = (await refusal(doc)).issues.map((i) => `${i.path}: ${i.message}`);
    expect(paths).toContain(
      'clients[0].appointments[1]: therapist a is already booked by clients[0].appointments[0] at that time',
    );
    expect(paths).toContain(
      'clients[0].appointments[2].time: 2027-03-28 02:30 does not exist in Europe/Berlin (clock change)',
    );
  });

  it('refuses unknown fields, so a typo does not silently vanish', async () => {
    const doc = minimal();
    doc.services[0].prize = 1;
    expect((await refusal(doc)).issues.map((i) => i.path)).toContain('services[0]');
  });

  it('refuses packages on a plan below L', async () => {
    const doc = minimal();
    doc.practice.plan = 'M';
    expect((await refusal(doc)).issues).toContainEqual({
      path: 'packageTemplates[0]',
      message: 'packages need plan L or higher (plan is M)',
    });
  });

  it('reports every problem at once', async () => {
    const doc = demoDoc();
    doc.services[0].priceCents = -1;
    doc.chains[0].therapists.push('ghost');
    doc.clients[0].appointments[0].room = 'attic';
    expect((await refusal(doc)).issues.length).toBeGreaterThanOrEqual(3);
  });
});

describe('importing: more refusals and what is not invented', () => {
  it('refuses the same package twice on one appointment and the same therapist twice on a chain', async () => {
    const doc = demoDoc();
    doc.clients[0].appointments[0].packages = ['rezept', 'rezept'];
    doc.chains[0].therapists = ['anna', 'anna'];
    const store = await freshStore();
    let issues: { path: string; message: string }[] = [];
    try {
      await importPractice(store, doc, { now: NOW });
    } catch (e) {
      issues = (e as PracticeDocumentError).issues;
    }
    expect(issues).toContainEqual({
      path: 'clients[0].appointments[0].packages[1]',
      message: 'duplicate package "rezept"',
    });
    expect(issues).toContainEqual({ path: 'chains[0].therapists[1]', message: 'duplicate therapist "anna"' });
  });

  it('records no consent for imported client files', async () => {
    const store = await freshStore();
    await importPractice(store, demoDocument(), { now: NOW });
    expect(await count(store, 'SELECT count(*) AS n FROM clients WHERE consent_at IS NOT NULL')).toBe(0);
  });
});
