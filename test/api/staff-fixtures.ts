/**
 * The demo practice as the back-office tests use it: Anna logged in, Lena's file with her
 * prescription (KG 6×), and a Folgetermin that leaves one KG unit of it.
 */
import { expect } from 'vitest';
import { DEMO_LOGINS, setDemoPasswords } from '../../server/demo/load.ts';
import { adminCall as call, demoApp, staffLogin as login } from '../helpers.ts';

export const ADMIN = DEMO_LOGINS[0];
export const ANNA = DEMO_LOGINS[1];
/** Tuesday after the demo's "now" (Friday 27 Nov 2026), in Anna's hours. */
export const TUESDAY_8 = '2026-12-01T08:00:00+01:00';

export async function setup() {
  const d = await demoApp();
  await setDemoPasswords(d.store, d.practiceId);
  const anna = await login(d.app, ANNA.email, ANNA.password);
  const lena = (await d.client('lena.vogel@example.org')).id;
  const annaId = await d.therapistId('Anna Berg');
  const kg = (await d.row("SELECT id FROM services WHERE code = 'KG'")).id;
  return { ...d, anna, lena, annaId, kg };
}

export async function folgetermin(d: Awaited<ReturnType<typeof setup>>) {
  const res = await call(d.app, d.anna, 'POST', '/appointments', {
    client: d.lena,
    therapist: d.annaId,
    chain: await d.chainId('physio-folgetermin'),
    start: TUESDAY_8,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.appointmentIds[0] as number;
}

export const kgBar = async (d: Awaited<ReturnType<typeof setup>>) =>
  (await call(d.app, d.anna, 'GET', `/clients/${d.lena}`)).body.packages
    .find((p: any) => p.template === 'rezept-kg6')
    .bars.find((b: any) => b.code === 'KG');
