/** An e-mail address as the server keys it, without keeping the address itself. */
import { createHash } from 'node:crypto';

/**
 * The hash of an e-mail address that tokens, links and stored codes carry: sha256 of the trimmed, lower-cased address,
 * first 16 bytes, base64url. Changing the e-mail changes it.
 * @example emailHash(' Lena.Vogel@example.org') === emailHash('lena.vogel@example.org')
 */
export function emailHash(email: string): string {
  return createHash('sha256')
    .update(email.trim().toLowerCase(), 'utf8')
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}
