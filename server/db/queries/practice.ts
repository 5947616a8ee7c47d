/**
 * Writing a whole practice (the practice document, checked and resolved by practice/import.ts):
 * rows by table, cross references by key, in one write transaction.
 */
import type { Limits } from '../../../shared/domain.ts';
import type { Tx } from '../store.ts';

/** A practice, resolved: every time in minutes, every date a local date, every instant in ms. */
export interface PracticeRows {
  practice: {
    slug: string;
    name: string;
    plan: string;
    timeZone: string;
    contactEmail: string | null;
    onlineBookingEnabled: boolean;
    minNoticeMinutes: number;
    bookingWindowDays: number;
    slotMode: string;
    slotStepMinutes: number;
    cancelDeadlineMinutes: number;
    allowedOrigins: string[];
    privacyNoticeUrl: string | null;
    holdMinutes: number;
    maxOpenOnlineBookings: number;
    mailNamesService: boolean;
    /** Only the limits the document sets; the rest stay the defaults (also when those change). */
    onlineLimits: Record<string, unknown>;
  };
  users: { email: string; name: string; role: string }[];
  therapists: {
    key: string;
    name: string;
    userEmail: string | null;
    hours: { weekday: number; startMinute: number; endMinute: number }[];
    exceptions: {
      date: string;
      kind: string;
      startMinute: number | null;
      endMinute: number | null;
      note: string | null;
    }[];
  }[];
  rooms: { key: string; name: string }[];
  services: { code: string; name: string; priceCents: number; durationMinutes: number }[];
  templates: {
    key: string;
    name: string;
    limits: Limits;
    validityKind: string;
    validityDays: number | null;
  }[];
  chains: {
    key: string;
    name: string;
    description: string;
    durationMinutes: number | null;
    bufferAfterMinutes: number;
    needsRoom: boolean;
    onlineBookable: boolean;
    minAge: number | null;
    maxAge: number | null;
    minNoticeMinutes: number | null;
    bookingWindowDays: number | null;
    lines: { code: string; quantity: number }[];
    therapists: string[];
    rules: {
      template: string;
      offeredWhen: string[];
      createWhen: string[];
    }[];
  }[];
  clients: {
    key: string;
    firstName: string;
    lastName: string;
    email: string | null;
    phone: string | null;
    birthDate: string | null;
    accessCode: string;
    exclusions: { template: string; reason: string }[];
  }[];
  packages: {
    clientKey: string;
    key: string;
    template: string;
    name: string;
    limits: Limits;
    validFrom: number | null;
    validUntil: number | null;
    status: string;
    origin: string;
    closedReason: string | null;
  }[];
  appointments: {
    clientKey: string;
    therapist: string;
    room: string | null;
    chain: string | null;
    start: number;
    end: number;
    bufferAfterMinutes: number;
    status: string;
    lines: { code: string; quantity: number; unitPriceCents: number }[];
    packages: string[];
    note: string | null;
  }[];
}

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
    `INSERT INTO practices (slug, name, plan, time_zone, contact_email, online_booking_enabled, min_notice_minutes,
       booking_window_days, slot_mode, slot_step_minutes, cancel_deadline_minutes, allowed_origins, privacy_notice_url,
       hold_minutes, max_open_online_bookings, mail_names_service, online_limits, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      p.slug,
      p.name,
      p.plan,
      p.timeZone,
      p.contactEmail,
      p.onlineBookingEnabled,
      p.minNoticeMinutes,
      p.bookingWindowDays,
      p.slotMode,
      p.slotStepMinutes,
      p.cancelDeadlineMinutes,
      JSON.stringify(p.allowedOrigins),
      p.privacyNoticeUrl,
      p.holdMinutes,
      p.maxOpenOnlineBookings,
      p.mailNamesService,
      JSON.stringify(p.onlineLimits),
      now,
    ],
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
  for (const th of d.therapists) {
    const id = await tx.insert(
      'INSERT INTO therapists (practice_id, key, name, user_id) VALUES (?, ?, ?, ?)',
      [practiceId, th.key, th.name, th.userEmail ? (userIds.get(th.userEmail.toLowerCase()) ?? null) : null],
    );
    therapistIds.set(th.key, id);
    for (const h of th.hours) {
      await tx.run(
        'INSERT INTO working_hours (practice_id, therapist_id, weekday, start_minute, end_minute) VALUES (?, ?, ?, ?, ?)',
        [practiceId, id, h.weekday, h.startMinute, h.endMinute],
      );
    }
    for (const e of th.exceptions) {
      await tx.run(
        `INSERT INTO availability_exceptions (practice_id, therapist_id, date, kind, start_minute, end_minute, note)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [practiceId, id, e.date, e.kind, e.startMinute, e.endMinute, e.note],
      );
    }
  }
  const roomIds = new Map<string, number>();
  for (const r of d.rooms) {
    roomIds.set(
      r.key,
      await tx.insert('INSERT INTO rooms (practice_id, key, name) VALUES (?, ?, ?)', [
        practiceId,
        r.key,
        r.name,
      ]),
    );
  }
  const serviceIds = new Map<string, number>();
  for (const s of d.services) {
    serviceIds.set(
      s.code,
      await tx.insert(
        'INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES (?, ?, ?, ?, ?)',
        [practiceId, s.code, s.name, s.priceCents, s.durationMinutes],
      ),
    );
  }
  const templateIds = new Map<string, number>();
  for (const tp of d.templates) {
    templateIds.set(
      tp.key,
      await tx.insert(
        `INSERT INTO package_templates (practice_id, key, name, max_appointments, max_amount_cents, code_limits, validity_kind, validity_days)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          practiceId,
          tp.key,
          tp.name,
          tp.limits.maxAppointments ?? null,
          tp.limits.maxAmountCents ?? null,
          JSON.stringify(tp.limits.codeLimits),
          tp.validityKind,
          tp.validityDays,
        ],
      ),
    );
  }
  const chainIds = new Map<string, number>();
  for (const [order, c] of d.chains.entries()) {
    const chainId = await tx.insert(
      `INSERT INTO chains (practice_id, key, name, description, duration_minutes, buffer_after_minutes, needs_room,
         online_bookable, min_age, max_age, min_notice_minutes, booking_window_days, sort_order)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        practiceId,
        c.key,
        c.name,
        c.description,
        c.durationMinutes,
        c.bufferAfterMinutes,
        c.needsRoom,
        c.onlineBookable,
        c.minAge,
        c.maxAge,
        c.minNoticeMinutes,
        c.bookingWindowDays,
        order,
      ],
    );
    chainIds.set(c.key, chainId);
    for (const [position, l] of c.lines.entries()) {
      await tx.run(
        'INSERT INTO chain_lines (practice_id, chain_id, service_id, quantity, position) VALUES (?, ?, ?, ?, ?)',
        [practiceId, chainId, serviceIds.get(l.code)!, l.quantity, position],
      );
    }
    for (const th of c.therapists) {
      await tx.run('INSERT INTO chain_therapists (practice_id, chain_id, therapist_id) VALUES (?, ?, ?)', [
        practiceId,
        chainId,
        therapistIds.get(th)!,
      ]);
    }
    for (const r of c.rules) {
      await tx.run(
        `INSERT INTO chain_package_rules (practice_id, chain_id, template_id, when_absent, when_present, when_exhausted,
           when_excluded, create_on_booking, create_when_exhausted)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          practiceId,
          chainId,
          templateIds.get(r.template)!,
          r.offeredWhen.includes('absent'),
          r.offeredWhen.includes('present'),
          r.offeredWhen.includes('exhausted'),
          r.offeredWhen.includes('excluded'),
          r.createWhen.includes('absent'),
          r.createWhen.includes('exhausted'),
        ],
      );
    }
  }

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
