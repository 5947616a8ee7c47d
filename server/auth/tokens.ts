/**
 * Signed tokens for clients (who have no passwords), personal direct links and cancel links.
 *
 * A token is `base64url(JSON payload).base64url(HMAC-SHA256(secret, payload))`: compact, URL-safe
 * and readable by anyone, but only this server (holding the config secret) can make one. The
 * payload's `typ` keeps the kinds apart (a cancel token is never a client token) and every kind is
 * scoped to one practice.
 *
 * The first part is pure (secret and `now` passed in); the last part, marked below, is the shell
 * that checks tokens against the client files in the database.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { setAccessCode, type TokenFile, tokenFile } from '../db/queries/auth.ts';
import type { Store } from '../db/store.ts';
import { newAccessCode } from './codes.ts';
import { emailHash } from './email.ts';

export { emailHash };

/** How long a client token from `/auth/verify` or `/auth/link` is good for: 2 hours. */
export const CLIENT_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;

/** Longer input is refused unread; every real token is far shorter. */
const MAX_TOKEN_LENGTH = 1024;

const id = z.number().int().positive();

const ClientTokenPayload = z.strictObject({
  typ: z.literal('client'),
  practiceId: id,
  clientId: id,
  codeVersion: z.number().int(),
  /** The file's e-mail when the token was issued ({@link emailHash}): a changed e-mail ends the token. */
  emailHash: z.string().max(64),
  /** Expiry, epoch milliseconds. */
  exp: z.number().int(),
});
export type ClientTokenPayload = z.infer<typeof ClientTokenPayload>;

/**
 * "This request comes from whoever reads this e-mail address": issued by /auth/verify for an
 * address that had no client file at the practice. The booking made with it creates the file (or
 * finds the one made meanwhile).
 */
const EmailTokenPayload = z.strictObject({
  typ: z.literal('email'),
  practiceId: id,
  email: z.string().min(3).max(254),
  exp: z.number().int(),
});
export type EmailTokenPayload = z.infer<typeof EmailTokenPayload>;

/** Who a request speaks for: a client file, or a verified e-mail address without one (yet). */
export type IdentityPayload = ClientTokenPayload | EmailTokenPayload;
const IdentityPayload = z.discriminatedUnion('typ', [ClientTokenPayload, EmailTokenPayload]);

const LinkTokenPayload = z.strictObject({
  typ: z.literal('link'),
  practiceId: id,
  clientId: id,
  emailHash: z.string(),
  codeVersion: z.number().int(),
});
export type LinkTokenPayload = z.infer<typeof LinkTokenPayload>;

const HoldTokenPayload = z.strictObject({
  typ: z.literal('hold'),
  practiceId: id,
  holdId: id,
  /**
   * The hold's therapist and room, so that the booking made with it reads only their busy times.
   * Optional: tokens issued before they were added stay good (the booking then reads them all).
   */
  therapistId: id.optional(),
  roomId: id.nullable().optional(),
  /** When the hold runs out, epoch milliseconds. */
  exp: z.number().int(),
});
export type HoldTokenPayload = z.infer<typeof HoldTokenPayload>;

const CancelTokenPayload = z.strictObject({
  typ: z.literal('cancel'),
  practiceId: id,
  appointmentId: id,
});
export type CancelTokenPayload = z.infer<typeof CancelTokenPayload>;

// ---------------------------------------------------------------------------------------------
// The signed envelope

/** The MAC of a token body, base64url. Domain-separated from the other HMACs made with the secret. */
function macOf(secret: string, body: string): string {
  return createHmac('sha256', secret).update(`terminkette/token/v1\n${body}`).digest('base64url');
}

function seal(secret: string, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${macOf(secret, body)}`;
}

/**
 * The payload of a token whose MAC is right, or null. The MAC is compared as text in constant time,
 * so a base64url variant that decodes to the same bytes is refused too.
 */
function open(secret: string, token: unknown): unknown {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 2) return null;
  const [body, mac] = parts as [string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return null;
  const expected = Buffer.from(macOf(secret, body), 'ascii');
  const given = Buffer.from(mac, 'ascii');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Client tokens: "this request comes from client file N", for two hours

/**
 * Signs a client token, valid for {@link CLIENT_TOKEN_TTL_MS} from `now`, bound to the file's
 * access-code version (regenerating the code ends every token of the file).
 * @example signClientToken(secret, { practiceId: 1, clientId: 7, codeVersion: 1, email: 'lena@example.org' }, now).token
 */
export function signClientToken(
  secret: string,
  client: { practiceId: number; clientId: number; codeVersion: number; email: string | null },
  now: number,
): { token: string; expiresAt: number } {
  const exp = now + CLIENT_TOKEN_TTL_MS;
  const payload: ClientTokenPayload = {
    typ: 'client',
    practiceId: client.practiceId,
    clientId: client.clientId,
    codeVersion: client.codeVersion,
    emailHash: client.email === null ? '' : emailHash(client.email),
    exp,
  };
  return { token: seal(secret, payload), expiresAt: exp };
}

/**
 * Signs an e-mail token for a verified address without a client file, valid as long as a client
 * token. The address is kept as typed, trimmed and lower-cased.
 */
export function signEmailToken(
  secret: string,
  verified: { practiceId: number; email: string },
  now: number,
): { token: string; expiresAt: number } {
  const exp = now + CLIENT_TOKEN_TTL_MS;
  const payload: EmailTokenPayload = {
    typ: 'email',
    practiceId: verified.practiceId,
    email: verified.email.trim().toLowerCase(),
    exp,
  };
  return { token: seal(secret, payload), expiresAt: exp };
}

/** A client or e-mail token that is genuine, of `practiceId` and not expired at `now`; else null. */
export function verifyIdentityToken(
  secret: string,
  token: string,
  practiceId: number,
  now: number,
): IdentityPayload | null {
  const parsed = IdentityPayload.safeParse(open(secret, token));
  if (!parsed.success) return null;
  const p = parsed.data;
  return p.practiceId === practiceId && now < p.exp ? p : null;
}

/** Whether a client token still fits its file: the same access-code version and e-mail. */
export function clientTokenMatches(
  token: ClientTokenPayload,
  file: { email: string | null; accessCodeVersion: number },
): boolean {
  return (
    file.accessCodeVersion === token.codeVersion &&
    (file.email === null ? '' : emailHash(file.email)) === token.emailHash
  );
}

/**
 * The payload of a client token that is genuine, of `practiceId` and not expired at `now`; else
 * null. Whether it still fits the file is for the caller ({@link clientTokenMatches}).
 */
export function verifyClientToken(
  secret: string,
  token: string,
  practiceId: number,
  now: number,
): ClientTokenPayload | null {
  const parsed = ClientTokenPayload.safeParse(open(secret, token));
  if (!parsed.success) return null;
  const p = parsed.data;
  return p.practiceId === practiceId && now < p.exp ? p : null;
}

// ---------------------------------------------------------------------------------------------
// Personal direct links: no expiry, bound to the file's e-mail and access-code version

/**
 * The token of a client's personal direct link. It never expires, but stops working as soon as the
 * file's e-mail changes or its access code is regenerated (see {@link directLinkMatches}).
 */
export function directLinkToken(
  secret: string,
  client: { practiceId: number; clientId: number; email: string; codeVersion: number },
): string {
  const payload: LinkTokenPayload = {
    typ: 'link',
    practiceId: client.practiceId,
    clientId: client.clientId,
    emailHash: emailHash(client.email),
    codeVersion: client.codeVersion,
  };
  return seal(secret, payload);
}

/**
 * The payload of a genuine direct-link token of `practiceId`, or null. It is only good while
 * {@link directLinkMatches} the file as it is now; {@link clientFromDirectLink} checks both.
 */
export function verifyDirectLink(secret: string, token: string, practiceId: number): LinkTokenPayload | null {
  const parsed = LinkTokenPayload.safeParse(open(secret, token));
  if (!parsed.success) return null;
  return parsed.data.practiceId === practiceId ? parsed.data : null;
}

/** Whether a direct link still fits its file: same file, same e-mail, same access-code version. */
export function directLinkMatches(
  link: LinkTokenPayload,
  file: { id: number; practiceId: number; email: string | null; accessCodeVersion: number },
): boolean {
  if (file.email === null) return false;
  const a = Buffer.from(emailHash(file.email));
  const b = Buffer.from(link.emailHash);
  return (
    file.id === link.clientId &&
    file.practiceId === link.practiceId &&
    file.accessCodeVersion === link.codeVersion &&
    a.length === b.length &&
    timingSafeEqual(a, b)
  );
}

// ---------------------------------------------------------------------------------------------
// Hold tokens: "the start this visitor holds", for the booking that takes its place

/** The token of a hold, good until the hold runs out; only the visitor who made it has it. */
export function signHoldToken(
  secret: string,
  hold: { practiceId: number; holdId: number; therapistId: number; roomId: number | null; expiresAt: number },
): string {
  const payload: HoldTokenPayload = {
    typ: 'hold',
    practiceId: hold.practiceId,
    holdId: hold.holdId,
    therapistId: hold.therapistId,
    roomId: hold.roomId,
    exp: hold.expiresAt,
  };
  return seal(secret, payload);
}

/** The payload of a genuine hold token of `practiceId`, or null. Whether it has run out is the hold's own business. */
export function verifyHoldToken(secret: string, token: string, practiceId: number): HoldTokenPayload | null {
  const parsed = HoldTokenPayload.safeParse(open(secret, token));
  if (!parsed.success) return null;
  return parsed.data.practiceId === practiceId ? parsed.data : null;
}

// ---------------------------------------------------------------------------------------------
// Cancel tokens: for the cancel link and the .ics download of one appointment

/** The token of an appointment's cancel link (and .ics download). No expiry; the deadline rules. */
export function signCancelToken(
  secret: string,
  appointment: { practiceId: number; appointmentId: number },
): string {
  const payload: CancelTokenPayload = {
    typ: 'cancel',
    practiceId: appointment.practiceId,
    appointmentId: appointment.appointmentId,
  };
  return seal(secret, payload);
}

/**
 * The payload of a genuine cancel token, or null; with `expect`, only when it is for that
 * appointment (and practice).
 * @example verifyCancelToken(secret, c.req.query('token'), { appointmentId: Number(c.req.param('id')) })
 */
export function verifyCancelToken(
  secret: string,
  token: string,
  expect: { appointmentId?: number; practiceId?: number } = {},
): CancelTokenPayload | null {
  const parsed = CancelTokenPayload.safeParse(open(secret, token));
  if (!parsed.success) return null;
  const p = parsed.data;
  if (expect.appointmentId !== undefined && p.appointmentId !== expect.appointmentId) return null;
  if (expect.practiceId !== undefined && p.practiceId !== expect.practiceId) return null;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Shell: tokens against the client files in the database

/** The file a direct-link token opens, or null when the token is not genuine or no longer fits. */
export async function clientFromDirectLink(
  store: Store,
  secret: string,
  practiceId: number,
  token: string,
): Promise<TokenFile | null> {
  const link = verifyDirectLink(secret, token, practiceId);
  if (!link) return null;
  const file = await store.read((tx) => tokenFile(tx, practiceId, link.clientId));
  return file && directLinkMatches(link, file) ? file : null;
}

/** The current direct-link token of a file (for staff to hand out), or null without file or e-mail. */
export async function directLinkForClient(
  store: Store,
  secret: string,
  practiceId: number,
  clientId: number,
) {
  const file = await store.read((tx) => tokenFile(tx, practiceId, clientId));
  if (!file?.email) return null;
  return directLinkToken(secret, {
    practiceId,
    clientId,
    email: file.email,
    codeVersion: file.accessCodeVersion,
  });
}

/**
 * Gives a file a new access code and raises its version, which ends its direct link and every
 * client token issued before. Returns the new code, or null when the practice has no such file.
 */
export async function regenerateAccessCode(
  store: Store,
  practiceId: number,
  clientId: number,
): Promise<{ accessCode: string; accessCodeVersion: number } | null> {
  const row = await store.write(async (tx) => {
    tx.touch(practiceId);
    return setAccessCode(tx, practiceId, clientId, newAccessCode());
  });
  return row ?? null;
}
