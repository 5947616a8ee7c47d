/** The demo practice: loaded into an empty database at start-up, and the fixture tests build on. */
import { readFileSync } from 'node:fs';
import { hashPassword } from '../auth/password.ts';
import { anyPractice } from '../db/queries/practice.ts';
import { setPasswordHashByEmail } from '../db/queries/staff.ts';
import type { Store } from '../db/store.ts';
import { type ImportResult, importPractice, PracticeDocumentError } from '../practice/import.ts';

/** The demo practice's address (its slug in demo-practice.json). */
export const DEMO_SLUG = 'demo';

export const demoDocumentPath = new URL('./demo-practice.json', import.meta.url);

export function demoDocument(): unknown {
  return JSON.parse(readFileSync(demoDocumentPath, 'utf8'));
}

/**
 * The demo practice's staff logins, shown on `/` (a demo is for trying): an admin, and a therapist
 * without admin rights.
 */
export const DEMO_LOGINS = [
  { email: 'admin@lindenhof.example', password: 'lindenhof-admin', role: 'admin' },
  { email: 'anna.berg@lindenhof.example', password: 'lindenhof-anna', role: 'staff' },
] as const;

/** Gives the demo's users their passwords. */
export async function setDemoPasswords(store: Store, practiceId: number): Promise<void> {
  const hashes = await Promise.all(DEMO_LOGINS.map((l) => hashPassword(l.password)));
  await store.write(async (tx) => {
    for (const [i, l] of DEMO_LOGINS.entries())
      await setPasswordHashByEmail(tx, practiceId, l.email, hashes[i]!);
  });
}

/** Loads the demo practice when the database has no practice yet; returns what it did. */
export async function loadDemoIfEmpty(store: Store, now: number): Promise<ImportResult | null> {
  if (await store.read(anyPractice)) return null;
  try {
    const loaded = await importPractice(store, demoDocument(), { now });
    await setDemoPasswords(store, loaded.practiceId);
    return loaded;
  } catch (err) {
    // Another process loaded it in the meantime: that is fine.
    if (err instanceof PracticeDocumentError && err.issues.some((i) => i.path === 'practice.slug'))
      return null;
    throw err;
  }
}
