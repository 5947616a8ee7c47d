/**
 * A small cache of finished JSON answers for the read endpoints (chains, slots), keyed by the
 * request and by the store's change mark for the practice: any write that could change an answer —
 * in this process, another process on the same SQLite file, or another app instance on the same
 * PostgreSQL — makes every earlier entry unreachable (see `Store.changeMark`). Entries also carry
 * the minute of `now`, since notice and window move with the clock.
 */
import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSONParsed } from 'hono/utils/types';
import type { Store } from '../db/store.ts';

/**
 * A JSON text known to hold a `T`: made by `jsonText`, so its type is true by construction — and by
 * `slotsJson` for the one answer too large for it, tested to write the same text.
 */
export type JsonText<T> = string & { readonly __json: T };

export function jsonText<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>;
}

/**
 * Answers with JSON serialized once (and perhaps kept), typed as what it holds: the one place
 * where a text becomes a typed JSON response, for `hc<AppType>` on the other end.
 */
export function sendJson<T, U extends ContentfulStatusCode>(
  c: Context,
  text: JsonText<T>,
  status: U,
): Response & TypedResponse<JSONParsed<T>, U, 'json'> {
  return c.body(text, status, { 'content-type': 'application/json' }) as unknown as Response &
    TypedResponse<JSONParsed<T>, U, 'json'>;
}

export interface AnswerCache {
  /** The key of a request at the store's current state for the practice, or null when caching is off. */
  key(store: Store, practiceId: number, request: string, now: number): string | null;
  get<T>(key: string | null): JsonText<T> | undefined;
  set(key: string | null, body: JsonText<unknown>): void;
}

/** Answers larger than this are not kept: a few of them would crowd out many small ones. */
const MAX_ANSWER_BYTES = 256 * 1024;

export function answerCache(maxEntries: number, maxBytes = 32 * 1024 * 1024): AnswerCache {
  const entries = new Map<string, string>();
  let bytes = 0;
  return {
    // The exact first instant of a minute is not cached: notice and window compare with `now`
    // itself, so an answer made at hh:mm:00.000 can differ from one made a moment later.
    key(store, practiceId, request, now) {
      if (maxEntries <= 0 || now % 60_000 === 0) return null;
      const mark = store.changeMark(practiceId);
      return mark === null ? null : `${mark}|${practiceId}|${Math.floor(now / 60_000)}|${request}`;
    },
    get<T>(key: string | null) {
      if (key === null) return undefined;
      const body = entries.get(key);
      if (body !== undefined) {
        // Most recently used last, so the least recently used is evicted first.
        entries.delete(key);
        entries.set(key, body);
      }
      return body as JsonText<T> | undefined;
    },
    set(key, body) {
      if (key === null || body.length > MAX_ANSWER_BYTES || entries.has(key)) return;
      entries.set(key, body);
      bytes += body.length;
      // Oldest first; entries of an earlier state are never asked for again and go first.
      while (entries.size > maxEntries || bytes > maxBytes) {
        const oldest = entries.keys().next().value!;
        bytes -= entries.get(oldest)!.length;
        entries.delete(oldest);
      }
    },
  };
}
