/**
 * Changing an existing practice by its document (what the back office saves, what `practice:import
 * --update` applies): the same rules as a first import, only the differences written, in one
 * transaction, each recorded in the change history — and nothing that exists broken by it.
 */
import { describe, expect, it } from 'vitest';
import { loadChains } from '../../server/db/queries/config.ts';
import { configChangesOf } from '../../server/db/queries/configWrite.ts';
import type { Store } from '../../server/db/store.ts';
import {
  applyPracticeDocument,
  type ConfigChange,
  ConfigVersionConflict,
} from '../../server/practice/apply.ts';
import { practiceDocumentSchema } from '../../server/practice/document.ts';
import { exportPracticeDocument } from '../../server/practice/export.ts';
import { PracticeDocumentError } from '../../server/practice/import.ts';
import { count, demoStore, exec, NOW, row, rows } from '../helpers.ts';

const LATER = NOW + 3_600_000;

async function setup() {
  const { store, practiceId } = await demoStore();
  const doc = async () =>
    structuredClone(await exportPracticeDocument(store, practiceId)) as Record<string, any>;
  const apply = (input: unknown, options: Partial<Parameters<typeof applyPracticeDocument>[3]> = {}) =>
    applyPracticeDocument(store, practiceId, input, {
      now: LATER,
      userId: null,
      source: 'admin',
      ...options,
    });
  const version = async () =>
    Number((await row(store, 'SELECT config_version AS v FROM practices WHERE id = ?', [practiceId])).v);
  return { store, practiceId, doc, apply, version };
}

/** The refusal of `apply`, with the configuration version before and after it. */
async function refused(s: Awaited<ReturnType<typeof setup>>, input: unknown) {
  const before = await s.version();
  const error = await s.apply(input).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PracticeDocumentError);
  expect(await s.version()).toBe(before);
  expect(await count(s.store, 'SELECT count(*) AS n FROM config_changes')).toBe(0);
  return (error as PracticeDocumentError).issues;
}

const find = (changes: ConfigChange[], entity: string, key: string) =>
  changes.find((c) => c.entity === entity && c.key === key);

async function chainByKey(store: Store, practiceId: number, key: string) {
  return (await store.read((tx) => loadChains(tx, practiceId))).find((c) => c.key === key);
}

describe('applying a practice document to an existing practice', () => {
  it('changes nothing and records nothing when the document is the exported one', async () => {
    const s = await setup();
    const before = await s.version();
    const result = await s.apply(await s.doc());
    expect(result).toEqual({ changes: [], applied: false, version: before });
    expect(await s.version()).toBe(before);
    expect(await count(s.store, 'SELECT count(*) AS n FROM config_changes')).toBe(0);
  });

  it('writes only the differences, names each field before and after, and records who and when', async () => {
    const s = await setup();
    const [admin] = await rows(s.store, "SELECT id FROM users WHERE role = 'admin'");
    const doc = await s.doc();
    doc.services.find((x: any) => x.code === 'KG').priceCents = 3100;
    doc.practice.booking.holdMinutes = 7;
    doc.rooms.push({ key: 'raum3', name: 'Behandlungsraum 3' });
    const result = await s.apply(doc, { userId: admin.id });
    expect(result.applied).toBe(true);
    expect(result.changes).toEqual([
      {
        entity: 'practice',
        key: 'demo',
        action: 'changed',
        fields: { 'booking.holdMinutes': { before: 10, after: 7 } },
      },
      { entity: 'room', key: 'raum3', action: 'added' },
      {
        entity: 'service',
        key: 'KG',
        action: 'changed',
        fields: { priceCents: { before: 2800, after: 3100 } },
      },
    ]);
    const history = await s.store.read((tx) => configChangesOf(tx, s.practiceId, 10));
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      at: LATER,
      source: 'admin',
      userEmail: 'admin@lindenhof.example',
      changes: result.changes,
    });
    // Applying the same document again: no difference left.
    expect((await s.apply(doc)).changes).toEqual([]);
  });

  it('a new price does not rewrite the amounts of appointments already made', async () => {
    const s = await setup();
    const kgId = (await row(s.store, "SELECT id FROM services WHERE code = 'KG'")).id;
    const before = await rows(
      s.store,
      'SELECT id, unit_price_cents FROM appointment_lines WHERE service_id = ?',
      [kgId],
    );
    expect(before.length).toBeGreaterThan(0);
    const doc = await s.doc();
    doc.services.find((x: any) => x.code === 'KG').priceCents = 3100;
    await s.apply(doc);
    expect(
      await rows(s.store, 'SELECT id, unit_price_cents FROM appointment_lines WHERE service_id = ?', [kgId]),
    ).toEqual(before);
    // What is booked from now on costs the new price.
    const chain = await chainByKey(s.store, s.practiceId, 'physio-folgetermin');
    expect(chain!.lines.find((l) => l.code === 'KG')!.unitPriceCents).toBe(3100);
  });

  it('a template edit does not change the packages already created from it', async () => {
    const s = await setup();
    const packagesBefore = await rows(
      s.store,
      `SELECT p.id, p.max_appointments, p.code_limits FROM packages p JOIN package_templates t ON t.id = p.template_id
        WHERE t.key = 'rezept-kg6' ORDER BY p.id`,
    );
    expect(packagesBefore.length).toBeGreaterThan(0);
    const doc = await s.doc();
    const tpl = doc.packageTemplates.find((t: any) => t.key === 'rezept-kg6');
    tpl.limits.codes = [{ code: 'KG', maxQuantity: 10 }];
    tpl.name = 'Rezept KG ×10';
    const result = await s.apply(doc);
    expect(find(result.changes, 'template', 'rezept-kg6')!.fields).toHaveProperty('limits');
    expect(
      await rows(
        s.store,
        `SELECT p.id, p.max_appointments, p.code_limits FROM packages p JOIN package_templates t ON t.id = p.template_id
          WHERE t.key = 'rezept-kg6' ORDER BY p.id`,
      ),
    ).toEqual(packagesBefore);
  });

  it('a chain switched off keeps its bookings and is no longer offered online', async () => {
    const s = await setup();
    const chainId = (await row(s.store, "SELECT id FROM chains WHERE key = 'physio-folgetermin'")).id;
    const booked = await count(s.store, 'SELECT count(*) AS n FROM appointments WHERE chain_id = ?', [
      chainId,
    ]);
    expect(booked).toBeGreaterThan(0);
    const doc = await s.doc();
    doc.chains.find((c: any) => c.key === 'physio-folgetermin').onlineBookable = false;
    await s.apply(doc);
    expect(await count(s.store, 'SELECT count(*) AS n FROM appointments WHERE chain_id = ?', [chainId])).toBe(
      booked,
    );
    expect((await chainByKey(s.store, s.practiceId, 'physio-folgetermin'))!.onlineBookable).toBe(false);
  });

  it('adds a service, a template and a chain with create-on-booking in one go, in the order given', async () => {
    const s = await setup();
    const doc = await s.doc();
    doc.services.push({ code: 'OSTEO', name: 'Osteopathie', priceCents: 9500, durationMinutes: 50 });
    doc.packageTemplates.push({ key: 'osteo3', name: 'Osteopathie 3er', limits: { maxAppointments: 3 } });
    doc.chains.unshift({
      key: 'osteo',
      name: 'Osteopathie',
      description: 'Drei Termine',
      lines: [{ code: 'OSTEO', quantity: 1 }],
      therapists: ['anna', 'jo'],
      packageRules: [{ template: 'osteo3', offeredWhen: ['absent', 'present'], createOnBooking: ['absent'] }],
    });
    const result = await s.apply(doc);
    expect(result.changes.filter((c) => c.action === 'added').map((c) => `${c.entity} ${c.key}`)).toEqual([
      'service OSTEO',
      'template osteo3',
      'chain osteo',
    ]);
    const chains = await s.store.read((tx) => loadChains(tx, s.practiceId));
    expect(chains[0]).toMatchObject({ key: 'osteo', priceCents: 9500, durationMinutes: 50 });
    expect(chains[0]!.rules[0]).toMatchObject({
      templateName: 'Osteopathie 3er',
      createWhen: new Set(['absent']),
    });
    expect(chains.slice(1).map((c) => c.key)).toEqual(doc.chains.slice(1).map((c: any) => c.key));
    // And the export gives back what was saved.
    expect(practiceDocumentSchema.parse(await s.doc())).toEqual(practiceDocumentSchema.parse(doc));
  });

  it('refuses to remove what appointments still name, with the count, and writes nothing of the document', async () => {
    const s = await setup();
    const doc = await s.doc();
    doc.services.find((x: any) => x.code === 'KG').priceCents = 3100;
    doc.chains = doc.chains.filter((c: any) => c.key !== 'coaching');
    doc.rooms = doc.rooms.filter((r: any) => r.key !== 'raum1');
    const issues = await refused(s, doc);
    expect(issues).toEqual(
      expect.arrayContaining([
        {
          path: 'chains',
          message: expect.stringMatching(/^"coaching" cannot be removed: \d+ appointments still name it/),
        },
      ]),
    );
    expect((await row(s.store, "SELECT price_cents FROM services WHERE code = 'KG'")).price_cents).toBe(2800);
  });

  it('removes a therapist nobody booked, archives one with only past appointments, refuses one with appointments to come', async () => {
    const s = await setup();
    const doc = await s.doc();
    doc.therapists.push({ key: 'neu', name: 'Neu', hours: [{ weekday: 'mon', from: '09:00', to: '12:00' }] });
    await s.apply(doc);
    doc.therapists = doc.therapists.filter((t: any) => t.key !== 'neu');
    expect((await s.apply(doc)).changes).toEqual([{ entity: 'therapist', key: 'neu', action: 'removed' }]);
    expect(await count(s.store, "SELECT count(*) AS n FROM therapists WHERE key = 'neu'")).toBe(0);

    // Jo has appointments to come: refused.
    const withoutJo = structuredClone(doc);
    withoutJo.therapists = withoutJo.therapists.filter((t: any) => t.key !== 'jo');
    for (const c of withoutJo.chains) c.therapists = c.therapists.filter((t: string) => t !== 'jo');
    withoutJo.chains = withoutJo.chains.filter((c: any) => c.therapists.length > 0);
    const jo = (await row(s.store, "SELECT id FROM therapists WHERE key = 'jo'")).id;
    const upcoming = await count(
      s.store,
      "SELECT count(*) AS n FROM appointments WHERE therapist_id = ? AND ends_at > ? AND status <> 'cancelled'",
      [jo, LATER],
    );
    expect(upcoming).toBeGreaterThan(0);
    const issues = await s.apply(withoutJo).catch((e: PracticeDocumentError) => e.issues);
    expect(issues).toContainEqual({
      path: 'therapists',
      message: `"jo" cannot be removed: ${upcoming} appointments to come are theirs; move or cancel them first`,
    });
  });

  it('archives a therapist whose appointments are all past: kept for them, offered nowhere, restored by adding the key again', async () => {
    const s = await setup();
    const mika = (await row(s.store, "SELECT id FROM therapists WHERE key = 'mika'")).id;
    await exec(
      s.store,
      "UPDATE appointments SET status = 'cancelled', cancelled_at = ? WHERE therapist_id = ? AND ends_at > ?",
      [NOW, mika, LATER],
    );
    const theirs = await count(s.store, 'SELECT count(*) AS n FROM appointments WHERE therapist_id = ?', [
      mika,
    ]);
    const doc = await s.doc();
    const withoutMika = structuredClone(doc);
    withoutMika.therapists = withoutMika.therapists.filter((t: any) => t.key !== 'mika');
    for (const c of withoutMika.chains) {
      c.therapists = c.therapists.filter((t: string) => t !== 'mika');
      if (c.therapists.length === 0) c.therapists = ['anna'];
    }
    const result = await s.apply(withoutMika);
    expect(find(result.changes, 'therapist', 'mika')).toEqual({
      entity: 'therapist',
      key: 'mika',
      action: 'archived',
    });
    expect(
      await count(s.store, 'SELECT count(*) AS n FROM appointments WHERE therapist_id = ?', [mika]),
    ).toBe(theirs);
    expect((await s.doc()).therapists.map((t: any) => t.key)).not.toContain('mika');
    for (const c of await s.store.read((tx) => loadChains(tx, s.practiceId)))
      expect(c.therapistIds).not.toContain(mika);

    await s.apply(doc);
    expect((await s.doc()).therapists.map((t: any) => t.key)).toContain('mika');
    expect((await row(s.store, 'SELECT id, active FROM therapists WHERE key = ?', ['mika'])).id).toBe(mika);
  });

  it('a therapist not bookable online keeps the chain for staff but is not offered to clients; colours are kept', async () => {
    const s = await setup();
    const doc = await s.doc();
    const anna = doc.therapists.find((t: any) => t.key === 'anna');
    anna.onlineBookable = false;
    anna.color = '#AA3355';
    await s.apply(doc);
    const annaId = (await row(s.store, "SELECT id, color FROM therapists WHERE key = 'anna'")).id;
    expect((await row(s.store, "SELECT color FROM therapists WHERE key = 'anna'")).color).toBe('#aa3355');
    const chain = (await chainByKey(s.store, s.practiceId, 'physio-folgetermin'))!;
    expect(chain.therapistIds).toContain(annaId);
    expect(chain.onlineTherapistIds).not.toContain(annaId);
  });

  it('refuses what the document rules refuse, with every path, and writes nothing', async () => {
    const s = await setup();
    const doc = await s.doc();
    doc.chains[0].lines.push({ code: 'NOPE', quantity: 1 });
    doc.services[0].priceCents = -5;
    const issues = await refused(s, doc);
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['services[0].priceCents', 'chains[0].lines[2].code']),
    );
  });

  it('keeps the slug, leaves the plan to the operator, and has no client files', async () => {
    const s = await setup();
    const doc = await s.doc();
    doc.practice.slug = 'other';
    doc.practice.plan = 'XXL';
    const issues = await refused(s, doc);
    expect(issues.map((i) => i.path)).toEqual(['practice.slug', 'practice.plan']);
    const withClients = await s.doc();
    withClients.clients = [{ key: 'x', firstName: 'X', lastName: 'Y' }];
    expect((await refused(s, withClients)).map((i) => i.path)).toEqual(['clients']);
    // The operator's command line may change the plan.
    const plan = await s.doc();
    plan.practice.plan = 'XXL';
    expect(find((await s.apply(plan, { source: 'import' })).changes, 'practice', 'demo')!.fields).toEqual({
      plan: { before: 'XL', after: 'XXL' },
    });
  });

  it('refuses a change based on an older version of the configuration', async () => {
    const s = await setup();
    const version = await s.version();
    const first = await s.doc();
    first.rooms[0].name = 'Raum Eins';
    await s.apply(first, { expectedVersion: version });
    const second = await s.doc();
    second.rooms[1].name = 'Raum Zwei';
    const error = await s.apply(second, { expectedVersion: version }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigVersionConflict);
    expect((await row(s.store, "SELECT name FROM rooms WHERE key = 'raum2'")).name).toBe('Behandlungsraum 2');
  });

  it('a dry run reports the changes and writes nothing', async () => {
    const s = await setup();
    const version = await s.version();
    const doc = await s.doc();
    doc.rooms[0].name = 'Raum Eins';
    const result = await s.apply(doc, { dryRun: true });
    expect(result).toEqual({
      applied: false,
      version,
      changes: [
        {
          entity: 'room',
          key: 'raum1',
          action: 'changed',
          fields: { name: { before: 'Behandlungsraum 1', after: 'Raum Eins' } },
        },
      ],
    });
    expect((await row(s.store, "SELECT name FROM rooms WHERE key = 'raum1'")).name).toBe('Behandlungsraum 1');
    expect(await s.version()).toBe(version);
    expect(await count(s.store, 'SELECT count(*) AS n FROM config_changes')).toBe(0);
  });

  it('stores relative exception dates as dates, so the exported document applies without a difference', async () => {
    const s = await setup();
    const doc = await s.doc();
    doc.therapists[0].exceptions = [{ date: 'today+3', kind: 'closed', note: 'Fortbildung' }];
    const result = await s.apply(doc);
    expect(find(result.changes, 'therapist', doc.therapists[0].key)!.fields!.exceptions!.after).toEqual([
      { date: '2026-11-30', kind: 'closed', note: 'Fortbildung' },
    ]);
    expect((await s.apply(await s.doc())).changes).toEqual([]);
  });

  it('a chain removed while a booking of it commits: the removal waits, sees the booking, and is refused', async () => {
    const s = await setup();
    const chain = (await row(s.store, "SELECT id FROM chains WHERE key = 'hp-erstgespraech'")).id;
    const jo = (await row(s.store, "SELECT id FROM therapists WHERE key = 'jo'")).id;
    const client = (await row(s.store, 'SELECT id FROM clients ORDER BY id LIMIT 1')).id;
    expect(await count(s.store, 'SELECT count(*) AS n FROM appointments WHERE chain_id = ?', [chain])).toBe(
      0,
    );
    const doc = await s.doc();
    doc.chains = doc.chains.filter((c: any) => c.key !== 'hp-erstgespraech');

    // A booking of the chain holds its write transaction open while the removal starts.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let inserted!: () => void;
    const didInsert = new Promise<void>((r) => {
      inserted = r;
    });
    const start = LATER + 400 * 86_400_000;
    const booking = s.store.write(async (tx) => {
      await tx.run(
        `INSERT INTO appointments (practice_id, client_id, therapist_id, chain_id, starts_at, ends_at, blocked_until, status, source, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'booked', 'staff', ?)`,
        [s.practiceId, client, jo, chain, start, start + 2_700_000, start + 2_700_000, LATER],
      );
      inserted();
      await held;
    });
    await Promise.race([didInsert, booking]);
    const removal = s.apply(doc).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    release();
    await booking;
    const error = await removal;
    expect(error).toBeInstanceOf(PracticeDocumentError);
    expect((error as PracticeDocumentError).issues).toEqual([
      {
        path: 'chains',
        message: expect.stringMatching(/^"hp-erstgespraech" cannot be removed: 1 appointments still name it/),
      },
    ]);
    expect(await count(s.store, 'SELECT count(*) AS n FROM chains WHERE id = ?', [chain])).toBe(1);
  });

  it('a hold that ran out does not keep a chain from being removed; an address in another case is no change', async () => {
    const s = await setup();
    const chain = (await row(s.store, "SELECT id FROM chains WHERE key = 'hp-erstgespraech'")).id;
    const jo = (await row(s.store, "SELECT id FROM therapists WHERE key = 'jo'")).id;
    const start = LATER + 400 * 86_400_000;
    await exec(
      s.store,
      `INSERT INTO appointments (practice_id, therapist_id, chain_id, starts_at, ends_at, blocked_until, status, source, hold_expires_at, hold_owner, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'held', 'online', ?, 'x', ?)`,
      [s.practiceId, jo, chain, start, start + 2_700_000, start + 2_700_000, LATER - 60_000, NOW],
    );
    const doc = await s.doc();
    doc.chains = doc.chains.filter((c: any) => c.key !== 'hp-erstgespraech');
    doc.users[0].email = doc.users[0].email.toUpperCase();
    const result = await s.apply(doc);
    expect(result.changes).toEqual([{ entity: 'chain', key: 'hp-erstgespraech', action: 'removed' }]);
  });
});
