/**
 * A small cache of finished JSON answers for the read endpoints (chains, slots), keyed by the
 * request and by the database's state: any write — by this process (`total_changes()`) or by any
 * other process on the same file (`PRAGMA data_version`) — makes every earlier entry unreachable.
 * Entries also carry the minute of `now`, since notice and window move with the clock. So an answer
 * from the cache is exactly the answer the endpoint would compute; it is only cheaper.
 */
import type { Db } from '../db/index.ts';
import { prepared } from '../db/statements.ts';

export interface AnswerCache {
  /** The key of a request at the database's current state, or null when caching is off. */
  key(db: Db, request: string, now: number): string | null;
  get(key: string | null): string | undefined;
  set(key: string | null, body: string): void;
}

export function databaseVersion(db: Db): string {
  const row = prepared(
    db,
    'SELECT total_changes() AS changes, data_version AS version FROM pragma_data_version',
  ).get() as {
    changes: number;
    version: number;
  };
  return `${row.version}.${row.changes}`;
}

/** Answers larger than this are not kept: a few of them would crowd out many small ones. */
const MAX_ANSWER_BYTES = 256 * 1024;

export function answerCache(maxEntries: number, maxBytes = 32 * 1024 * 1024): AnswerCache {
  const entries = new Map<string, string>();
  let bytes = 0;
  return {
    // The exact first instant of a minute is not cached: notice and window compare with `now`
    // itself, so an answer made at hh:mm:00.000 can differ from one made a moment later.
    key: (db, request, now) =>
      maxEntries > 0 && now % 60_000 !== 0
        ? `${databaseVersion(db)}|${Math.floor(now / 60_000)}|${request}`
        : null,
    get(key) {
      if (key === null) return undefined;
      const body = entries.get(key);
      if (body !== undefined) {
        // Most recently used last, so the least recently used is evicted first.
        entries.delete(key);
        entries.set(key, body);
      }
      return body;
    },
    set(key, body) {
      if (key === null || body.length > MAX_ANSWER_BYTES || entries.has(key)) return;
      entries.set(key, body);
      bytes += body.length;
      // Oldest first; entries of an earlier database state are never asked for again and go first.
      while (entries.size > maxEntries || bytes > maxBytes) {
        const oldest = entries.keys().next().value!;
        bytes -= entries.get(oldest)!.length;
        entries.delete(oldest);
      }
    },
  };
}
