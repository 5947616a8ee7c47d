/** The demo practice behind an app with a clock the test can move, and small request helpers. */
import { afterEach } from 'vitest';
import { createApp } from '../../server/app.ts';
import type { Store } from '../../server/db/store.ts';
import { demoStore, NOW, row, rows } from '../helpers.ts';

export const secret = 's'.repeat(32);
export const config = { publicUrl: 'http://localhost:3000', secret };
export const LENA = { email: 'lena.vogel@example.org', accessCode: 'LENA2345' };

export type TestApp = ReturnType<typeof createApp>;

/** Reads and writes of watched stores (the apps' own) that have not settled yet. */
let unsettled = 0;

/**
 * `store` as an app gets it, counting the reads and writes under way: `/auth/code` issues its code
 * after it has answered, and {@link codeIssued} waits for that work by this count.
 */
export function watched(store: Store): Store {
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    unsettled++;
    try {
      return await work();
    } finally {
      unsettled--;
    }
  };
  return {
    dialect: store.dialect,
    read: (fn, options) => track(() => store.read(fn, options)),
    write: (fn, options) => track(() => store.write(fn, options)),
    changeMark: (practiceId) => store.changeMark(practiceId),
    health: () => store.health(),
    storageTrouble: () => store.storageTrouble(),
    close: () => store.close(),
  };
}

export async function authApp(start = NOW) {
  const { store, practiceId } = await demoStore(start);
  const clock = { now: start };
  const app = createApp({ store: watched(store), clock: () => clock.now, config });
  const lenaId = (await row<{ id: number }>(
    store,
    'SELECT id FROM clients WHERE practice_id = ? AND lower(email) = ?',
    [practiceId, LENA.email],
  ))!.id;
  return { app, store, practiceId, clock, lenaId };
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
export function outboxMails(store: Store) {
  return rows<{ kind: string; to: string; subject: string; text: string; status: string }>(
    store,
    'SELECT kind, to_address AS "to", subject, text_body AS text, status FROM outbox ORDER BY id',
  );
}

/**
 * Waits until the work `/auth/code` does after answering (the code and its mail) is done: the task
 * it scheduled has started (it runs before a later turn of the event loop) and no read or write of
 * a watched store is under way any more.
 */
export async function codeIssued(): Promise<void> {
  do await new Promise((resolve) => setImmediate(resolve));
  while (unsettled > 0);
}

// Work a test left running must not land in the next test's database.
afterEach(codeIssued);

/** Asks for a one-time code and reads it out of the e-mail (the database holds only its hash). */
export async function requestCode(app: TestApp, store: Store, email = LENA.email): Promise<string> {
  const before = (await outboxMails(store)).length;
  const res = await post(app, '/auth/code', { email });
  if (res.status !== 202) throw new Error(`code request: ${res.status} ${res.text}`);
  await codeIssued();
  const mails = await outboxMails(store);
  if (mails.length !== before + 1) throw new Error('no login-code mail was queued');
  const code = /\b(\d{6})\b/.exec(mails.at(-1)!.text)?.[1];
  if (!code) throw new Error('no 6-digit code in the mail');
  return code;
}

/** The env `@hono/node-server` passes, as far as `getConnInfo` reads it: a socket with an address. */
export function fromIp(address: string) {
  return { incoming: { socket: { remoteAddress: address, remotePort: 50000, remoteFamily: 'IPv4' } } };
}
