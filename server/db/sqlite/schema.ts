/**
 * The data model. Every row belongs to one practice; references between rows carry the practice id
 * too (composite foreign keys), so the database itself refuses a room of practice A on an appointment
 * of practice B. Instants are epoch milliseconds (UTC), money integer cents, local dates YYYY-MM-DD.
 */
import { type SQL, sql } from 'drizzle-orm';
import {
  type AnySQLiteColumn,
  check,
  foreignKey,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  unique,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import type { CodeLimit } from '../../../shared/domain.ts';

const id = () => integer('id').primaryKey({ autoIncrement: true });
const practiceRef = () =>
  integer('practice_id')
    .notNull()
    .references((): AnySQLiteColumn => practices.id, { onDelete: 'cascade' });
const createdAt = () => integer('created_at').notNull();
const bool = (name: string) => integer(name, { mode: 'boolean' });

export const practices = sqliteTable(
  'practices',
  {
    id: id(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    plan: text('plan', { enum: ['S', 'M', 'L', 'XL', 'XXL'] }).notNull(),
    timeZone: text('time_zone').notNull().default('Europe/Berlin'),
    onlineBookingEnabled: bool('online_booking_enabled').notNull().default(true),
    minNoticeMinutes: integer('min_notice_minutes').notNull().default(120),
    bookingWindowDays: integer('booking_window_days').notNull().default(60),
    slotMode: text('slot_mode', { enum: ['grid', 'compact'] })
      .notNull()
      .default('grid'),
    slotStepMinutes: integer('slot_step_minutes').notNull().default(15),
    cancelDeadlineMinutes: integer('cancel_deadline_minutes').notNull().default(1440),
    allowedOrigins: text('allowed_origins', { mode: 'json' }).$type<string[]>().notNull().default([]),
    privacyNoticeUrl: text('privacy_notice_url'),
    contactEmail: text('contact_email'),
    /** Minutes a hold keeps a start for the client who chose it (POST …/holds). */
    holdMinutes: integer('hold_minutes').notNull().default(10),
    /** Future online bookings a client file may have open at once. */
    maxOpenOnlineBookings: integer('max_open_online_bookings').notNull().default(3),
    /**
     * Whether e-mail subjects and calendar entries name the service ("Hypnose …"); by default they
     * say only "Termin" and the practice, for lock screens and shared calendars.
     */
    mailNamesService: bool('mail_names_service').notNull().default(false),
    /** Overrides of the online limits per client address (engine/config.ts `DEFAULT_ONLINE_LIMITS`). */
    onlineLimits: text('online_limits', { mode: 'json' })
      .$type<Record<string, unknown>>()
      .notNull()
      .default({}),
    /**
     * Raised by triggers (migration 0002) on every change to the practice or to anything that
     * decides what can be booked — therapists, hours, exceptions, rooms, services, templates,
     * chains and their lines, therapists and rules — so a process may keep that configuration in
     * memory and know, by reading this one number, whether it is still current.
     */
    configVersion: integer('config_version').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    check('practices_plan', sql`${t.plan} IN ('S','M','L','XL','XXL')`),
    check('practices_slot_mode', sql`${t.slotMode} IN ('grid','compact')`),
    check('practices_slug', sql`length(${t.slug}) BETWEEN 1 AND 64 AND ${t.slug} NOT GLOB '*[^a-z0-9-]*'`),
    check('practices_notice', sql`${t.minNoticeMinutes} >= 0`),
    check('practices_window', sql`${t.bookingWindowDays} BETWEEN 1 AND 730`),
    check('practices_step', sql`${t.slotStepMinutes} BETWEEN 5 AND 240`),
    check('practices_cancel_deadline', sql`${t.cancelDeadlineMinutes} >= 0`),
    check('practices_hold', sql`${t.holdMinutes} BETWEEN 1 AND 60`),
    check('practices_open_bookings', sql`${t.maxOpenOnlineBookings} BETWEEN 1 AND 100`),
  ],
);

export const users = sqliteTable(
  'users',
  {
    id: id(),
    practiceId: practiceRef(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'staff'] }).notNull(),
    /** scrypt (auth/password.ts); null until the user sets a password through a one-time link. */
    passwordHash: text('password_hash'),
    /** A deactivated user cannot log in; their sessions end. */
    active: bool('active').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [
    unique('users_practice_id').on(t.practiceId, t.id),
    uniqueIndex('users_practice_email').on(t.practiceId, sql`lower(${t.email})`),
    check('users_role', sql`${t.role} IN ('admin','staff')`),
  ],
);

/**
 * A staff user's login session: the SHA-256 of the token in its HttpOnly cookie (the token itself
 * is never stored), the CSRF token its state-changing requests carry, when it ends at the latest
 * and when it was last used (it ends after a while without use).
 */
export const staffSessions = sqliteTable(
  'staff_sessions',
  {
    id: text('id').primaryKey(),
    practiceId: practiceRef(),
    userId: integer('user_id').notNull(),
    csrf: text('csrf').notNull(),
    createdAt: createdAt(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.practiceId, t.userId], foreignColumns: [users.practiceId, users.id] }).onDelete(
      'cascade',
    ),
    index('staff_sessions_user').on(t.practiceId, t.userId),
  ],
);

/**
 * One-time links for staff: setting the first password (a new practice's admin, an invited user)
 * or a new one. The SHA-256 of the link's token; used once, then `used_at` is set.
 */
export const staffTokens = sqliteTable(
  'staff_tokens',
  {
    id: text('id').primaryKey(),
    practiceId: practiceRef(),
    userId: integer('user_id').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({ columns: [t.practiceId, t.userId], foreignColumns: [users.practiceId, users.id] }).onDelete(
      'cascade',
    ),
  ],
);

export const therapists = sqliteTable(
  'therapists',
  {
    id: id(),
    practiceId: practiceRef(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    userId: integer('user_id'),
    /** False once removed from the configuration while appointments still name them (archived). */
    active: bool('active').notNull().default(true),
    /** Whether clients may book them online; staff may always. */
    onlineBookable: bool('online_bookable').notNull().default(true),
    /** The colour of their appointments in the calendar, `#rrggbb`. */
    color: text('color').notNull().default('#2f6f8f'),
  },
  (t) => [
    unique('therapists_practice_id').on(t.practiceId, t.id),
    unique('therapists_practice_key').on(t.practiceId, t.key),
    check(
      'therapists_color',
      sql`length(${t.color}) = 7 AND ${t.color} GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'`,
    ),
    foreignKey({ columns: [t.practiceId, t.userId], foreignColumns: [users.practiceId, users.id] }),
  ],
);

export const rooms = sqliteTable(
  'rooms',
  {
    id: id(),
    practiceId: practiceRef(),
    key: text('key').notNull(),
    name: text('name').notNull(),
  },
  (t) => [
    unique('rooms_practice_id').on(t.practiceId, t.id),
    unique('rooms_practice_key').on(t.practiceId, t.key),
  ],
);

/** Weekly working hours, local wall-clock minutes of the day; weekday ISO (1 = Monday). */
export const workingHours = sqliteTable(
  'working_hours',
  {
    id: id(),
    practiceId: practiceRef(),
    therapistId: integer('therapist_id').notNull(),
    weekday: integer('weekday').notNull(),
    startMinute: integer('start_minute').notNull(),
    endMinute: integer('end_minute').notNull(),
  },
  (t) => [
    foreignKey({
      columns: [t.practiceId, t.therapistId],
      foreignColumns: [therapists.practiceId, therapists.id],
    }).onDelete('cascade'),
    index('working_hours_therapist').on(t.therapistId, t.weekday),
    check('working_hours_weekday', sql`${t.weekday} BETWEEN 1 AND 7`),
    check(
      'working_hours_span',
      sql`${t.startMinute} >= 0 AND ${t.endMinute} <= 1440 AND ${t.startMinute} < ${t.endMinute}`,
    ),
  ],
);

/** A dated exception: `closed` (whole day, or the given span) or `open` (extra hours). */
export const availabilityExceptions = sqliteTable(
  'availability_exceptions',
  {
    id: id(),
    practiceId: practiceRef(),
    therapistId: integer('therapist_id').notNull(),
    date: text('date').notNull(),
    kind: text('kind', { enum: ['closed', 'open'] }).notNull(),
    startMinute: integer('start_minute'),
    endMinute: integer('end_minute'),
    note: text('note'),
  },
  (t) => [
    foreignKey({
      columns: [t.practiceId, t.therapistId],
      foreignColumns: [therapists.practiceId, therapists.id],
    }).onDelete('cascade'),
    index('availability_exceptions_therapist_date').on(t.therapistId, t.date),
    check('availability_exceptions_kind', sql`${t.kind} IN ('closed','open')`),
    check('availability_exceptions_date', sql`${t.date} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'`),
    check(
      'availability_exceptions_span',
      sql`(${t.startMinute} IS NULL AND ${t.endMinute} IS NULL AND ${t.kind} = 'closed') OR (${t.startMinute} >= 0 AND ${t.endMinute} <= 1440 AND ${t.startMinute} < ${t.endMinute})`,
    ),
  ],
);

export const services = sqliteTable(
  'services',
  {
    id: id(),
    practiceId: practiceRef(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    priceCents: integer('price_cents').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
  },
  (t) => [
    unique('services_practice_id').on(t.practiceId, t.id),
    unique('services_practice_code').on(t.practiceId, t.code),
    check('services_price', sql`${t.priceCents} >= 0`),
    check('services_duration', sql`${t.durationMinutes} > 0 AND ${t.durationMinutes} <= 1440`),
  ],
);

/** A package template: limits (at least one) and how a new package's validity is set. */
export const packageTemplates = sqliteTable(
  'package_templates',
  {
    id: id(),
    practiceId: practiceRef(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    maxAppointments: integer('max_appointments'),
    maxAmountCents: integer('max_amount_cents'),
    codeLimits: text('code_limits', { mode: 'json' }).$type<CodeLimit[]>().notNull().default([]),
    validityKind: text('validity_kind', { enum: ['none', 'days', 'calendar_year'] }).notNull(),
    validityDays: integer('validity_days'),
  },
  (t) => [
    unique('package_templates_practice_id').on(t.practiceId, t.id),
    unique('package_templates_practice_key').on(t.practiceId, t.key),
    check(
      'package_templates_has_limit',
      sql`${t.maxAppointments} IS NOT NULL OR ${t.maxAmountCents} IS NOT NULL OR json_array_length(${t.codeLimits}) > 0`,
    ),
    check(
      'package_templates_max_appointments',
      sql`${t.maxAppointments} IS NULL OR ${t.maxAppointments} > 0`,
    ),
    check('package_templates_max_amount', sql`${t.maxAmountCents} IS NULL OR ${t.maxAmountCents} > 0`),
    check(
      'package_templates_validity',
      sql`(${t.validityKind} = 'days' AND ${t.validityDays} > 0) OR (${t.validityKind} IN ('none','calendar_year') AND ${t.validityDays} IS NULL)`,
    ),
  ],
);

export const chains = sqliteTable(
  'chains',
  {
    id: id(),
    practiceId: practiceRef(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    durationMinutes: integer('duration_minutes'),
    bufferAfterMinutes: integer('buffer_after_minutes').notNull().default(0),
    needsRoom: bool('needs_room').notNull().default(false),
    onlineBookable: bool('online_bookable').notNull().default(true),
    minAge: integer('min_age'),
    maxAge: integer('max_age'),
    minNoticeMinutes: integer('min_notice_minutes'),
    bookingWindowDays: integer('booking_window_days'),
    sortOrder: integer('sort_order').notNull().default(0),
  },
  (t) => [
    unique('chains_practice_id').on(t.practiceId, t.id),
    unique('chains_practice_key').on(t.practiceId, t.key),
    check(
      'chains_duration',
      sql`${t.durationMinutes} IS NULL OR (${t.durationMinutes} > 0 AND ${t.durationMinutes} <= 1440)`,
    ),
    check('chains_buffer', sql`${t.bufferAfterMinutes} >= 0 AND ${t.bufferAfterMinutes} <= 480`),
    check(
      'chains_age',
      sql`(${t.minAge} IS NULL OR ${t.minAge} >= 0) AND (${t.maxAge} IS NULL OR ${t.maxAge} >= 0) AND (${t.minAge} IS NULL OR ${t.maxAge} IS NULL OR ${t.minAge} <= ${t.maxAge})`,
    ),
    check('chains_notice', sql`${t.minNoticeMinutes} IS NULL OR ${t.minNoticeMinutes} >= 0`),
    check('chains_window', sql`${t.bookingWindowDays} IS NULL OR ${t.bookingWindowDays} BETWEEN 1 AND 730`),
  ],
);

export const chainLines = sqliteTable(
  'chain_lines',
  {
    id: id(),
    practiceId: practiceRef(),
    chainId: integer('chain_id').notNull(),
    serviceId: integer('service_id').notNull(),
    quantity: integer('quantity').notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    foreignKey({
      columns: [t.practiceId, t.chainId],
      foreignColumns: [chains.practiceId, chains.id],
    }).onDelete('cascade'),
    foreignKey({ columns: [t.practiceId, t.serviceId], foreignColumns: [services.practiceId, services.id] }),
    index('chain_lines_chain').on(t.chainId),
    check('chain_lines_quantity', sql`${t.quantity} > 0 AND ${t.quantity} <= 100`),
  ],
);

export const chainTherapists = sqliteTable(
  'chain_therapists',
  {
    practiceId: practiceRef(),
    chainId: integer('chain_id').notNull(),
    therapistId: integer('therapist_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chainId, t.therapistId] }),
    foreignKey({
      columns: [t.practiceId, t.chainId],
      foreignColumns: [chains.practiceId, chains.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.practiceId, t.therapistId],
      foreignColumns: [therapists.practiceId, therapists.id],
    }).onDelete('cascade'),
  ],
);

/** A chain's package rule: the states in which the chain is offered, and create-on-booking. */
export const chainPackageRules = sqliteTable(
  'chain_package_rules',
  {
    id: id(),
    practiceId: practiceRef(),
    chainId: integer('chain_id').notNull(),
    templateId: integer('template_id').notNull(),
    whenAbsent: bool('when_absent').notNull().default(false),
    whenPresent: bool('when_present').notNull().default(false),
    whenExhausted: bool('when_exhausted').notNull().default(false),
    whenExcluded: bool('when_excluded').notNull().default(false),
    /** Booking the chain creates a package from the template when the state is absent. */
    createOnBooking: bool('create_on_booking').notNull().default(false),
    /** … and also when it is exhausted (the next prescription after the last one ran out or expired). */
    createWhenExhausted: bool('create_when_exhausted').notNull().default(false),
  },
  (t) => [
    unique('chain_package_rules_chain_template').on(t.chainId, t.templateId),
    foreignKey({
      columns: [t.practiceId, t.chainId],
      foreignColumns: [chains.practiceId, chains.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.practiceId, t.templateId],
      foreignColumns: [packageTemplates.practiceId, packageTemplates.id],
    }),
    check(
      'chain_package_rules_some_state',
      sql`${t.whenAbsent} OR ${t.whenPresent} OR ${t.whenExhausted} OR ${t.whenExcluded}`,
    ),
    check('chain_package_rules_create_needs_absent', sql`NOT ${t.createOnBooking} OR ${t.whenAbsent}`),
    check(
      'chain_package_rules_create_exhausted_needs_exhausted',
      sql`NOT ${t.createWhenExhausted} OR ${t.whenExhausted}`,
    ),
  ],
);

export const clients = sqliteTable(
  'clients',
  {
    id: id(),
    practiceId: practiceRef(),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email'),
    phone: text('phone'),
    birthDate: text('birth_date'),
    accessCode: text('access_code').notNull(),
    accessCodeVersion: integer('access_code_version').notNull().default(1),
    /**
     * Moves on with every decision about the file's budgets (db/queries/calendar.ts `lockClient`,
     * `applyPlan`): a booking decided on a version another decision has moved on from is refused
     * by `clients_budget_current` and decided again.
     */
    budgetVersion: integer('budget_version').notNull().default(0),
    consentAt: integer('consent_at'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('clients_practice_id').on(t.practiceId, t.id),
    uniqueIndex('clients_practice_email').on(t.practiceId, sql`lower(${t.email})`),
    check('clients_names', sql`length(${t.firstName}) > 0 AND length(${t.lastName}) > 0`),
    check(
      'clients_birth_date',
      sql`${t.birthDate} IS NULL OR ${t.birthDate} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'`,
    ),
    check('clients_access_code', sql`length(${t.accessCode}) >= 6`),
    check('clients_budget_current', sql`${t.budgetVersion} >= 0`),
  ],
);

/** A package: a budget on one client file, copied from its template and editable afterwards. */
export const packages = sqliteTable(
  'packages',
  {
    id: id(),
    practiceId: practiceRef(),
    clientId: integer('client_id').notNull(),
    templateId: integer('template_id').notNull(),
    name: text('name').notNull(),
    maxAppointments: integer('max_appointments'),
    maxAmountCents: integer('max_amount_cents'),
    codeLimits: text('code_limits', { mode: 'json' }).$type<CodeLimit[]>().notNull().default([]),
    validFrom: integer('valid_from'),
    validUntil: integer('valid_until'),
    /** `withdrawn`: created by a booking that was cancelled before anything else used it; as if never there. */
    status: text('status', { enum: ['active', 'closed', 'withdrawn'] })
      .notNull()
      .default('active'),
    origin: text('origin', { enum: ['manual', 'booking'] }).notNull(),
    closedReason: text('closed_reason'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('packages_practice_id').on(t.practiceId, t.id),
    foreignKey({
      columns: [t.practiceId, t.clientId],
      foreignColumns: [clients.practiceId, clients.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.practiceId, t.templateId],
      foreignColumns: [packageTemplates.practiceId, packageTemplates.id],
    }),
    // Practice first: with (practice_id, id) beside it, SQLite took that one for a client's
    // packages and read every package of the practice (no ANALYZE statistics to tell it better).
    index('packages_practice_client').on(t.practiceId, t.clientId, t.id),
    check(
      'packages_has_limit',
      sql`${t.maxAppointments} IS NOT NULL OR ${t.maxAmountCents} IS NOT NULL OR json_array_length(${t.codeLimits}) > 0`,
    ),
    check('packages_max_appointments', sql`${t.maxAppointments} IS NULL OR ${t.maxAppointments} > 0`),
    check('packages_max_amount', sql`${t.maxAmountCents} IS NULL OR ${t.maxAmountCents} > 0`),
    check(
      'packages_validity',
      sql`${t.validFrom} IS NULL OR ${t.validUntil} IS NULL OR ${t.validFrom} < ${t.validUntil}`,
    ),
    check('packages_status', sql`${t.status} IN ('active','closed','withdrawn')`),
    check('packages_origin', sql`${t.origin} IN ('manual','booking')`),
  ],
);

/** A staff decision: this client file is excluded from a package template. */
export const exclusions = sqliteTable(
  'exclusions',
  {
    id: id(),
    practiceId: practiceRef(),
    clientId: integer('client_id').notNull(),
    templateId: integer('template_id').notNull(),
    reason: text('reason').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('exclusions_client_template').on(t.clientId, t.templateId),
    foreignKey({
      columns: [t.practiceId, t.clientId],
      foreignColumns: [clients.practiceId, clients.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.practiceId, t.templateId],
      foreignColumns: [packageTemplates.practiceId, packageTemplates.id],
    }),
    check('exclusions_reason', sql`length(${t.reason}) > 0`),
  ],
);

export const appointments = sqliteTable(
  'appointments',
  {
    id: id(),
    practiceId: practiceRef(),
    /** The client file; null only for a hold (no client has booked it yet). */
    clientId: integer('client_id'),
    therapistId: integer('therapist_id').notNull(),
    roomId: integer('room_id'),
    chainId: integer('chain_id'),
    seriesId: text('series_id'),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    bufferAfterMinutes: integer('buffer_after_minutes').notNull().default(0),
    /** endsAt + buffer: the end of the time the appointment blocks its therapist and room. */
    blockedUntil: integer('blocked_until').notNull(),
    /**
     * `held`: a hold — a start kept for a few minutes for whoever chose it online while they
     * confirm their address (POST …/holds); it blocks its therapist and room like a booking until
     * `holdExpiresAt`, and the booking made with it takes its place.
     */
    status: text('status', { enum: ['booked', 'done', 'no_show', 'cancelled', 'held'] })
      .notNull()
      .default('booked'),
    source: text('source', { enum: ['staff', 'online', 'import'] }).notNull(),
    note: text('note'),
    cancelledAt: integer('cancelled_at'),
    /** iCalendar SEQUENCE: raised on every change the client is told about (e.g. cancellation). */
    sequence: integer('sequence').notNull().default(0),
    /** A hold: until when it keeps the start. Expired, it blocks nothing and is deleted. */
    holdExpiresAt: integer('hold_expires_at'),
    /** A hold made with a token: whose it is (`client:<id>` or `email:<hash>`); only they book with it. */
    holdOwner: text('hold_owner'),
    createdAt: createdAt(),
    /**
     * SQLite only: the time the appointment blocks, as every decision reads it (queries/calendar.ts
     * `busyText`): "therapist,room,start,end" in whole minutes since 1970, the start rounded down
     * and the end up. Virtual (its rows do not grow), but its value is kept in the (therapist,
     * start) and (room, start) indexes, which the reads take it from instead of building it.
     */
    busyText: text('busy_text')
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`${appointments.therapistId} || ',' || coalesce(${appointments.roomId}, 'null') || ',' || (${appointments.startsAt} / 60000) || ',' || ((${appointments.blockedUntil} + 59999) / 60000)`,
        { mode: 'virtual' },
      ),
  },
  (t) => [
    unique('appointments_practice_id').on(t.practiceId, t.id),
    foreignKey({
      columns: [t.practiceId, t.clientId],
      foreignColumns: [clients.practiceId, clients.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.practiceId, t.therapistId],
      foreignColumns: [therapists.practiceId, therapists.id],
    }),
    foreignKey({ columns: [t.practiceId, t.roomId], foreignColumns: [rooms.practiceId, rooms.id] }),
    foreignKey({ columns: [t.practiceId, t.chainId], foreignColumns: [chains.practiceId, chains.id] }),
    // Covering indexes for the slot search: the busy intervals of a window come from the index alone,
    // each as the text the search reads (busy_text).
    index('appointments_therapist_time').on(
      t.therapistId,
      t.startsAt,
      t.blockedUntil,
      t.status,
      t.roomId,
      t.holdExpiresAt,
      t.busyText,
    ),
    index('appointments_room_time').on(
      t.roomId,
      t.startsAt,
      t.blockedUntil,
      t.status,
      t.therapistId,
      t.holdExpiresAt,
      t.busyText,
    ),
    index('appointments_practice_time').on(t.practiceId, t.startsAt),
    index('appointments_client').on(t.clientId, t.startsAt),
    check('appointments_span', sql`${t.startsAt} < ${t.endsAt} AND ${t.endsAt} - ${t.startsAt} <= 86400000`),
    check(
      'appointments_blocked_until',
      sql`${t.blockedUntil} = ${t.endsAt} + ${t.bufferAfterMinutes} * 60000 AND ${t.bufferAfterMinutes} BETWEEN 0 AND 480`,
    ),
    check('appointments_status', sql`${t.status} IN ('booked','done','no_show','cancelled','held')`),
    check(
      'appointments_hold',
      sql`(${t.status} = 'held') = (${t.holdExpiresAt} IS NOT NULL) AND (${t.status} = 'held') = (${t.clientId} IS NULL)`,
    ),
    index('appointments_holds').on(t.holdExpiresAt).where(sql`${t.status} = 'held'`),
    check('appointments_source', sql`${t.source} IN ('staff','online','import')`),
    check('appointments_cancelled_at', sql`(${t.status} = 'cancelled') = (${t.cancelledAt} IS NOT NULL)`),
  ],
);

/** A service line of an appointment, with the price at booking time. */
export const appointmentLines = sqliteTable(
  'appointment_lines',
  {
    id: id(),
    practiceId: practiceRef(),
    appointmentId: integer('appointment_id').notNull(),
    serviceId: integer('service_id').notNull(),
    code: text('code').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
  },
  (t) => [
    foreignKey({
      columns: [t.practiceId, t.appointmentId],
      foreignColumns: [appointments.practiceId, appointments.id],
    }).onDelete('cascade'),
    foreignKey({ columns: [t.practiceId, t.serviceId], foreignColumns: [services.practiceId, services.id] }),
    index('appointment_lines_appointment').on(t.appointmentId),
    check('appointment_lines_quantity', sql`${t.quantity} > 0`),
    check('appointment_lines_price', sql`${t.unitPriceCents} >= 0`),
  ],
);

export const appointmentPackages = sqliteTable(
  'appointment_packages',
  {
    practiceId: practiceRef(),
    appointmentId: integer('appointment_id').notNull(),
    packageId: integer('package_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.appointmentId, t.packageId] }),
    foreignKey({
      columns: [t.practiceId, t.appointmentId],
      foreignColumns: [appointments.practiceId, appointments.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.practiceId, t.packageId],
      foreignColumns: [packages.practiceId, packages.id],
    }).onDelete('cascade'),
    index('appointment_packages_package').on(t.packageId),
  ],
);

/** Every change to a package: who, when, what. Append-only. */
export const packageLedger = sqliteTable(
  'package_ledger',
  {
    id: id(),
    practiceId: practiceRef(),
    packageId: integer('package_id').notNull(),
    at: integer('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action', {
      enum: [
        'created',
        'limits_changed',
        'closed',
        'reopened',
        'assigned',
        'released',
        'updated',
        'excluded',
        'withdrawn',
      ],
    }).notNull(),
    appointmentId: integer('appointment_id'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    foreignKey({
      columns: [t.practiceId, t.packageId],
      foreignColumns: [packages.practiceId, packages.id],
    }).onDelete('cascade'),
    index('package_ledger_package').on(t.packageId, t.at),
    check(
      'package_ledger_action',
      sql`${t.action} IN ('created','limits_changed','closed','reopened','assigned','released','updated','excluded','withdrawn')`,
    ),
  ],
);

/** An online booking request by its Idempotency-Key: a retry returns the same booking. */
export const bookingRequests = sqliteTable(
  'booking_requests',
  {
    id: id(),
    practiceId: practiceRef(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    appointmentId: integer('appointment_id').notNull(),
    response: text('response', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('booking_requests_key').on(t.practiceId, t.idempotencyKey),
    index('booking_requests_created').on(t.createdAt),
    // For the foreign key: deleting an appointment (a hold a booking takes the place of) looks here.
    index('booking_requests_appointment').on(t.appointmentId),
    foreignKey({
      columns: [t.practiceId, t.appointmentId],
      foreignColumns: [appointments.practiceId, appointments.id],
    }).onDelete('cascade'),
    check('booking_requests_key_length', sql`length(${t.idempotencyKey}) BETWEEN 1 AND 200`),
  ],
);

/**
 * A one-time code e-mailed to an address at a practice — whether or not a client file has that
 * address, so the answers never tell which — and only its hash, with the address's hash (no
 * address in plain text). A new code ends the address's older ones.
 */
export const emailCodes = sqliteTable(
  'email_codes',
  {
    id: id(),
    practiceId: practiceRef(),
    /** `emailHash` (auth/tokens.ts) of the trimmed, lower-cased address. */
    emailHash: text('email_hash').notNull(),
    codeHash: text('code_hash').notNull(),
    expiresAt: integer('expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('email_codes_address').on(t.practiceId, t.emailHash, t.expiresAt)],
);

/**
 * E-mails to send. Written in the same transaction as what they report, sent by a worker that
 * claims each row atomically (several processes may run workers), retried with backoff.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: id(),
    practiceId: practiceRef(),
    kind: text('kind').notNull(),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    attachments: text('attachments', { mode: 'json' }).$type<unknown[]>().notNull().default([]),
    /**
     * What the mail says, when it is rendered on sending (mail/bookingMail.ts); subject, text
     * and attachments are then empty here and come from this.
     */
    content: text('content', { mode: 'json' }).$type<unknown>(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    claimedBy: text('claimed_by'),
    claimedUntil: integer('claimed_until'),
    lastError: text('last_error'),
    messageId: text('message_id'),
    createdAt: createdAt(),
    sentAt: integer('sent_at'),
    /**
     * When a server without SMTP logged the mail as pending (its id, kind and practice, nothing
     * else). Set in the statement that picks the mail, so each is logged once across restarts and
     * instances.
     */
    loggedAt: integer('logged_at'),
  },
  (t) => [
    index('outbox_due').on(t.status, t.nextAttemptAt),
    index('outbox_unlogged').on(t.id).where(sql`${t.status} = 'pending' AND ${t.loggedAt} IS NULL`),
    // Mails done with (sent, or given up) whose recipient and text are still kept: what retention scrubs.
    index('outbox_to_scrub').on(t.createdAt).where(sql`${t.status} <> 'pending' AND ${t.toAddress} <> ''`),
    check('outbox_status', sql`${t.status} IN ('pending','sent','failed')`),
  ],
);

/** Rate-limit counters (auth/rateLimit.ts, db/queries/rateLimits.ts): one row per key and window. */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    points: integer('points').notNull().default(0),
    expire: integer('expire'),
    /**
     * The limit of a counter that the database keeps itself (`pointWrites`): a point over it fails
     * its statement, and with it the batch it came with. Null: the limiter checks (auth/rateLimit.ts).
     */
    maxPoints: integer('max_points'),
  },
  (t) => [check('rate_limits_within', sql`${t.maxPoints} IS NULL OR ${t.points} <= ${t.maxPoints}`)],
);

/**
 * The change history of a practice's configuration: who changed it, when, from where (the back
 * office or a re-imported practice document) and what, as a list of changes by entity and key.
 */
export const configChanges = sqliteTable(
  'config_changes',
  {
    id: id(),
    practiceId: practiceRef(),
    /** The staff user; null for a command-line import. */
    userId: integer('user_id'),
    at: integer('at').notNull(),
    source: text('source', { enum: ['admin', 'import'] }).notNull(),
    changes: text('changes', { mode: 'json' }).$type<unknown[]>().notNull(),
  },
  (t) => [index('config_changes_practice_at').on(t.practiceId, t.at)],
);

/**
 * The history of a file's exclusions from package templates: each exclusion and readmission, with
 * its reason, by whom and when (the exclusions table holds only the ones in force).
 */
export const exclusionEvents = sqliteTable(
  'exclusion_events',
  {
    id: id(),
    practiceId: practiceRef(),
    clientId: integer('client_id').notNull(),
    templateId: integer('template_id').notNull(),
    action: text('action', { enum: ['excluded', 'readmitted'] }).notNull(),
    reason: text('reason'),
    actor: text('actor').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [
    foreignKey({
      columns: [t.practiceId, t.clientId],
      foreignColumns: [clients.practiceId, clients.id],
    }).onDelete('cascade'),
    foreignKey({
      columns: [t.practiceId, t.templateId],
      foreignColumns: [packageTemplates.practiceId, packageTemplates.id],
    }),
    index('exclusion_events_client').on(t.clientId, t.at),
    check('exclusion_events_action', sql`${t.action} IN ('excluded','readmitted')`),
  ],
);
