/** The demo practice: loaded into an empty database at start-up, and the fixture tests build on. */
import { readFileSync } from 'node:fs';
import { anyPractice } from '../db/queries/practice.ts';
import type { Store } from '../db/store.ts';
import { type ImportResult, importPractice, PracticeDocumentError } from '../practice/import.ts';

/** The demo practice's address (its slug in demo-practice.json). */
export const DEMO_SLUG = 'demo';

export const demoDocumentPath = new URL('./demo-practice.json', import.meta.url);

export function demoDocument(): unknown {
  return JSON.parse(readFileSync(demoDocumentPath, 'utf8'));
}

/** Loads the demo practice when the database has no practice yet; returns what it did. */
export async function loadDemoIfEmpty(store: Store, now: number): Promise<ImportResult | null> {
  if (await store.read(anyPractice)) return null;
  try {
    return await importPractice(store, demoDocument(), { now });
  } catch (err) {
    // Another process loaded it in the meantime: that is fine.
    if (err instanceof PracticeDocumentError && err.issues.some((i) => i.path === 'practice.slug'))
      return null;
    throw err;
  }
}
