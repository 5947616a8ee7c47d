/**
 * A practice's configuration — its settings, chains (with lines, therapists and package rules),
 * therapists (weekly hours and exceptions), rooms and services — kept in memory per store and
 * loaded again when `practices.config_version` has moved. Triggers raise that number on every change
 * to any of those tables (in the migrations of both databases), whichever process, instance or tool
 * makes it, so one indexed read of one row tells whether the copy here is current. Every slot search
 * and booking asks for this; without the copy each would run about ten queries to rebuild it.
 *
 * Inside a booking's transaction the version is read through the transaction, so the booking
 * decides on the configuration as it is at that moment, like everything else it reads.
 */
import { loadConfig, practiceHead } from '../db/queries/config.ts';
import type { Store, Tx } from '../db/store.ts';
import type { PracticeConfig } from '../engine/config.ts';

export type { PracticeConfig };

/** Practices kept per store; the least recently used beyond this are dropped. */
const MAX_PRACTICES = 500;

const copies = new WeakMap<Store, Map<string, PracticeConfig>>();

function kept(store: Store): Map<string, PracticeConfig> {
  let perStore = copies.get(store);
  if (!perStore) {
    perStore = new Map();
    copies.set(store, perStore);
  }
  return perStore;
}

function keep(store: Store, slug: string, config: PracticeConfig): void {
  const perStore = kept(store);
  perStore.delete(slug);
  perStore.set(slug, config);
  while (perStore.size > MAX_PRACTICES) perStore.delete(perStore.keys().next().value!);
}

/** The copy kept for `slug` when it is of this practice and version; most recently used last. */
function current(
  store: Store,
  slug: string,
  head: { id: number; version: number },
): PracticeConfig | undefined {
  const copy = kept(store).get(slug);
  if (copy?.practice.id !== head.id || copy.version !== head.version) return undefined;
  keep(store, slug, copy);
  return copy;
}

/** The practice's configuration as it is now in the database, or undefined when there is no such practice. */
export async function practiceConfig(store: Store, slug: string): Promise<PracticeConfig | undefined> {
  const head = await store.read((tx) => practiceHead(tx, slug));
  if (!head) {
    kept(store).delete(slug);
    return undefined;
  }
  const copy = current(store, slug, head);
  if (copy) return copy;
  // One read transaction: every part from the same state, and the version with it.
  const loaded = await store.read((tx) => loadConfig(tx, head.id), { snapshot: true });
  if (loaded?.practice.slug !== slug) return undefined;
  keep(store, slug, deepFreeze(loaded));
  return loaded;
}

/**
 * The same inside a transaction, on what the transaction sees. A copy loaded here is used but not
 * kept: the transaction may still roll back, and a version number could then be issued again.
 */
export async function practiceConfigIn(
  store: Store,
  tx: Tx,
  slug: string,
): Promise<PracticeConfig | undefined> {
  const head = await practiceHead(tx, slug);
  if (!head) return undefined;
  const copy = current(store, slug, head);
  if (copy) return copy;
  const loaded = await loadConfig(tx, head.id);
  return loaded?.practice.slug === slug ? loaded : undefined;
}

/**
 * The copy kept for `slug`, without reading the database: it may be out of date. For a caller that
 * decides nothing on it but reads the version again before deciding (a booking does, inside its
 * transaction).
 */
export function keptPracticeConfig(store: Store, slug: string): PracticeConfig | undefined {
  return copies.get(store)?.get(slug);
}

/** Shared between requests, so nobody may change it: a write would throw (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) for (const v of value.values()) deepFreeze(v);
    else if (value instanceof Set) for (const v of value.values()) deepFreeze(v);
    else for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
