/**
 * Changing an existing practice by its practice document: what the back office saves and what a
 * re-import (`npm run practice:import -- FILE --update`) applies. The document is checked by the
 * same schema as a first import; then, in one write transaction, the stored configuration is
 * compared with it entity by entity (by key, services by code) and only the differences are
 * written, together with one change-history record naming each of them. Nothing is written when
 * anything is wrong: every problem is named with its path.
 *
 * What exists is never broken: appointments keep their lines' prices when a service's price
 * changes, packages keep their limits when their template changes, a chain switched off keeps its
 * bookings. What appointments or packages still name is not removed: a therapist with past
 * appointments is archived (kept for them, offered nowhere), and a therapist with appointments to
 * come, or a room, service, template or chain that rows still name, is refused with the count.
 */
import { localDate } from '../../shared/time.ts';
import { purgeExpiredHolds } from '../db/queries/calendar.ts';
import {
  archiveTherapist,
  bumpConfigVersion,
  deleteEntity,
  idsByKey,
  insertConfigChange,
  lockPractice,
  saveChain,
  saveRoom,
  saveService,
  saveTemplate,
  saveTherapist,
  therapistIdsOf,
  updatePracticeSettings,
  usageOf,
  userIdsOf,
} from '../db/queries/configWrite.ts';
import { storedConfiguration } from '../db/queries/practiceExport.ts';
import { activeAdmins, deleteSessionsOf, insertUser, updateUser } from '../db/queries/staff.ts';
import type { Store, Tx } from '../db/store.ts';
import { type PracticeDocument, practiceDocumentSchema } from './document.ts';
import { documentOf } from './export.ts';
import {
  type DocumentIssue,
  PracticeDocumentError,
  parsePracticeDocument,
  planPractice,
  resolveDate,
  rowsOf,
} from './import.ts';
import type { IssueLang } from './messages.ts';

export type ConfigEntity =
  | 'practice'
  | 'user'
  | 'therapist'
  | 'room'
  | 'service'
  | 'template'
  | 'chain'
  | 'client';

/** One difference: an entity added, changed (with each field before and after), removed or archived. */
export interface ConfigChange {
  entity: ConfigEntity;
  key: string;
  action: 'added' | 'changed' | 'removed' | 'archived';
  fields?: Record<string, { before: unknown; after: unknown }>;
}

/** The configuration changed since the version the change was based on. */
export class ConfigVersionConflict extends Error {
  constructor(readonly current: number) {
    super(`the configuration has changed meanwhile (now version ${current})`);
    this.name = 'ConfigVersionConflict';
  }
}

export interface ApplyOptions {
  now: number;
  /** The staff user who saves; null for the command line. */
  userId: number | null;
  source: 'admin' | 'import';
  /** Refuse (ConfigVersionConflict) unless the configuration is still at this version. */
  expectedVersion?: number | undefined;
  /** The language of zod's own messages (default English); see messages.ts for the rest. */
  lang?: IssueLang | undefined;
  /** Check and compare only: report the changes, write nothing. */
  dryRun?: boolean | undefined;
}

export interface ApplyResult {
  changes: ConfigChange[];
  /** The configuration version after the change (before it, for a dry run or no change). */
  version: number;
  applied: boolean;
}

/** JSON with sorted keys: equal values give equal strings whatever order their keys came in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function fieldsDiff(before: object, after: object, skip: readonly string[] = []) {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const fields: Record<string, { before: unknown; after: unknown }> = {};
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (skip.includes(k) || canonical(b[k]) === canonical(a[k])) continue;
    fields[k] = { before: b[k] ?? null, after: a[k] ?? null };
  }
  return fields;
}

interface Keyed {
  added: string[];
  changed: Map<string, Record<string, { before: unknown; after: unknown }>>;
  removed: string[];
}

/** The entities of one list compared by key. */
function compare<T extends object>(
  before: readonly T[],
  after: readonly T[],
  keyOf: (t: T) => string,
  skip: readonly string[] = [],
): Keyed {
  const old = new Map(before.map((t) => [keyOf(t), t]));
  const now = new Map(after.map((t) => [keyOf(t), t]));
  const changed = new Map<string, Record<string, { before: unknown; after: unknown }>>();
  for (const [k, t] of now) {
    const o = old.get(k);
    if (!o) continue;
    const fields = fieldsDiff(o, t, skip);
    if (Object.keys(fields).length > 0) changed.set(k, fields);
  }
  return {
    added: [...now.keys()].filter((k) => !old.has(k)),
    changed,
    removed: [...old.keys()].filter((k) => !now.has(k)),
  };
}

/** The document with its relative exception dates (`today+3`) resolved, as stored. */
function resolved(doc: PracticeDocument, now: number): PracticeDocument {
  const today = localDate(now, doc.practice.timeZone);
  return {
    ...doc,
    therapists: doc.therapists.map((t) => ({
      ...t,
      exceptions: t.exceptions.map((e) => ({ ...e, date: resolveDate(e.date, today) })),
    })),
  };
}

/**
 * Applies a practice document to the practice `practiceId` (see the module comment). Throws
 * `PracticeDocumentError` naming every problem, or `ConfigVersionConflict`; then nothing is written.
 */
export async function applyPracticeDocument(
  store: Store,
  practiceId: number,
  input: unknown,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const doc = resolved(parsePracticeDocument(input, options.lang), options.now);
  if (doc.clients.length > 0) {
    throw new PracticeDocumentError([
      {
        path: 'clients',
        message:
          'client files are not configuration: a practice document that changes a practice has no clients',
      },
    ]);
  }
  const rows = rowsOf(doc, planPractice(doc, options.now));
  const dry = Symbol('dry run');
  let result: ApplyResult | undefined;
  try {
    result = await store.write(
      async (tx) => {
        const r = await applyInTx(tx, practiceId, doc, rows, options);
        if (options.dryRun) {
          result = r;
          throw dry;
        }
        return r;
      },
      // A conflict with a concurrent write (PostgreSQL) is decided anew on what is committed then.
      { retries: 2 },
    );
  } catch (err) {
    if (err !== dry) throw err;
  }
  return result!;
}

async function applyInTx(
  tx: Tx,
  practiceId: number,
  doc: PracticeDocument,
  rows: ReturnType<typeof rowsOf>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const { now } = options;
  const head = await lockPractice(tx, practiceId);
  if (!head) throw new PracticeDocumentError([{ path: 'practice', message: 'no such practice' }]);
  if (options.expectedVersion !== undefined && options.expectedVersion !== head.version) {
    throw new ConfigVersionConflict(head.version);
  }
  const issues: DocumentIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });
  if (doc.practice.slug !== head.slug) {
    issue('practice.slug', `this practice is "${head.slug}": a practice keeps its address`);
  }
  if (options.source === 'admin' && doc.practice.plan !== head.plan) {
    issue('practice.plan', `the plan is ${head.plan}; the operator of this server changes plans`);
  }
  // Holds that ran out name chains, rooms and therapists no longer: they go before anything is counted.
  await purgeExpiredHolds(tx, now, practiceId);
  const stored = (await storedConfiguration(tx, practiceId))!;
  const before = practiceDocumentSchema.parse(documentOf(stored));
  const changes: ConfigChange[] = [];
  const record = (entity: ConfigEntity, d: Keyed) => {
    for (const key of d.added) changes.push({ entity, key, action: 'added' });
    for (const [key, fields] of d.changed) changes.push({ entity, key, action: 'changed', fields });
  };

  // The practice and its online-booking settings.
  const practiceFields = fieldsDiff(
    { ...before.practice, booking: undefined, ...prefixed('booking.', before.practice.booking) },
    { ...doc.practice, booking: undefined, ...prefixed('booking.', doc.practice.booking) },
  );
  if (Object.keys(practiceFields).length > 0) {
    changes.push({ entity: 'practice', key: head.slug, action: 'changed', fields: practiceFields });
    await updatePracticeSettings(tx, practiceId, rows.practice);
  }

  // Users: added and changed ones; a user left out stays (deactivating is the Users page's).
  // By address, whatever its case; a user's address is theirs to change, not the document's.
  const users = compare(before.users, doc.users, (u) => u.email.toLowerCase(), ['email']);
  record('user', { ...users, removed: [] });
  const userIds = await userIdsOf(tx, practiceId);
  for (const u of doc.users) {
    const k = u.email.toLowerCase();
    if (users.added.includes(k)) {
      userIds.set(k, await insertUser(tx, { practiceId, email: u.email, name: u.name, role: u.role, now }));
    } else if (users.changed.has(k)) {
      const id = userIds.get(k)!;
      await updateUser(tx, practiceId, id, { name: u.name, role: u.role });
      if (users.changed.get(k)!.role) await deleteSessionsOf(tx, practiceId, id);
    }
  }
  if (users.changed.size > 0 && (await activeAdmins(tx, practiceId)) < 1) {
    issue('users', 'the practice needs at least one active admin');
  }
  if (users.added.length > 0 || users.changed.size > 0) await bumpConfigVersion(tx, practiceId);

  // Therapists: added (or restored from the archive), changed, and removed or archived.
  const therapists = compare(before.therapists, doc.therapists, (t) => t.key);
  record('therapist', { ...therapists, removed: [] });
  const therapistRows = await therapistIdsOf(tx, practiceId);
  for (const th of rows.therapists) {
    const fields = therapists.changed.get(th.key);
    if (!therapists.added.includes(th.key) && !fields) continue;
    const id = therapistRows.get(th.key)?.id ?? null;
    const children = fields ? { hours: 'hours' in fields, exceptions: 'exceptions' in fields } : undefined;
    const saved = await saveTherapist(tx, practiceId, id, th, userIds, children);
    therapistRows.set(th.key, { id: saved, active: true });
  }

  // Rooms, services and templates: added and changed now, removed after the chains let go of them.
  const rooms = compare(before.rooms, doc.rooms, (r) => r.key);
  const services = compare(before.services, doc.services, (s) => s.code);
  const templates = compare(before.packageTemplates, doc.packageTemplates, (t) => t.key);
  const chains = compare(before.chains, doc.chains, (c) => c.key);
  record('room', rooms);
  record('service', services);
  record('template', templates);
  record('chain', chains);
  const roomIds = await idsByKey(tx, practiceId, 'rooms');
  for (const r of rows.rooms) {
    if (rooms.added.includes(r.key) || rooms.changed.has(r.key))
      roomIds.set(r.key, await saveRoom(tx, practiceId, roomIds.get(r.key) ?? null, r));
  }
  const serviceIds = await idsByKey(tx, practiceId, 'services');
  for (const s of rows.services) {
    if (services.added.includes(s.code) || services.changed.has(s.code))
      serviceIds.set(s.code, await saveService(tx, practiceId, serviceIds.get(s.code) ?? null, s));
  }
  const templateIds = await idsByKey(tx, practiceId, 'package_templates');
  for (const tp of rows.templates) {
    if (templates.added.includes(tp.key) || templates.changed.has(tp.key))
      templateIds.set(tp.key, await saveTemplate(tx, practiceId, templateIds.get(tp.key) ?? null, tp));
  }

  // Chains: removed ones first (if nothing names them), then every chain whose place or content changed.
  const chainIds = await idsByKey(tx, practiceId, 'chains');
  const removeOrRefuse = async (
    entity: Exclude<ConfigEntity, 'practice' | 'user' | 'therapist' | 'client'>,
    table: 'rooms' | 'services' | 'package_templates' | 'chains',
    list: string,
    keys: string[],
    ids: Map<string, number>,
    what: string,
  ) => {
    for (const key of keys) {
      const id = ids.get(key)!;
      const use = await usageOf(tx, practiceId, entity, id, now);
      if (use.total > 0) {
        issue(list, `"${key}" cannot be removed: ${use.total} ${what} still name it${advice[entity]}`);
        continue;
      }
      await deleteEntity(tx, practiceId, table, id);
      ids.delete(key);
      changes.push({ entity, key, action: 'removed' });
    }
  };
  await removeOrRefuse('chain', 'chains', 'chains', chains.removed, chainIds, 'appointments');
  const refs = { services: serviceIds, therapists: mapIds(therapistRows), templates: templateIds };
  const oldOrder = new Map(before.chains.map((c, i) => [c.key, i]));
  for (const [order, c] of rows.chains.entries()) {
    const moved = oldOrder.get(c.key) !== order;
    if (!chains.added.includes(c.key) && !chains.changed.has(c.key) && !moved) continue;
    chainIds.set(c.key, await saveChain(tx, practiceId, chainIds.get(c.key) ?? null, c, order, refs));
  }
  const newKeys = doc.chains.map((c) => c.key).filter((k) => oldOrder.has(k));
  const oldKeys = before.chains.map((c) => c.key).filter((k) => newKeys.includes(k));
  if (canonical(newKeys) !== canonical(oldKeys)) {
    changes.push({
      entity: 'chain',
      key: '*',
      action: 'changed',
      fields: { order: { before: oldKeys, after: newKeys } },
    });
  }
  await removeOrRefuse(
    'template',
    'package_templates',
    'packageTemplates',
    templates.removed,
    templateIds,
    'packages or exclusions',
  );
  await removeOrRefuse('service', 'services', 'services', services.removed, serviceIds, 'appointment lines');
  await removeOrRefuse('room', 'rooms', 'rooms', rooms.removed, roomIds, 'appointments');

  // Therapists left out: deleted when nothing names them, archived when only past appointments do.
  for (const key of therapists.removed) {
    const { id } = therapistRows.get(key)!;
    const use = await usageOf(tx, practiceId, 'therapist', id, now);
    if (use.upcoming > 0) {
      issue(
        'therapists',
        `"${key}" cannot be removed: ${use.upcoming} appointments to come are theirs; move or cancel them first`,
      );
    } else if (use.total > 0) {
      await archiveTherapist(tx, practiceId, id);
      changes.push({ entity: 'therapist', key, action: 'archived' });
    } else {
      await deleteEntity(tx, practiceId, 'therapists', id);
      changes.push({ entity: 'therapist', key, action: 'removed' });
    }
  }

  if (issues.length > 0) throw new PracticeDocumentError(issues);
  if (changes.length > 0) {
    await insertConfigChange(tx, {
      practiceId,
      userId: options.userId,
      at: now,
      source: options.source,
      changes,
    });
  }
  if (options.dryRun || changes.length === 0) return { changes, version: head.version, applied: false };
  const after = await lockPractice(tx, practiceId);
  return { changes, version: after!.version, applied: true };
}

const advice: Record<string, string> = {
  chain: ' (switch it off for online booking instead: onlineBookable false)',
  template: '',
  service: '',
  room: '',
};

function prefixed(prefix: string, o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}${k}`, v]));
}

function mapIds(m: Map<string, { id: number }>): Map<string, number> {
  return new Map([...m].map(([k, v]) => [k, v.id]));
}
