/**
 * Who a request speaks for (`Authorization: Bearer <token>`): a client file (a client token), or a
 * verified e-mail address that has no file at the practice yet (an e-mail token, from /auth/verify).
 * Checked by signature, practice and expiry without the database, then against the file.
 */
import type { Context } from 'hono';
import { clientTokenMatches, type IdentityPayload, verifyIdentityToken } from '../auth/tokens.ts';
import { fileByEmail, tokenFile } from '../db/queries/auth.ts';
import { ApiError } from '../problem.ts';
import type { AppEnv } from './env.ts';

export const invalidToken = () =>
  new ApiError(401, 'invalid_token', 'The client token is invalid or expired. Please identify again.');

/**
 * The token a request carries, checked without the database: genuine, this practice, not
 * expired. No header: null (an anonymous visitor). A header that fails: 401 `invalid_token`.
 */
export function identityOfRequest(c: Context<AppEnv>, practiceId: number): IdentityPayload | null {
  const header = c.req.header('authorization');
  if (header === undefined) return null;
  const { clock, config } = c.get('deps');
  const match = /^Bearer +([A-Za-z0-9_.-]+)$/i.exec(header.trim());
  const payload = match ? verifyIdentityToken(config.secret, match[1]!, practiceId, clock()) : null;
  if (!payload) throw invalidToken();
  return payload;
}

/** What a request's token stands for, checked against the files: a file, a new address, or nobody. */
export type RequestClient =
  | { kind: 'file'; clientId: number }
  | { kind: 'new'; email: string }
  | { kind: 'anonymous' };

/**
 * The client a request speaks for. A client token: its file, while the file's access code and
 * e-mail are those it was issued for (else 401). An e-mail token: the file with that address if
 * one exists by now, else a new client with a verified address.
 * @example const who = await clientFromRequest(c, practice.id); // { kind: 'file', clientId: 7 }
 */
export async function clientFromRequest(c: Context<AppEnv>, practiceId: number): Promise<RequestClient> {
  const payload = identityOfRequest(c, practiceId);
  if (!payload) return { kind: 'anonymous' };
  const { store } = c.get('deps');
  if (payload.typ === 'email') {
    const file = await store.read((tx) => fileByEmail(tx, practiceId, payload.email));
    return file ? { kind: 'file', clientId: file.id } : { kind: 'new', email: payload.email };
  }
  const file = await store.read((tx) => tokenFile(tx, practiceId, payload.clientId));
  if (!file || !clientTokenMatches(payload, file)) throw invalidToken();
  return { kind: 'file', clientId: payload.clientId };
}

/** The client file a request speaks for, or null (anonymous, or a verified address without a file). */
export async function fileOfRequest(c: Context<AppEnv>, practiceId: number): Promise<number | null> {
  const who = await clientFromRequest(c, practiceId);
  return who.kind === 'file' ? who.clientId : null;
}
