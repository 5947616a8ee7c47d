/**
 * Writing a whole practice (the practice document, checked and resolved by practice/import.ts):
 * rows by table, cross references by key, in one write transaction.
 */
import type { Tx } from '../store.ts';
import {
  SETTINGS_COLUMNS,
  saveChain,
  saveRoom,
  saveService,
  saveTemplate,
  saveTherapist,
  settingsValues,
} from './configWrite.ts';
import type { PracticeRows } from './practiceRows.ts';

export type { PracticeRows } from './practiceRows.ts';

export async function practiceIdBySlug(tx: Tx, slug: string): Promise<number | undefined> {
  return (await tx.get<{ id: number }>('SELECT id FROM practices WHERE slug = ?', [slug]))?.id;
}

export async function anyPractice(tx: Tx): Promise<boolean> {
  return (await tx.get('SELECT id FROM practices LIMIT 1')) !== undefined;
}

/** Writes every row of a practice; the caller has checked the slug is free. Returns the practice's id. */
export async function insertPractice(tx: Tx, d: PracticeRows, now: number): Promise<number> {
  const p = d.practice;
  const practiceId = await tx.insert(
    `INSERT INTO practices (slug, ${SETTINGS_COLUMNS.join(', ')}, created_at)
     VALUES (${['?', ...SETTINGS_COLUMNS.map(() => '?'), '?'].join(', ')})`,
    [p.slug, ...settingsValues(p), now],
  );
  tx.touch(practiceId);

  const userIds = new Map<string, number>();
  for (const u of d.users) {
    userIds.set(
      u.email.toLowerCase(),
      await tx.insert(
        'INSERT INTO users (practice_id, email, name, role, created_at) VALUES (?, ?, ?, ?, ?)',
        [practiceId, u.email, u.name, u.role, now],
      ),
    );
  }
  const therapistIds = new Map<string, number>();
  for (const th of d.therapists)
    therapistIds.set(th.key, await saveTherapist(tx, practiceId, null, th, userIds));
  const roomIds = new Map<string, number>();
  for (const r of d.rooms) roomIds.set(r.key, await saveRoom(tx, practiceId, null, r));
  const serviceIds = new Map<string, number>();
  for (const s of d.services) serviceIds.set(s.code, await saveService(tx, practiceId, null, s));
  const templateIds = new Map<string, number>();
  for (const tp of d.templates) templateIds.set(tp.key, await saveTemplate(tx, practiceId, null, tp));
  const refs = { services: serviceIds, therapists: therapistIds, templates: templateIds };
  const chainIds = new Map<string, number>();
  for (const [order, c] of d.chains.entries())
    chainIds.set(c.key, await saveChain(tx, practiceId, null, c, order, refs));

  const clientIds = new Map<string, number>();
  for (const cl of d.clients) {
    // Consent is the client's own act (given when booking online); an import does not invent it.
    const clientId = await tx.insert(
      `INSERT INTO clients (practice_id, first_name, last_name, email, phone, birth_date, access_code, consent_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      [practiceId, cl.firstName, cl.lastName, cl.email, cl.phone, cl.birthDate, cl.accessCode, now],
    );
    clientIds.set(cl.key, clientId);
    for (const e of cl.exclusions) {
      await tx.run(
        'INSERT INTO exclusions (practice_id, client_id, template_id, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [practiceId, clientId, templateIds.get(e.template)!, e.reason, 'import', now],
      );
    }
  }

  const ledger = (packageId: number, action: string, appointmentId: number | null, details: object) =>
    tx.run(
      'INSERT INTO package_ledger (practice_id, package_id, at, actor, action, appointment_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [practiceId, packageId, now, 'import', action, appointmentId, JSON.stringify(details)],
    );
  const packageIds = new Map<string, number>();
  for (const pk of d.packages) {
    const packageId = await tx.insert(
      `INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, max_amount_cents, code_limits,
         valid_from, valid_until, status, origin, closed_reason, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        practiceId,
        clientIds.get(pk.clientKey)!,
        templateIds.get(pk.template)!,
        pk.name,
        pk.limits.maxAppointments ?? null,
        pk.limits.maxAmountCents ?? null,
        JSON.stringify(pk.limits.codeLimits),
        pk.validFrom,
        pk.validUntil,
        pk.status,
        pk.origin,
        pk.closedReason,
        now,
      ],
    );
    packageIds.set(`${pk.clientKey}/${pk.key}`, packageId);
    await ledger(packageId, 'created', null, { limits: pk.limits });
    if (pk.status === 'closed') await ledger(packageId, 'closed', null, { reason: pk.closedReason });
  }

  for (const a of d.appointments) {
    const appointmentId = await tx.insert(
      `INSERT INTO appointments (practice_id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at,
         buffer_after_minutes, blocked_until, status, source, note, cancelled_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, ?, ?)`,
      [
        practiceId,
        clientIds.get(a.clientKey)!,
        therapistIds.get(a.therapist)!,
        a.room ? roomIds.get(a.room)! : null,
        a.chain ? chainIds.get(a.chain)! : null,
        a.start,
        a.end,
        a.bufferAfterMinutes,
        a.end + a.bufferAfterMinutes * 60_000,
        a.status,
        a.note,
        a.status === 'cancelled' ? now : null,
        now,
      ],
    );
    for (const l of a.lines) {
      await tx.run(
        'INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents) VALUES (?, ?, ?, ?, ?, ?)',
        [practiceId, appointmentId, serviceIds.get(l.code)!, l.code, l.quantity, l.unitPriceCents],
      );
    }
    for (const key of a.packages) {
      const packageId = packageIds.get(`${a.clientKey}/${key}`)!;
      await tx.run(
        'INSERT INTO appointment_packages (practice_id, appointment_id, package_id) VALUES (?, ?, ?)',
        [practiceId, appointmentId, packageId],
      );
      await ledger(packageId, 'assigned', appointmentId, {});
      if (a.status === 'cancelled')
        await ledger(packageId, 'released', appointmentId, { reason: 'cancelled' });
    }
  }
  return practiceId;
}
