/**
 * A practice's configuration — its settings, chains (with lines, therapists and package rules),
 * therapists (weekly hours and exceptions) and rooms — kept in memory per connection and reloaded
 * when `practices.config_version` has moved. Triggers raise that number on every change to any of
 * those tables (migration 0002), whichever process or tool makes it, so one indexed read of one row
 * tells whether the copy here is current. Every slot search and booking asks for this; without the
 * copy each would run about ten queries to rebuild the same objects.
 *
 * Inside a booking's transaction the version is read through the transaction's connection, so the
 * booking decides on the configuration as it is at that moment, like everything else it reads.
 */
import type Database from 'better-sqlite3';
import {
  loadChains,
  loadPracticeTherapists,
  loadRooms,
  loadServices,
  practiceById,
  type Reader,
} from '../db/load.ts';
import { prepared } from '../db/statements.ts';
import type { PracticeConfig } from '../engine/config.ts';

export type { PracticeConfig };

/** Practices kept per connection; the least recently used beyond this are dropped. */
const MAX_PRACTICES = 500;

const copies = new WeakMap<Database.Database, Map<string, PracticeConfig>>();

/** The practice's configuration as it is now in the database, or undefined when there is no such practice. */
export function practiceConfig(db: Reader, slug: string): PracticeConfig | undefined {
  const head = prepared(db, 'SELECT id, config_version AS version FROM practices WHERE slug = ?').get(slug) as
    | { id: number; version: number }
    | undefined;
  let perDb = copies.get(db.$client);
  if (!perDb) {
    perDb = new Map();
    copies.set(db.$client, perDb);
  }
  if (!head) {
    perDb.delete(slug);
    return undefined;
  }
  const kept = perDb.get(slug);
  if (kept && kept.practice.id === head.id && kept.version === head.version) {
    // Most recently used last: delete and set again.
    perDb.delete(slug);
    perDb.set(slug, kept);
    return kept;
  }
  // One read transaction (a savepoint when inside the caller's): every part from the same state.
  const loaded = db.$client.transaction(() => loadConfig(db, head.id))();
  if (!loaded || loaded.practice.slug !== slug) return undefined;
  // Read inside a transaction that may still roll back: the version could be issued again later
  // for another state, so such a copy is used but not kept.
  if (db.$client.inTransaction) return loaded;
  perDb.delete(slug);
  perDb.set(slug, loaded);
  while (perDb.size > MAX_PRACTICES) perDb.delete(perDb.keys().next().value!);
  return loaded;
}

/**
 * The copy this connection keeps for `slug`, without reading the database: it may be out of date.
 * For a caller that decides nothing on it but reads the version again before deciding (a booking
 * does, inside its transaction).
 */
export function keptPracticeConfig(db: Reader, slug: string): PracticeConfig | undefined {
  return copies.get(db.$client)?.get(slug);
}

function loadConfig(db: Reader, practiceId: number): PracticeConfig | undefined {
  const practice = practiceById(db, practiceId);
  if (!practice) return undefined;
  const chains = loadChains(db, practiceId).map(deepFreeze);
  return {
    practice: deepFreeze(practice),
    version: practice.configVersion,
    chains: Object.freeze(chains),
    chainById: new Map(chains.map((c) => [c.id, c])),
    therapistById: new Map(loadPracticeTherapists(db, practiceId).map((t) => [t.id, deepFreeze(t)])),
    rooms: deepFreeze(loadRooms(db, practiceId)),
    serviceById: new Map(loadServices(db, practiceId).map((x) => [x.id, deepFreeze(x)])),
  };
}

/** Shared between requests, so nobody may change it: a write would throw (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (!(value instanceof Set) && !(value instanceof Map)) {
      for (const v of Object.values(value)) deepFreeze(v);
    }
  }
  return value;
}
