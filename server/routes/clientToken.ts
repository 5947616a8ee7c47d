/**
 * The client token of a request (`Authorization: Bearer <client token>`): checked by its signature,
 * practice and expiry, then against the client file (its access code not regenerated since).
 */
import type { Context } from 'hono';
import { type ClientTokenPayload, verifyClientToken } from '../auth/tokens.ts';
import { tokenFile } from '../db/queries/auth.ts';
import { ApiError } from '../problem.ts';
import type { AppEnv } from './env.ts';

const invalidToken = () =>
  new ApiError(401, 'invalid_token', 'The client token is invalid or expired. Please identify again.');

/**
 * The client token a request carries (`Authorization: Bearer <client token>`), checked without the
 * database: genuine, this practice, not expired. No header: null (an anonymous visitor). A header
 * that fails: 401 `invalid_token`. {@link clientFromRequest} then checks the file.
 */
export function clientTokenOfRequest(c: Context<AppEnv>, practiceId: number): ClientTokenPayload | null {
  const header = c.req.header('authorization');
  if (header === undefined) return null;
  const { clock, config } = c.get('deps');
  const match = /^Bearer +([A-Za-z0-9_.-]+)$/i.exec(header.trim());
  const payload = match ? verifyClientToken(config.secret, match[1]!, practiceId, clock()) : null;
  if (!payload) throw invalidToken();
  return payload;
}

/**
 * The client file a request speaks for: reads `Authorization: Bearer <client token>`, checks it
 * (genuine, this practice, not expired, the file exists and its access code was not regenerated
 * since). No header: null (an anonymous visitor). A header that fails any check: 401 `invalid_token`.
 * @example const clientId = await clientFromRequest(c, practice.id); // number | null
 */
export async function clientFromRequest(c: Context<AppEnv>, practiceId: number): Promise<number | null> {
  const payload = clientTokenOfRequest(c, practiceId);
  if (!payload) return null;
  const file = await c.get('deps').store.read((tx) => tokenFile(tx, practiceId, payload.clientId));
  if (!file || file.accessCodeVersion !== payload.codeVersion) throw invalidToken();
  return payload.clientId;
}
