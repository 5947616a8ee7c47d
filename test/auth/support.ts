/** The demo practice behind an app with a clock the test can move, and small request helpers. */
import { createApp } from '../../server/app.ts';
import type { Db } from '../../server/db/index.ts';
import { demoDb, NOW } from '../helpers.ts';

export const secret = 's'.repeat(32);
export const config = { publicUrl: 'http://localhost:3000', secret };
export const LENA = { email: 'lena.vogel@example.org', accessCode: 'LENA2345' };

export type TestApp = ReturnType<typeof createApp>;

export function authApp(start = NOW) {
  const { db, practiceId } = demoDb(start);
  const clock = { now: start };
  const app = createApp({ db, clock: () => clock.now, config });
  const lenaId = (
    db.$client.prepare('SELECT id FROM clients WHERE lower(email) = ?').get(LENA.email) as { id: number }
  ).id;
  return { app, db, practiceId, clock, lenaId };
}

export async function post(
  app: TestApp,
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; env?: unknown } = {},
) {
  const res = await app.request(
    `/api/v1/p/demo${path}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    },
    init.env,
  );
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    retryAfter: res.headers.get('retry-after'),
    text,
    body: text ? (JSON.parse(text) as any) : null,
  };
}

/** The mails in the outbox, oldest first. */
export function outboxMails(db: Db) {
  return db.$client
    .prepare('SELECT kind, to_address AS "to", subject, text_body AS text, status FROM outbox ORDER BY id')
    .all() as { kind: string; to: string; subject: string; text: string; status: string }[];
}

/** Waits until the work `/auth/code` does after answering (the code and its mail) is done. */
export function codeIssued(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Asks for a one-time code and reads it out of the e-mail (the database holds only its hash). */
export async function requestCode(app: TestApp, db: Db, email = LENA.email): Promise<string> {
  const before = outboxMails(db).length;
  const res = await post(app, '/auth/code', { email });
  if (res.status !== 202) throw new Error(`code request: ${res.status} ${res.text}`);
  await codeIssued();
  const mails = outboxMails(db);
  if (mails.length !== before + 1) throw new Error('no login-code mail was queued');
  const code = /\b(\d{6})\b/.exec(mails.at(-1)!.text)?.[1];
  if (!code) throw new Error('no 6-digit code in the mail');
  return code;
}

/** The env `@hono/node-server` passes, as far as `getConnInfo` reads it: a socket with an address. */
export function fromIp(address: string) {
  return { incoming: { socket: { remoteAddress: address, remotePort: 50000, remoteFamily: 'IPv4' } } };
}
