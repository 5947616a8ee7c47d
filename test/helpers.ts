/** Shared fixtures: a fresh in-memory database per test, the demo practice loaded at a fixed instant. */
import { openDatabase } from '../server/db/index.ts';
import { demoDocument } from '../server/demo/load.ts';
import { importPractice } from '../server/practice/import.ts';

/** Friday 2026-11-27 10:00 in Berlin. */
export const NOW = Date.UTC(2026, 10, 27, 9, 0);

export function freshDb() {
  return openDatabase(':memory:');
}

/** A database holding the demo practice as loaded at `now`. */
export function demoDb(now = NOW) {
  const db = freshDb();
  const result = importPractice(db, demoDocument(), { now });
  return { db, practiceId: result.practiceId };
}

/** A deep copy of the demo document to modify in a test. */
export function demoDoc(): Record<string, any> {
  return structuredClone(demoDocument()) as Record<string, any>;
}
