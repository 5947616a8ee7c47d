/**
 * The calendar and the budgets: what blocks therapists and rooms, a client file with its packages,
 * an appointment, and writing a decided plan (engine/appointment.ts).
 */
import type { BudgetAppointment, CodeLimit } from '../../../shared/domain.ts';
import type {
  AppointmentPlan,
  ClientFile,
  ExistingAppointment,
  LedgerAction,
} from '../../engine/appointment.ts';
import type { BusyWindow } from '../../engine/availability.ts';
import type { ClientBudget, FilePackage } from '../../engine/eligibility.ts';
import type { BusyInterval } from '../../engine/slots.ts';
import { indexedBy, inList, inValues, json, list } from '../sql.ts';
import type { Tx, Write } from '../store.ts';

// biome-ignore lint/suspicious/noExplicitAny: raw rows are mapped field by field.
type AnyRow = Record<string, any>;

/** The longest an appointment can block its therapist or room: 24 h plus an 8 h buffer (schema checks). */
export const LONGEST_BLOCK_MS = 32 * 3_600_000;

/**
 * The busy times as every decision sees them: the time an appointment or running hold blocks its
 * therapist and room, in whole minutes, its start rounded down and its end up. Starts, durations
 * and buffers are whole minutes, so for them an interval so widened overlaps exactly what the exact
 * one does; an appointment placed off the minute (the staff API takes any instant) blocks the
 * minutes it touches, the same for the slot search, a hold and the booking — in compact mode, where
 * the starts offered are the edges of the busy times, they agree on where a gap begins.
 *
 * SQLite keeps them as the text "therapist,room,start minute,end minute" in the (therapist, start)
 * and (room, start) indexes (`busy_text`, a virtual generated column: schema.ts), minutes since
 * 1970, so a read takes it from the index instead of building it per row, in the app's own process.
 *
 * PostgreSQL packs each into 16 bytes as it reads, two int8: the therapist in the upper 32 bits of
 * the first and the room (0: none; ids start at 1) in its lower 32; the start in minutes from the
 * window's base minute above the last 11 bits of the second, and the length in minutes in them (at
 * most 1 921: a block ends at most 32 h after its start, schema checks) — all of a read's intervals
 * one bytea, sent as hex (`busyFromHex`). Two conversions per row (int8send) where the decimal text
 * took four numbers to text and their join. A week of 20 therapists: 1 500 reads in a row, decimal
 * and packed alternated four times, the read's time less the app's CPU 230–240 → 120–140 µs; the
 * benchmark's quick /starts row, PostgreSQL's CPU per request 0.18 → 0.16 ms (two alternated pairs,
 * with 12-byte rows that left 21 bits for the start: a staff series over years outgrew them). Its
 * text grows from 6.0 to 12.8 KB, read as the decimal one was, digit by digit. (With SQLite's text
 * stored and indexed, PostgreSQL's reads took half the time, but the bookings' foreign-key checks
 * against appointments slowed to 0.6–0.8 ms each on a table filled from empty: not kept.)
 */
function busyText(tx: Tx): string {
  return tx.dialect === 'sqlite'
    ? 'busy_text'
    : `int8send((therapist_id::int8 << 32) | coalesce(room_id, 0))
        || int8send(((starts_at / 60000 - ?) << ${LENGTH_BITS})
          | ((blocked_until + 59999) / 60000 - starts_at / 60000))`;
}

/** Bits of the packed length (PostgreSQL's busy bytes): 1 921 minutes at most. */
const LENGTH_BITS = 11;

/** How a read's busy text counts its minutes (`busyText`). */
export interface BusyForm {
  /** The minute its starts count from. */
  base: number;
  /** PostgreSQL's packed bytes as hex (`busyFromHex`), or SQLite's decimal text (`busyFromText`). */
  packed: boolean;
}

const SQLITE_FORM: BusyForm = { base: 0, packed: false };

/**
 * A window's busy text's form: PostgreSQL's starts count from the first minute the read can return
 * (nothing starts before `from − LONGEST_BLOCK_MS`); SQLite's index holds minutes since 1970.
 */
function busyForm(tx: Tx, window: BusyWindow): BusyForm {
  return tx.dialect === 'sqlite'
    ? SQLITE_FORM
    : { base: Math.floor((window.from - LONGEST_BLOCK_MS) / 60_000), packed: true };
}

/** The intervals of a read's busy text, `width` numbers each (the fifth: the appointment's id), in its `form`. */
export function busyFrom(text: string | null | undefined, width: 4 | 5, form: BusyForm): BusyInterval[] {
  return form.packed ? busyFromHex(text, width, form.base) : busyFromText(text, width);
}

/**
 * The non-cancelled appointments and running holds that block the given therapists or rooms
 * inside [from, to), each until its buffer ends, with their ids, in no particular order (the
 * engine buckets them itself). The two halves run on the (therapist, start) and (room, start)
 * indexes with a bounded start range: the cost follows the appointments in the window, not the
 * size of the table.
 */
export async function loadBusy(tx: Tx, window: BusyWindow): Promise<BusyInterval[]> {
  const [busy, params, form] = busyWithIds(tx, window);
  const row = await tx.get<{ busy: string | null }>(`SELECT (${busy}) AS busy`, params);
  return busyFrom(row?.busy, 5, form);
}

/**
 * `loadBusy`'s statement as a scalar subquery with its parameters, for a statement that reads more,
 * and the form to read its text in (`busyFrom`).
 */
export function busyWithIds(tx: Tx, window: BusyWindow): [sql: string, params: unknown[], form: BusyForm] {
  const [rows, params, form] = busyRows(tx, window, false);
  const withId = tx.dialect === 'sqlite' ? `concat_ws(',', b.busy, b.id)` : 'b.busy || int4send(b.id)';
  return [aggregate(tx, withId, rows), params, form];
}

/**
 * The same for a slot search, with the id and configuration version of the practice at `slug` read
 * in the same statement: a search on a configuration kept in memory learns in one round trip
 * whether that copy is still the practice's (booking/availability.ts `findSlots`). Without the
 * appointments' ids, which only an edit or a booking with a hold needs (to leave an appointment
 * out). When the window's therapists are every therapist of that configuration (`everyTherapist`),
 * the rooms are not searched for other therapists' appointments: there are none while the version
 * read beside them is the configuration's (every change to the therapists moves it), and an answer
 * for any other version is thrown away.
 */
export async function loadBusyAndHead(
  tx: Tx,
  slug: string,
  window: BusyWindow,
): Promise<{ head: { id: number; version: number } | undefined; busy: BusyInterval[] }> {
  const [rows, params, form] = busyRows(tx, window, window.everyTherapist === true);
  const row = await tx.get<{ practice_id: number; version: number; busy: string | null }>(
    `SELECT p.id AS practice_id, p.config_version AS version, (${aggregate(tx, 'b.busy', rows)}) AS busy
       FROM practices p WHERE p.slug = ?`,
    [...params, slug],
  );
  return {
    head: row ? { id: Number(row.practice_id), version: Number(row.version) } : undefined,
    busy: busyFrom(row?.busy, 4, form),
  };
}

/** What a busy interval must be to block a window. */
const SPAN = `starts_at >= ? AND starts_at < ? AND blocked_until > ? AND status <> 'cancelled'
  AND (hold_expires_at IS NULL OR hold_expires_at > ?)`;

/**
 * The rows that block the window's therapists, and other therapists' rows in its rooms unless
 * `therapistsOnly`, as a subquery with its parameters.
 */
function busyRows(
  tx: Tx,
  window: BusyWindow,
  therapistsOnly: boolean,
): [sql: string, params: unknown[], form: BusyForm] {
  // Therapist and room ids are the practice's own (they come from its configuration), so the
  // practice needs no condition of its own here; leaving it out lets the planner pick the
  // (therapist, start) and (room, start) indexes.
  const range = [window.from - LONGEST_BLOCK_MS, window.to, window.from, window.now];
  const form = busyForm(tx, window);
  // busyText's parameter: PostgreSQL's base minute.
  const text = tx.dialect === 'sqlite' ? [] : [form.base];
  const [therapists, therapistIds] = inValues(tx, 'therapist_id', window.therapistIds);
  let rooms = '';
  let roomParams: unknown[] = [];
  if (!therapistsOnly && window.roomIds.length > 0) {
    const [inRooms, roomIds] = inValues(tx, 'room_id', window.roomIds);
    rooms = `UNION ALL
              SELECT ${busyText(tx)} AS busy, id FROM appointments WHERE ${inRooms} AND ${SPAN} AND NOT (${therapists})`;
    roomParams = [...text, ...roomIds, ...range, ...therapistIds];
  }
  return [
    `SELECT ${busyText(tx)} AS busy, id FROM appointments WHERE ${therapists} AND ${SPAN}
     ${rooms}`,
    [...text, ...therapistIds, ...range, ...roomParams],
    form,
  ];
}

/**
 * All of a read's busy times as one text (SQLite: numbers joined by commas; PostgreSQL: the packed
 * bytes joined, as hex): a week of a busy practice is hundreds of rows, and the drivers' row-by-row
 * handover (an array or object per row, a number per column) costs far more than the query itself.
 * Not sorted here: SQLite would sort them through a temporary B-tree.
 */
function aggregate(tx: Tx, text: string, rows: string): string {
  return tx.dialect === 'sqlite'
    ? `SELECT group_concat(${text}, ',') FROM (${rows}) b`
    : `SELECT encode(string_agg(${text}, ''::bytea), 'hex') FROM (${rows}) b`;
}

/**
 * The intervals of SQLite's busy text, `width` numbers each (the fifth: the appointment's id):
 * minutes since 1970, start and end, "null" for no room (concat_ws leaves a NULL out, so the
 * column writes it). Read character by character into the intervals, without the array of numbers
 * JSON.parse would make first: a week of 20 therapists is 2 000 numbers.
 */
export function busyFromText(text: string | null | undefined, width: 4 | 5): BusyInterval[] {
  const busy: BusyInterval[] = [];
  if (!text) return busy;
  let field = 0;
  let value = 0;
  let digits = 0;
  // A minus: minutes before 1970 (the start and end fields alone).
  let negative = false;
  // A room's "null": the appointment has no room.
  let isNull = false;
  let therapistId = 0;
  let roomId: number | null = null;
  let start = 0;
  let end = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c >= 48 && c <= 57 && !isNull && digits < 15) {
      value = value * 10 + (c - 48);
      digits++;
      continue;
    }
    if (c === 45 && digits === 0 && !negative && (field === 2 || field === 3)) {
      negative = true;
      continue;
    }
    if (c === 110 && field === 1 && digits === 0 && !isNull && text.startsWith('null', i)) {
      isNull = true;
      i += 3;
      continue;
    }
    if (c !== 44 || (digits === 0) === !isNull) {
      throw new Error(`busy text: unexpected ${JSON.stringify(text.slice(i, i + 8))} at ${i}`);
    }
    if (negative) value = -value;
    if (field === 0) therapistId = value;
    else if (field === 1) roomId = isNull ? null : value;
    else if (field === 2) start = value * 60_000;
    else if (field === 3) end = value * 60_000;
    if (++field === width) {
      const b: BusyInterval = { therapistId, roomId, start, end };
      if (width === 5) b.appointmentId = value;
      busy.push(b);
      field = 0;
    }
    value = 0;
    digits = 0;
    negative = false;
    isNull = false;
  }
  if (field !== 0) throw new Error(`busy text: ${field} numbers left over`);
  return busy;
}

/**
 * The intervals of PostgreSQL's packed busy bytes as hex (`busyText`): 32 hex digits each, 40 with
 * the appointment's id (an int4 after them), starts counted from the minute `base`. The hex is
 * decoded natively into one buffer kept for the purpose (the decoding is synchronous, so no two
 * reads share it at once) and read as big-endian words: a week of 20 therapists is 12 800 digits,
 * and reading them one by one cost three times as long.
 */
export function busyFromHex(text: string | null | undefined, width: 4 | 5, base: number): BusyInterval[] {
  if (!text) return [];
  const size = width === 5 ? 20 : 16;
  const bytes = text.length / 2;
  if (bytes % size !== 0) {
    throw new Error(`busy text: ${text.length} hex digits are not whole intervals of ${size * 2}`);
  }
  if (bytes > hexBuffer.length) {
    hexBuffer = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * hexBuffer.length));
    hexView = new DataView(hexBuffer.buffer, hexBuffer.byteOffset, hexBuffer.length);
  }
  // Writing stops at the first pair that is not hex.
  const written = hexBuffer.write(text, 0, bytes, 'hex');
  if (written !== bytes) {
    throw new Error(
      `busy text: unexpected ${JSON.stringify(text.slice(written * 2, written * 2 + 8))} at ${written * 2}`,
    );
  }
  const view = hexView;
  const busy: BusyInterval[] = [];
  for (let at = 0; at < bytes; at += size) {
    const room = view.getUint32(at + 4);
    // The second int8: its upper 32 bits, and its lower 32 — whose last 11 are the length.
    const high = view.getUint32(at + 8);
    const low = view.getUint32(at + 12);
    const start = (base + high * 2 ** (32 - LENGTH_BITS) + Math.floor(low / 2 ** LENGTH_BITS)) * 60_000;
    const b: BusyInterval = {
      therapistId: view.getUint32(at),
      roomId: room === 0 ? null : room,
      start,
      end: start + (low % 2 ** LENGTH_BITS) * 60_000,
    };
    if (width === 5) b.appointmentId = view.getUint32(at + 16);
    busy.push(b);
  }
  return busy;
}

/** `busyFromHex`'s decoded bytes, grown when a read is larger (64 KiB holds 4 000 intervals). */
let hexBuffer = Buffer.allocUnsafeSlow(64 * 1024);
let hexView = new DataView(hexBuffer.buffer, hexBuffer.byteOffset, hexBuffer.length);

function packageOf(p: AnyRow): FilePackage {
  return {
    id: p.id,
    templateId: p.template_id,
    name: p.name,
    limits: {
      maxAppointments: p.max_appointments,
      maxAmountCents: p.max_amount_cents,
      codeLimits: json<CodeLimit[]>(p.code_limits),
    },
    validFrom: p.valid_from,
    validUntil: p.valid_until,
    status: p.status,
    origin: p.origin,
  };
}

/**
 * A client file's packages (not the withdrawn ones), their appointments, exclusions and birth
 * date. With `lock` (inside a write), the file's row is locked first on PostgreSQL: every decision
 * about a file's budgets — new appointments, edits, packages created on booking, packages that do
 * not exist yet among them — waits for the one before, whichever app instance runs it. One row in
 * a fixed place, so locks are always taken in the same order and cannot deadlock.
 */
export async function loadClientBudget(
  tx: Tx,
  practiceId: number,
  clientId: number,
  options: { lock?: boolean } = {},
): Promise<ClientBudget | undefined> {
  if (options.lock) await lockClient(tx, practiceId, clientId);
  const client = await tx.get<AnyRow>('SELECT id, birth_date FROM clients WHERE practice_id = ? AND id = ?', [
    practiceId,
    clientId,
  ]);
  if (!client) return undefined;
  const packages = await tx.all<AnyRow>(
    "SELECT * FROM packages WHERE practice_id = ? AND client_id = ? AND status <> 'withdrawn' ORDER BY id",
    [practiceId, clientId],
  );
  const rows =
    packages.length === 0
      ? []
      : await tx.all<AnyRow>(
          tx.dialect === 'sqlite'
            ? `SELECT ap.package_id, a.id, a.starts_at, a.ends_at, a.status, l.code, l.quantity, l.unit_price_cents
                 FROM appointment_packages ap
                 JOIN appointments a ON a.id = ap.appointment_id
                 LEFT JOIN appointment_lines l ON l.appointment_id = a.id
                WHERE ${inList(tx, 'ap.package_id')}
                ORDER BY ap.package_id, a.id, l.id`
            : // PostgreSQL plans a prepared statement once (generic plans, see pg/store.ts); made
              // while the tables were small or their statistics old (no ANALYZE since), the plain
              // join hashes whole tables — a scan of every appointment and line per booking, growing
              // with the practice. Each package's appointments and their lines by their indexes
              // instead, whatever the statistics say (OFFSET 0 keeps the subqueries nested).
              `SELECT ap.package_id, a.id, a.starts_at, a.ends_at, a.status, l.code, l.quantity, l.unit_price_cents
                 FROM appointment_packages ap
                 CROSS JOIN LATERAL (SELECT id, starts_at, ends_at, status FROM appointments
                                      WHERE id = ap.appointment_id OFFSET 0) a
                 LEFT JOIN LATERAL (SELECT id AS line_id, code, quantity, unit_price_cents FROM appointment_lines
                                     WHERE appointment_id = a.id OFFSET 0) l ON TRUE
                WHERE ${inList(tx, 'ap.package_id')}
                ORDER BY ap.package_id, a.id, l.line_id`,
          [
            list(
              tx,
              packages.map((p) => p.id as number),
            ),
          ],
        );
  const excluded = await tx.all<AnyRow>(
    'SELECT template_id FROM exclusions WHERE practice_id = ? AND client_id = ?',
    [practiceId, clientId],
  );
  return budgetOf(
    clientId,
    client.birth_date,
    packages,
    rows,
    excluded.map((e) => e.template_id as number),
  );
}

/**
 * A client file's budget from its rows: packages, their appointments' lines (one row per line,
 * ordered by package, appointment and line; an appointment without lines has one row with a null
 * code), and the templates it is excluded from.
 */
export function budgetOf(
  clientId: number,
  birthDate: string | null,
  packageRows: readonly AnyRow[],
  lineRows: readonly AnyRow[],
  excludedTemplateIds: readonly number[],
): ClientBudget {
  const packages = packageRows.map(packageOf);
  const appointmentsByPackage = new Map<number, BudgetAppointment[]>();
  for (const p of packages) appointmentsByPackage.set(p.id, []);
  let current: BudgetAppointment | undefined;
  let currentPackage = -1;
  for (const r of lineRows) {
    if (!current || current.id !== r.id || currentPackage !== r.package_id) {
      current = { id: r.id, start: r.starts_at, end: r.ends_at, status: r.status, lines: [] };
      currentPackage = r.package_id;
      appointmentsByPackage.get(r.package_id)!.push(current);
    }
    if (r.code !== null)
      current.lines.push({ code: r.code, quantity: r.quantity, unitPriceCents: r.unit_price_cents });
  }
  return {
    clientId,
    birthDate,
    packages,
    appointmentsByPackage,
    excludedTemplateIds: new Set(excludedTemplateIds),
  };
}

/**
 * A client file for a decision: its budget (locked for a write, see `loadClientBudget`), and its
 * non-cancelled appointments overlapping [from, to) (any therapist) for the rule that a file holds
 * no two overlapping appointments.
 */
export async function loadClientFile(
  tx: Tx,
  practiceId: number,
  clientId: number,
  window: { from: number; to: number },
  options: { lock?: boolean } = {},
): Promise<ClientFile | undefined> {
  const budget = await loadClientBudget(tx, practiceId, clientId, options);
  if (!budget) return undefined;
  const appointments = await tx.all<ClientFile['appointments'][number]>(
    `SELECT id, starts_at AS "start", ends_at AS "end" FROM appointments
      WHERE client_id = ? AND starts_at < ? AND starts_at >= ? AND ends_at > ? AND status <> 'cancelled'`,
    [clientId, window.to, window.from - LONGEST_BLOCK_MS, window.from],
  );
  return { ...budget, appointments };
}

/** An appointment with its lines and packages, for an edit or a cancellation. */
export async function loadAppointment(
  tx: Tx,
  practiceId: number,
  id: number,
): Promise<ExistingAppointment | undefined> {
  const a = await tx.get<AnyRow>(
    `SELECT id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at, buffer_after_minutes, status, source, sequence
       FROM appointments WHERE practice_id = ? AND id = ?`,
    [practiceId, id],
  );
  if (!a) return undefined;
  const lines = await tx.all<ExistingAppointment['lines'][number]>(
    `SELECT service_id AS "serviceId", code, quantity, unit_price_cents AS "unitPriceCents"
       FROM appointment_lines WHERE appointment_id = ? ORDER BY id`,
    [id],
  );
  const packages = await tx.all<AnyRow>(
    'SELECT package_id FROM appointment_packages WHERE appointment_id = ? ORDER BY package_id',
    [id],
  );
  return {
    id: a.id,
    clientId: a.client_id,
    therapistId: a.therapist_id,
    roomId: a.room_id,
    chainId: a.chain_id,
    start: a.starts_at,
    end: a.ends_at,
    bufferAfterMinutes: a.buffer_after_minutes,
    status: a.status,
    source: a.source,
    sequence: a.sequence,
    lines,
    packageIds: packages.map((r) => r.package_id as number),
  };
}

/** The check that refuses a budget decided on a version of the file that has moved on (schema). */
export const BUDGET_CURRENT = 'clients_budget_current';

/**
 * The check a booking trips when the hold it takes the place of is no longer one (booked by
 * another request with the same hold meanwhile): `applyPlan` with `fromHold` (a hold's row turned
 * into a booking keeps no expiry; one already booked would get -1, which this check refuses).
 */
export const HOLD_CURRENT = 'appointments_hold';

/**
 * Locks a client file's row until the end of the transaction (PostgreSQL; SQLite's writer holds the
 * whole file): every decision about the file's budgets waits for the one before, in any instance.
 * The lock is taken by moving the file's budget version on, so a booking decided without the lock
 * on the version before (`applyPlan` with `budgetVersion`) is refused and decided again.
 */
export async function lockClient(tx: Tx, practiceId: number, clientId: number): Promise<void> {
  await tx.run('UPDATE clients SET budget_version = budget_version + 1 WHERE practice_id = ? AND id = ?', [
    practiceId,
    clientId,
  ]);
}

/** The client file's id for an e-mail (case-insensitive), or undefined. */
export async function clientIdByEmail(
  tx: Tx,
  practiceId: number,
  email: string,
): Promise<number | undefined> {
  const row = await tx.get<{ id: number }>(
    'SELECT id FROM clients WHERE practice_id = ? AND lower(email) = lower(?)',
    [practiceId, email],
  );
  return row?.id;
}

/** A client file's names, e-mail, birth date and access-code version. */
export interface Contact {
  id: number;
  firstName: string;
  lastName: string;
  email: string | null;
  birthDate: string | null;
  accessCodeVersion: number;
  /** Moves on with every decision about the file's budgets (`lockClient`, `applyPlan`). */
  budgetVersion: number;
}

export function clientContact(tx: Tx, practiceId: number, clientId: number) {
  return tx.get<Contact>(
    `SELECT id, first_name AS "firstName", last_name AS "lastName", email, birth_date AS "birthDate",
            access_code_version AS "accessCodeVersion", budget_version AS "budgetVersion"
       FROM clients WHERE practice_id = ? AND id = ?`,
    [practiceId, clientId],
  );
}

export interface ReservedIds {
  clients: number[];
  packages: number[];
  appointments: number[];
}

/**
 * Ids for the rows a plan creates, reserved before anything is written, so that every row of the
 * plan (and what the caller writes with it, such as the confirmation e-mail that carries the
 * appointment's cancel link) can go to the database in one batch. PostgreSQL: from the tables'
 * identity sequences (one round trip for all). SQLite: after the largest id its AUTOINCREMENT ever
 * gave (`sqlite_sequence`), safe because the writer holds the file.
 */
export async function reserveIds(
  tx: Tx,
  counts: { clients: number; packages: number; appointments: number },
): Promise<ReservedIds> {
  const tables = ['clients', 'packages', 'appointments'] as const;
  if (tables.every((t) => counts[t] === 0)) return { clients: [], packages: [], appointments: [] };
  if (tx.dialect === 'postgres') {
    const row = await tx.get<Record<(typeof tables)[number], string[]>>(
      `SELECT ${tables
        .map(
          (t) =>
            `ARRAY(SELECT nextval(pg_get_serial_sequence('${t}', 'id')) FROM generate_series(1, ?)) AS ${t}`,
        )
        .join(', ')}`,
      tables.map((t) => counts[t]),
    );
    return {
      clients: row!.clients.map(Number),
      packages: row!.packages.map(Number),
      appointments: row!.appointments.map(Number),
    };
  }
  const next = async (table: string, n: number) => {
    if (n === 0) return [];
    const seq = await tx.get<{ seq: number }>(
      'SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0) AS seq',
      [table],
    );
    return Array.from({ length: n }, (_, i) => seq!.seq + 1 + i);
  };
  return {
    clients: await next('clients', counts.clients),
    packages: await next('packages', counts.packages),
    appointments: await next('appointments', counts.appointments),
  };
}

export function ledgerWrite(e: {
  practiceId: number;
  packageId: number;
  at: number;
  actor: string;
  action: LedgerAction;
  appointmentId: number | null;
  details: Record<string, unknown>;
}): Write {
  return {
    sql: 'INSERT INTO package_ledger (practice_id, package_id, at, actor, action, appointment_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
    params: [e.practiceId, e.packageId, e.at, e.actor, e.action, e.appointmentId, JSON.stringify(e.details)],
  };
}

/** What applying a plan wrote: the client file, the appointment, and the ids of the new packages. */
export interface Applied {
  clientId: number;
  appointmentId: number;
  /** The id a package ref of the plan got (an existing package's id stays as it is). */
  packageId: (refOrId: number) => number;
}

/** The columns a new appointment's row is written with, in the order `applyPlan` gives their values. */
const NEW_APPOINTMENT = [
  'client_id',
  'therapist_id',
  'room_id',
  'chain_id',
  'starts_at',
  'ends_at',
  'buffer_after_minutes',
  'blocked_until',
  'status',
  'source',
  'created_at',
];
const INSERT_APPOINTMENT = `INSERT INTO appointments (id, practice_id, ${NEW_APPOINTMENT.join(', ')})
  VALUES (${['id', 'practice_id', ...NEW_APPOINTMENT].map(() => '?').join(', ')})`;
/** The same written over a hold's row, with the guard that it still is a hold (see applyPlan). */
const APPOINTMENT_FROM_HOLD = `UPDATE appointments SET ${NEW_APPOINTMENT.map((c) => `${c} = ?`).join(', ')},
    cancelled_at = NULL, hold_owner = NULL, hold_expires_at = CASE WHEN status = 'held' THEN NULL ELSE -1 END
  WHERE practice_id = ? AND id = ?`;

/**
 * Writes a decided plan inside the caller's write transaction — the client file for a new client,
 * the packages created on booking, the appointment with its lines, the package assignments and
 * releases, withdrawals and the ledger — together with what `alongside` adds once the ids are
 * known (the confirmation e-mail, the idempotency record), all in one batch.
 *
 * `budgetVersion`: the plan was decided on this version of an existing file's budget without its
 * lock (an online booking on PostgreSQL). The batch moves the version on only from that one; if
 * another decision moved it meanwhile, the check `clients_budget_current` refuses the whole batch
 * (StoreConflict) and the caller decides again. A decision made under `lockClient` passes none.
 */
export async function applyPlan(
  tx: Tx,
  plan: AppointmentPlan,
  ctx: {
    practiceId: number;
    actor: string;
    now: number;
    accessCode: () => string;
    budgetVersion?: number;
    fromHold?: number;
  },
  alongside: (applied: Applied) => Write[] = () => [],
  reserved?: ReservedIds,
): Promise<Applied> {
  const { practiceId, now } = ctx;
  tx.touch(practiceId);
  const creating = 'create' in plan.client;
  const needed = {
    clients: creating ? 1 : 0,
    packages: plan.packages.length,
    appointments: plan.action === 'create' && ctx.fromHold === undefined ? 1 : 0,
  };
  const ids =
    reserved &&
    reserved.clients.length >= needed.clients &&
    reserved.packages.length >= needed.packages &&
    reserved.appointments.length >= needed.appointments
      ? reserved
      : await reserveIds(tx, needed);
  const writes: Write[] = [];
  let clientId: number;
  if ('create' in plan.client) {
    const c = plan.client.create;
    clientId = ids.clients[0]!;
    writes.push({
      sql: `INSERT INTO clients (id, practice_id, first_name, last_name, email, phone, birth_date, access_code, consent_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      params: [
        clientId,
        practiceId,
        c.firstName,
        c.lastName,
        c.email,
        c.phone ?? null,
        c.birthDate,
        ctx.accessCode(),
        now,
        now,
      ],
    });
  } else {
    clientId = plan.client.id;
    const setBirthDate = plan.client.setBirthDate ?? null;
    if (ctx.budgetVersion !== undefined) {
      // One write on the file's row (a batch changes each row once): -1 breaks the check.
      writes.push({
        sql: `UPDATE clients SET budget_version = CASE WHEN budget_version = ? THEN budget_version + 1 ELSE -1 END,
                     birth_date = coalesce(birth_date, ?)
               WHERE practice_id = ? AND id = ?`,
        params: [ctx.budgetVersion, setBirthDate, practiceId, clientId],
      });
    } else if (setBirthDate) {
      writes.push({
        sql: 'UPDATE clients SET birth_date = ? WHERE practice_id = ? AND id = ? AND birth_date IS NULL',
        params: [setBirthDate, practiceId, clientId],
      });
    }
  }
  const refs = new Map<number, number>();
  plan.packages.forEach((p, i) => {
    const id = ids.packages[i]!;
    refs.set(p.ref, id);
    writes.push({
      sql: `INSERT INTO packages (id, practice_id, client_id, template_id, name, max_appointments, max_amount_cents, code_limits,
              valid_from, valid_until, status, origin, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 'booking', ?)`,
      params: [
        id,
        practiceId,
        clientId,
        p.templateId,
        p.name,
        p.limits.maxAppointments ?? null,
        p.limits.maxAmountCents ?? null,
        JSON.stringify(p.limits.codeLimits),
        p.validFrom,
        p.validUntil,
        now,
      ],
    });
  });
  const packageId = (ref: number) => (ref < 0 ? refs.get(ref)! : ref);
  const a = plan.appointment;
  const appointmentId = plan.action === 'create' ? (ctx.fromHold ?? ids.appointments[0]!) : a.id;
  const blockedUntil = a.end + a.bufferAfterMinutes * 60_000;
  // A new appointment's row: inserted, or written over the hold it takes the place of.
  const values = [
    clientId,
    a.therapistId,
    a.roomId,
    a.chainId,
    a.start,
    a.end,
    a.bufferAfterMinutes,
    blockedUntil,
    a.status,
    a.source,
    now,
  ];
  if (plan.action === 'create' && ctx.fromHold !== undefined) {
    // The hold's row becomes the booking, in the same batch: no moment without either, and on
    // PostgreSQL no transaction around the reads. Should the row have become a booking meanwhile
    // (cancelled since, too: hence cancelled_at, whose own check would come first), its expiry
    // turns -1 and the check HOLD_CURRENT refuses the batch (StoreConflict); should it be gone, the
    // references of the lines and the idempotency record to it fail the same way.
    writes.push({
      sql: APPOINTMENT_FROM_HOLD,
      params: [...values, practiceId, appointmentId],
    });
  } else if (plan.action === 'create') {
    writes.push({
      sql: INSERT_APPOINTMENT,
      params: [appointmentId, practiceId, ...values],
    });
  } else if (plan.action === 'update' || plan.action === 'cancel') {
    writes.push({
      sql: `UPDATE appointments SET therapist_id = ?, room_id = ?, starts_at = ?, ends_at = ?, blocked_until = ?,
              status = ?, cancelled_at = ?, sequence = ? WHERE practice_id = ? AND id = ?`,
      params: [
        a.therapistId,
        a.roomId,
        a.start,
        a.end,
        blockedUntil,
        a.status,
        a.status === 'cancelled' ? now : null,
        a.sequence,
        practiceId,
        a.id,
      ],
    });
    if (plan.linesChanged) {
      writes.push({
        sql: 'DELETE FROM appointment_lines WHERE practice_id = ? AND appointment_id = ?',
        params: [practiceId, a.id],
      });
    }
  }
  if (plan.linesChanged && a.lines.length > 0) {
    writes.push({
      sql: `INSERT INTO appointment_lines (practice_id, appointment_id, service_id, code, quantity, unit_price_cents)
            VALUES ${a.lines.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      params: a.lines.flatMap((l) => [
        practiceId,
        appointmentId,
        l.serviceId,
        l.code,
        l.quantity,
        l.unitPriceCents,
      ]),
    });
  }
  if (plan.assign.length > 0) {
    writes.push({
      sql: `INSERT INTO appointment_packages (practice_id, appointment_id, package_id)
            VALUES ${plan.assign.map(() => '(?, ?, ?)').join(', ')}`,
      params: plan.assign.flatMap((ref) => [practiceId, appointmentId, packageId(ref)]),
    });
  }
  for (const id of plan.release) {
    writes.push({
      sql: 'DELETE FROM appointment_packages WHERE practice_id = ? AND appointment_id = ? AND package_id = ?',
      params: [practiceId, appointmentId, id],
    });
  }
  if (plan.withdraw.length > 0) {
    writes.push({
      sql: `UPDATE packages SET status = 'withdrawn', closed_reason = 'booking cancelled'
             WHERE practice_id = ? AND ${inList(tx, 'id')}`,
      params: [practiceId, list(tx, plan.withdraw)],
    });
  }
  if (plan.ledger.length > 0) {
    writes.push({
      sql: `INSERT INTO package_ledger (practice_id, package_id, at, actor, action, appointment_id, details)
            VALUES ${plan.ledger.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params: plan.ledger.flatMap((e) => [
        practiceId,
        packageId(e.packageId),
        now,
        ctx.actor,
        e.action,
        appointmentId,
        JSON.stringify(e.details),
      ]),
    });
  }
  const applied = { clientId, appointmentId, packageId };
  await tx.batch([...writes, ...alongside(applied)]);
  return applied;
}

/** An appointment with what the public views need (practice, client, names), or undefined. */
export async function bookingView(tx: Tx, practiceId: number, appointmentId: number) {
  const r = await tx.get<AnyRow>(
    `SELECT a.id, a.status, a.starts_at, a.ends_at, a.sequence, a.chain_id, a.therapist_id, a.client_id, a.source,
            c.first_name, c.last_name, c.email, t.name AS therapist_name, ch.name AS chain_name, r.name AS room_name
       FROM appointments a
       JOIN clients c ON c.id = a.client_id
       JOIN therapists t ON t.id = a.therapist_id
       LEFT JOIN chains ch ON ch.id = a.chain_id
       LEFT JOIN rooms r ON r.id = a.room_id
      WHERE a.practice_id = ? AND a.id = ?`,
    [practiceId, appointmentId],
  );
  if (!r) return undefined;
  return {
    id: r.id as number,
    status: r.status as ExistingAppointment['status'],
    start: r.starts_at as number,
    end: r.ends_at as number,
    sequence: r.sequence as number,
    chainId: r.chain_id as number | null,
    therapistId: r.therapist_id as number,
    source: r.source as ExistingAppointment['source'],
    client: {
      firstName: r.first_name as string,
      lastName: r.last_name as string,
      email: r.email as string | null,
    },
    therapistName: r.therapist_name as string,
    chainName: r.chain_name as string | null,
    roomName: r.room_name as string | null,
  };
}

export type BookingRow = NonNullable<Awaited<ReturnType<typeof bookingView>>>;

// --- holds -----------------------------------------------------------------------------------

/** A hold: a start kept for a few minutes (an `appointments` row with status `held`). */
export interface HoldRow {
  id: number;
  chainId: number | null;
  therapistId: number;
  roomId: number | null;
  start: number;
  end: number;
  blockedUntil: number;
  expiresAt: number;
  /** `client:<id>` or `email:<hash>` when made with a token; null when made anonymously. */
  owner: string | null;
}

/** The columns of a hold, for PostgreSQL's json_build_object. */
export const HOLD_JSON = `'id', id, 'chainId', chain_id, 'therapistId', therapist_id, 'roomId', room_id,
  'start', starts_at, 'end', ends_at, 'blockedUntil', blocked_until, 'expiresAt', hold_expires_at, 'owner', hold_owner`;

/** A hold as read (JSON from PostgreSQL, columns from SQLite). */
export function holdOf(r: AnyRow): HoldRow {
  return {
    id: Number(r.id),
    chainId: r.chainId === null ? null : Number(r.chainId),
    therapistId: Number(r.therapistId),
    roomId: r.roomId === null ? null : Number(r.roomId),
    start: Number(r.start),
    end: Number(r.end),
    blockedUntil: Number(r.blockedUntil),
    expiresAt: Number(r.expiresAt),
    owner: r.owner ?? null,
  };
}

/** The hold `id` of the practice, running or expired; undefined when there is none (any more). */
export async function holdById(tx: Tx, practiceId: number, id: number): Promise<HoldRow | undefined> {
  const r = await tx.get<AnyRow>(
    `SELECT id, chain_id AS "chainId", therapist_id AS "therapistId", room_id AS "roomId", starts_at AS "start",
            ends_at AS "end", blocked_until AS "blockedUntil", hold_expires_at AS "expiresAt", hold_owner AS "owner"
       FROM appointments WHERE practice_id = ? AND id = ? AND status = 'held'`,
    [practiceId, id],
  );
  return r ? holdOf(r) : undefined;
}

/** Writes a hold; returns its id. */
/**
 * Writes a hold with what goes `alongside` it (the rate-limit points it counts) in one batch, under
 * an id reserved first: one statement, so a point the database refuses takes the hold with it, with
 * or without a transaction around. Returns the hold's id.
 */
export async function insertHold(
  tx: Tx,
  h: Omit<HoldRow, 'id'> & { practiceId: number; bufferAfterMinutes: number; now: number },
  alongside: readonly Write[] = [],
): Promise<number> {
  tx.touch(h.practiceId);
  const id = (await reserveIds(tx, { clients: 0, packages: 0, appointments: 1 })).appointments[0]!;
  await tx.batch([
    {
      sql: `INSERT INTO appointments (id, practice_id, client_id, therapist_id, room_id, chain_id, starts_at, ends_at,
              buffer_after_minutes, blocked_until, status, source, hold_expires_at, hold_owner, created_at)
            VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, 'held', 'online', ?, ?, ?)`,
      params: [
        id,
        h.practiceId,
        h.therapistId,
        h.roomId,
        h.chainId,
        h.start,
        h.end,
        h.bufferAfterMinutes,
        h.blockedUntil,
        h.expiresAt,
        h.owner,
        h.now,
      ],
    },
    ...alongside,
  ]);
  return id;
}

/** Deletes a hold (a booking took its place, or its client let it go); 1 when it was there. */
export function deleteHold(tx: Tx, practiceId: number, id: number): Promise<number> {
  tx.touch(practiceId);
  return tx.run("DELETE FROM appointments WHERE practice_id = ? AND id = ? AND status = 'held'", [
    practiceId,
    id,
  ]);
}

/**
 * Deletes the practice's holds that ran out by `now` (all practices' without one): they block
 * nothing any more, and on PostgreSQL they would still stand in the exclusion constraints' way.
 */
export function purgeExpiredHolds(tx: Tx, now: number, practiceId?: number): Promise<number> {
  // Through the partial index of the holds (SQLite would rather take the practice's index of all
  // its appointments): it reads the holds that ran out, however many appointments there are.
  const holds = `SELECT id FROM appointments${indexedBy(tx, 'appointments_holds')}
                  WHERE status = 'held' AND hold_expires_at <= ?`;
  // The outer condition again: on PostgreSQL a row a booking turned from a run-out hold into an
  // appointment meanwhile (applyPlan's fromHold) is re-checked against it once the booking commits,
  // and kept — the subquery alone would still see the hold and delete the booking.
  const still = "status = 'held' AND hold_expires_at <= ?";
  return practiceId === undefined
    ? tx.run(`DELETE FROM appointments WHERE id IN (${holds}) AND ${still}`, [now, now])
    : tx.run(`DELETE FROM appointments WHERE id IN (${holds} AND practice_id = ?) AND ${still}`, [
        now,
        practiceId,
        now,
      ]);
}
