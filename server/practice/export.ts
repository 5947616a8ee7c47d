/**
 * The practice document of a practice as it is configured now: the same JSON `practice:import`
 * reads, so a practice can keep its configuration in version control and load it into an empty
 * database. Configuration only: client files, packages and appointments are not configuration.
 */
import { type StoredConfiguration, storedConfiguration } from '../db/queries/practiceExport.ts';
import type { Store } from '../db/store.ts';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Leaves out what is null or undefined: the document says nothing where the default holds. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

export function documentOf(c: StoredConfiguration) {
  const p = c.practice;
  const therapistKey = new Map(c.therapists.map((t) => [t.id, t.key as string]));
  const serviceCode = new Map(c.services.map((s) => [s.id, s.code as string]));
  const templateKey = new Map(c.templates.map((t) => [t.id, t.key as string]));
  const validity = (t: (typeof c.templates)[number]) =>
    t.validity_kind === 'days' ? { kind: 'days', days: t.validity_days } : { kind: t.validity_kind };
  return {
    practice: defined({
      slug: p.slug,
      name: p.name,
      plan: p.plan,
      timeZone: p.time_zone,
      contactEmail: p.contact_email,
      booking: defined({
        enabled: p.online_booking_enabled,
        minNoticeMinutes: p.min_notice_minutes,
        bookingWindowDays: p.booking_window_days,
        slotMode: p.slot_mode,
        slotStepMinutes: p.slot_step_minutes,
        cancelDeadlineMinutes: p.cancel_deadline_minutes,
        allowedOrigins: p.allowed_origins,
        privacyNoticeUrl: p.privacy_notice_url,
        holdMinutes: p.hold_minutes,
        maxOpenOnlineBookings: p.max_open_online_bookings,
        mailNamesService: p.mail_names_service,
        limits: p.online_limits,
      }),
    }),
    users: c.users.map((u) => ({ email: u.email, name: u.name, role: u.role })),
    therapists: c.therapists.map((t) =>
      defined({
        key: t.key,
        name: t.name,
        user: t.user_email,
        onlineBookable: Boolean(t.online_bookable),
        color: t.color,
        hours: c.hours
          .filter((h) => h.therapist_id === t.id)
          .map((h) => ({
            weekday: WEEKDAYS[h.weekday - 1],
            from: hhmm(h.start_minute),
            to: hhmm(h.end_minute),
          })),
        exceptions: c.exceptions
          .filter((e) => e.therapist_id === t.id)
          .map((e) =>
            defined({
              date: e.date,
              kind: e.kind,
              from: e.start_minute === null ? null : hhmm(e.start_minute),
              to: e.end_minute === null ? null : hhmm(e.end_minute),
              note: e.note,
            }),
          ),
      }),
    ),
    rooms: c.rooms.map((r) => ({ key: r.key, name: r.name })),
    services: c.services.map((s) => ({
      code: s.code,
      name: s.name,
      priceCents: s.price_cents,
      durationMinutes: s.duration_minutes,
    })),
    packageTemplates: c.templates.map((t) => ({
      key: t.key,
      name: t.name,
      limits: defined({
        maxAppointments: t.max_appointments,
        maxAmountCents: t.max_amount_cents,
        codes: t.code_limits.map((l: Record<string, unknown>) => defined(l)),
      }),
      validity: validity(t),
    })),
    chains: c.chains.map((ch) =>
      defined({
        key: ch.key,
        name: ch.name,
        description: ch.description,
        lines: c.lines
          .filter((l) => l.chain_id === ch.id)
          .map((l) => ({ code: serviceCode.get(l.service_id)!, quantity: l.quantity })),
        durationMinutes: ch.duration_minutes,
        bufferAfterMinutes: ch.buffer_after_minutes,
        needsRoom: Boolean(ch.needs_room),
        onlineBookable: Boolean(ch.online_bookable),
        therapists: c.chainTherapists
          .filter((x) => x.chain_id === ch.id)
          .flatMap((x) => therapistKey.get(x.therapist_id) ?? []),
        minAge: ch.min_age,
        maxAge: ch.max_age,
        minNoticeMinutes: ch.min_notice_minutes,
        bookingWindowDays: ch.booking_window_days,
        packageRules: c.rules
          .filter((r) => r.chain_id === ch.id)
          .map((r) => ({
            template: templateKey.get(r.template_id)!,
            offeredWhen: (['absent', 'present', 'exhausted', 'excluded'] as const).filter((s) =>
              Boolean(r[`when_${s}`]),
            ),
            createOnBooking: (['absent', 'exhausted'] as const).filter((s) =>
              Boolean(s === 'absent' ? r.create_on_booking : r.create_when_exhausted),
            ),
          })),
      }),
    ),
  };
}

export type PracticeDocumentExport = ReturnType<typeof documentOf>;

export async function exportPracticeDocument(
  store: Store,
  practiceId: number,
): Promise<PracticeDocumentExport | undefined> {
  const stored = await store.read((tx) => storedConfiguration(tx, practiceId));
  return stored && documentOf(stored);
}
