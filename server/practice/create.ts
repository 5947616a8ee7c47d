/**
 * A new practice with its first admin: the practice document with nothing configured yet, imported
 * as any other, and a one-time link for the admin to set a password. Used by
 * `npm run practice:create`.
 */
import { newStaffLink } from '../auth/staff.ts';
import { userForLogin } from '../db/queries/staff.ts';
import type { Store } from '../db/store.ts';
import { importPractice } from './import.ts';

export interface NewPractice {
  slug: string;
  name: string;
  adminEmail: string;
  adminName?: string;
  plan?: 'S' | 'M' | 'L' | 'XL' | 'XXL';
  timeZone?: string;
}

/** Creates the practice and its admin (or names every problem and writes nothing); the link's token. */
export async function createPractice(
  store: Store,
  p: NewPractice,
  now: number,
): Promise<{ practiceId: number; token: string }> {
  const { practiceId } = await importPractice(
    store,
    {
      practice: { slug: p.slug, name: p.name, plan: p.plan ?? 'L', timeZone: p.timeZone ?? 'Europe/Berlin' },
      users: [{ email: p.adminEmail, name: p.adminName ?? p.adminEmail.split('@')[0], role: 'admin' }],
    },
    { now },
  );
  const token = await store.write(async (tx) => {
    const admin = (await userForLogin(tx, p.slug, p.adminEmail))!;
    return newStaffLink(tx, practiceId, admin.id, now);
  });
  return { practiceId, token };
}
