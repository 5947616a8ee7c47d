import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as t from '../../server/db/schema.ts';
import { demoDocument } from '../../server/demo/load.ts';
import { importPractice, PracticeDocumentError } from '../../server/practice/import.ts';
import { demoDoc, freshDb, NOW } from '../helpers.ts';

/** Imports `doc` into a fresh database, expecting a refusal; returns the issues and the row count after. */
function refusal(doc: unknown) {
  const db = freshDb();
  let error: unknown;
  try {
    importPractice(db, doc, { now: NOW });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PracticeDocumentError);
  const practices = db.select({ n: count() }).from(t.practices).get()!.n;
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
  it('loads the demo practice with everything the product description names', () => {
    const db = freshDb();
    const result = importPractice(db, demoDocument(), { now: NOW });
    expect(result.slug).toBe('demo');
    const practice = db.select().from(t.practices).where(eq(t.practices.id, result.practiceId)).get()!;
    expect(practice).toMatchObject({ plan: 'XL', timeZone: 'Europe/Berlin' });
    expect(db.select({ n: count() }).from(t.therapists).get()!.n).toBe(3);
    expect(db.select({ n: count() }).from(t.rooms).get()!.n).toBe(2);
    const codes = db
      .select({ code: t.services.code })
      .from(t.services)
      .all()
      .map((s) => s.code);
    expect(codes).toEqual(
      expect.arrayContaining(['ERST', 'KG', 'MT', 'FANGO', 'MASSAGE', 'HYPNOSE', 'COACHING']),
    );
    const chains = db
      .select({ name: t.chains.name })
      .from(t.chains)
      .all()
      .map((c) => c.name);
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
    expect(db.select({ n: count() }).from(t.exclusions).get()!.n).toBe(1);
  });

  it('places the demo appointments relative to the day of loading', () => {
    const later = NOW + 400 * 86_400_000;
    const a = freshDb();
    const b = freshDb();
    importPractice(a, demoDocument(), { now: NOW });
    importPractice(b, demoDocument(), { now: later });
    const first = (db: typeof a) =>
      db.select({ s: t.appointments.startsAt }).from(t.appointments).orderBy(t.appointments.id).get()!.s;
    // 400 days later, give or take the hour a clock change moves local 09:00 by.
    expect(Math.abs(first(b) - first(a) - 400 * 86_400_000)).toBeLessThanOrEqual(3_600_000);
  });

  it('writes a ledger entry for every package created and every appointment assigned', () => {
    const db = freshDb();
    importPractice(db, demoDocument(), { now: NOW });
    const created = db
      .select({ n: count() })
      .from(t.packageLedger)
      .where(eq(t.packageLedger.action, 'created'))
      .get()!.n;
    const packages = db.select({ n: count() }).from(t.packages).get()!.n;
    const assigned = db
      .select({ n: count() })
      .from(t.packageLedger)
      .where(eq(t.packageLedger.action, 'assigned'))
      .get()!.n;
    const links = db.select({ n: count() }).from(t.appointmentPackages).get()!.n;
    expect(created).toBe(packages);
    expect(assigned).toBe(links);
  });

  it('accepts a minimal document and fills in the defaults', () => {
    const db = freshDb();
    importPractice(db, minimal(), { now: NOW });
    const p = db.select().from(t.practices).get()!;
    expect(p).toMatchObject({
      timeZone: 'Europe/Berlin',
      slotMode: 'grid',
      slotStepMinutes: 15,
      onlineBookingEnabled: true,
    });
  });

  it('refuses a template without any limit, naming its path, and writes nothing', () => {
    const doc = minimal();
    doc.packageTemplates[0].limits = { codes: [] };
    const { issues, practices } = refusal(doc);
    expect(issues).toContainEqual({
      path: 'packageTemplates[0].limits',
      message: expect.stringMatching(/at least one limit/),
    });
    expect(practices).toBe(0);
  });

  it('refuses a negative price', () => {
    const doc = minimal();
    doc.services[1].priceCents = -100;
    expect(refusal(doc).issues.map((i) => i.path)).toContain('services[1].priceCents');
  });

  it('refuses a chain line with an unknown service code', () => {
    const doc = minimal();
    doc.chains[0].lines.push({ code: 'KGX' });
    expect(refusal(doc).issues).toContainEqual({
      path: 'chains[0].lines[1].code',
      message: 'unknown service code "KGX"',
    });
  });

  it('refuses a rule pointing at a missing template', () => {
    const doc = minimal();
    doc.chains[0].packageRules[0].template = 'nope';
    expect(refusal(doc).issues).toContainEqual({
      path: 'chains[0].packageRules[0].template',
      message: 'unknown package template "nope"',
    });
  });

  it('refuses overlapping weekly hours', () => {
    const doc = minimal();
    doc.therapists[0].hours.push({ weekday: 'mon', from: '11:00', to: '13:00' });
    expect(refusal(doc).issues).toContainEqual({
      path: 'therapists[0].hours[1]',
      message: 'overlaps hours[0] on mon',
    });
  });

  it('refuses a duplicate service code and a duplicate slug', () => {
    const doc = minimal();
    doc.services.push({ code: 'KG', name: 'again', priceCents: 1, durationMinutes: 10 });
    expect(refusal(doc).issues).toContainEqual({
      path: 'services[2].code',
      message: 'duplicate service code "KG"',
    });

    const db = freshDb();
    importPractice(db, minimal(), { now: NOW });
    expect(() => importPractice(db, minimal(), { now: NOW })).toThrow(
      /practice.slug: a practice "mini" exists already/,
    );
    expect(db.select({ n: count() }).from(t.practices).get()!.n).toBe(1);
  });

  it('refuses a package whose appointments already exceed its limits', () => {
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
    const { issues, practices } = refusal(doc);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('clients[0].packages[0]');
    expect(issues[0]!.message).toMatch(/exceed.*KG.*2/);
    expect(practices).toBe(0);
  });

  it('does not count a cancelled appointment against a package', () => {
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
    expect(() => importPractice(freshDb(), doc, { now: NOW })).not.toThrow();
  });

  it('refuses a double-booked therapist and a wall-clock time that does not exist', () => {
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
    const paths = refusal(doc).issues.map((i) => `${i.path}: ${i.message}`);
    expect(paths).toContain(
      'clients[0].appointments[1]: therapist a is already booked by clients[0].appointments[0] at that time',
    );
    expect(paths).toContain(
      'clients[0].appointments[2].time: 2027-03-28 02:30 does not exist in Europe/Berlin (clock change)',
    );
  });

  it('refuses unknown fields, so a typo does not silently vanish', () => {
    const doc = minimal();
    doc.services[0].prize = 1;
    expect(refusal(doc).issues.map((i) => i.path)).toContain('services[0]');
  });

  it('refuses packages on a plan below L', () => {
    const doc = minimal();
    doc.practice.plan = 'M';
    expect(refusal(doc).issues).toContainEqual({
      path: 'packageTemplates[0]',
      message: 'packages need plan L or higher (plan is M)',
    });
  });

  it('reports every problem at once', () => {
    const doc = demoDoc();
    doc.services[0].priceCents = -1;
    doc.chains[0].therapists.push('ghost');
    doc.clients[0].appointments[0].room = 'attic';
    expect(refusal(doc).issues.length).toBeGreaterThanOrEqual(3);
  });
});

describe('importing: more refusals and what is not invented', () => {
  it('refuses the same package twice on one appointment and the same therapist twice on a chain', () => {
    const doc = demoDoc();
    doc.clients[0].appointments[0].packages = ['rezept', 'rezept'];
    doc.chains[0].therapists = ['anna', 'anna'];
    const db = freshDb();
    let issues: { path: string; message: string }[] = [];
    try {
      importPractice(db, doc, { now: NOW });
    } catch (e) {
      issues = (e as PracticeDocumentError).issues;
    }
    expect(issues).toContainEqual({
      path: 'clients[0].appointments[0].packages[1]',
      message: 'duplicate package "rezept"',
    });
    expect(issues).toContainEqual({ path: 'chains[0].therapists[1]', message: 'duplicate therapist "anna"' });
  });

  it('records no consent for imported client files', () => {
    const db = freshDb();
    importPractice(db, demoDocument(), { now: NOW });
    expect(
      db.$client.prepare('SELECT count(*) AS n FROM clients WHERE consent_at IS NOT NULL').get(),
    ).toEqual({ n: 0 });
  });
});
