/** The demo practice: loaded into an empty database at start-up, and the fixture tests build on. */
import { readFileSync } from 'node:fs';
import type { Db } from '../db/index.ts';
import { practices } from '../db/schema.ts';
import { type ImportResult, importPractice, PracticeDocumentError } from '../practice/import.ts';

export const demoDocumentPath = new URL('./demo-practice.json', import.meta.url);

export function demoDocument(): unknown {
  return JSON.parse(readFileSync(demoDocumentPath, 'utf8'));
}

/** Loads the demo practice when the database has no practice yet; returns what it did. */
export function loadDemoIfEmpty(db: Db, now: number): ImportResult | null {
  if (db.select({ id: practices.id }).from(practices).limit(1).get()) return null;
  try {
    return importPractice(db, demoDocument(), { now });
  } catch (err) {
    // Another process loaded it in the meantime: that is fine.
    if (err instanceof PracticeDocumentError && err.issues.some((i) => i.path === 'practice.slug'))
      return null;
    throw err;
  }
}
