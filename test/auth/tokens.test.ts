import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_TOKEN_TTL_MS,
  directLinkMatches,
  directLinkToken,
  emailHash,
  signCancelToken,
  signClientToken,
  verifyCancelToken,
  verifyClientToken,
  verifyDirectLink,
} from '../../server/auth/tokens.ts';
import { NOW } from '../helpers.ts';

const secret = 's'.repeat(32);

/** Signs a raw body as the server does (the format: HMAC-SHA256 over a domain prefix and the body). */
function resign(body: string): string {
  return `${body}.${createHmac('sha256', secret).update(`terminkette/token/v1\n${body}`).digest('base64url')}`;
}

/** The token with its payload replaced (the MAC kept): what a forger can do without the secret. */
function withPayload(token: string, change: (p: Record<string, unknown>) => void): string {
  const [body, mac] = token.split('.') as [string, string];
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  change(payload);
  return `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
}

describe('client tokens', () => {
  const client = { practiceId: 1, clientId: 7, codeVersion: 1 };

  it('verifies a token it signed, with the file and the expiry two hours on', () => {
    const { token, expiresAt } = signClientToken(secret, client, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(NOW + CLIENT_TOKEN_TTL_MS);
    expect(verifyClientToken(secret, token, 1, NOW)).toEqual({
      typ: 'client',
      practiceId: 1,
      clientId: 7,
      codeVersion: 1,
      exp: NOW + 2 * 3600_000,
    });
  });

  it('expires after two hours', () => {
    const { token } = signClientToken(secret, client, NOW);
    expect(verifyClientToken(secret, token, 1, NOW + CLIENT_TOKEN_TTL_MS - 1)).not.toBeNull();
    expect(verifyClientToken(secret, token, 1, NOW + CLIENT_TOKEN_TTL_MS)).toBeNull();
  });

  it("refuses another practice's token", () => {
    const { token } = signClientToken(secret, client, NOW);
    expect(verifyClientToken(secret, token, 2, NOW)).toBeNull();
  });

  it('refuses a token whose payload was changed: another file, another practice, a later expiry', () => {
    const { token } = signClientToken(secret, client, NOW);
    expect(
      verifyClientToken(
        secret,
        withPayload(token, (p) => (p.clientId = 8)),
        1,
        NOW,
      ),
    ).toBeNull();
    expect(
      verifyClientToken(
        secret,
        withPayload(token, (p) => (p.practiceId = 2)),
        2,
        NOW,
      ),
    ).toBeNull();
    const later = withPayload(token, (p) => (p.exp = NOW + 10 * CLIENT_TOKEN_TTL_MS));
    expect(verifyClientToken(secret, later, 1, NOW + CLIENT_TOKEN_TTL_MS)).toBeNull();
  });

  it('refuses a token with any character of its MAC changed (also the last, whose low bits base64 drops)', () => {
    const { token } = signClientToken(secret, client, NOW);
    const dot = token.indexOf('.');
    for (let i = dot + 1; i < token.length; i++) {
      const ch = token[i] === 'A' ? 'B' : 'A';
      const forged = token.slice(0, i) + ch + token.slice(i + 1);
      expect(verifyClientToken(secret, forged, 1, NOW)).toBeNull();
    }
    // The last character carries 4 real bits and 2 that decoding ignores: a neighbour decodes to the
    // same bytes, and must still be refused.
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(verifyClientToken(secret, token.slice(0, -1) + sibling, 1, NOW)).toBeNull();
  });

  it('refuses a token signed with another secret', () => {
    const { token } = signClientToken('t'.repeat(32), client, NOW);
    expect(verifyClientToken(secret, token, 1, NOW)).toBeNull();
  });

  it('refuses the other kinds of token, even when genuine', () => {
    const cancel = signCancelToken(secret, { practiceId: 1, appointmentId: 7 });
    const link = directLinkToken(secret, {
      practiceId: 1,
      clientId: 7,
      email: 'a@example.org',
      codeVersion: 1,
    });
    expect(verifyClientToken(secret, cancel, 1, NOW)).toBeNull();
    expect(verifyClientToken(secret, link, 1, NOW)).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'a+b/.c'],
    ['far too long', `${'a'.repeat(5000)}.b`],
  ])('refuses garbage: %s', (_what, token) => {
    expect(verifyClientToken(secret, token, 1, NOW)).toBeNull();
  });

  it('refuses a correctly signed payload that is not JSON, lacks a field or has an extra one', () => {
    const json = (p: object) => Buffer.from(JSON.stringify(p)).toString('base64url');
    const good = { typ: 'client', practiceId: 1, clientId: 7, codeVersion: 1, exp: NOW + 1000 };
    expect(verifyClientToken(secret, resign(json(good)), 1, NOW)).not.toBeNull();
    expect(
      verifyClientToken(secret, resign(Buffer.from('{not json').toString('base64url')), 1, NOW),
    ).toBeNull();
    const { exp: _, ...noExp } = good;
    expect(verifyClientToken(secret, resign(json(noExp)), 1, NOW)).toBeNull();
    expect(verifyClientToken(secret, resign(json({ ...good, admin: true })), 1, NOW)).toBeNull();
    expect(verifyClientToken(secret, resign(json({ ...good, clientId: '7' })), 1, NOW)).toBeNull();
  });
});

describe('direct-link tokens', () => {
  const file = { id: 7, practiceId: 1, email: 'Lena.Vogel@example.org', accessCodeVersion: 3 };
  const token = directLinkToken(secret, {
    practiceId: 1,
    clientId: 7,
    email: 'lena.vogel@example.org',
    codeVersion: 3,
  });

  it('carries a short hash of the lower-cased e-mail, not the e-mail', () => {
    const payload = verifyDirectLink(secret, token, 1);
    expect(payload).toEqual({
      typ: 'link',
      practiceId: 1,
      clientId: 7,
      emailHash: expect.any(String),
      codeVersion: 3,
    });
    expect(payload!.emailHash).toBe(emailHash('LENA.VOGEL@example.org'));
    expect(payload!.emailHash).toHaveLength(22);
    expect(Buffer.from(token.split('.')[0]!, 'base64url').toString()).not.toContain('lena');
  });

  it('matches its file while e-mail (in any case) and code version are unchanged', () => {
    const link = verifyDirectLink(secret, token, 1)!;
    expect(directLinkMatches(link, file)).toBe(true);
    expect(directLinkMatches(link, { ...file, email: 'lena.vogel@EXAMPLE.org' })).toBe(true);
  });

  it('stops matching when the e-mail changes, is removed, or the access code is regenerated', () => {
    const link = verifyDirectLink(secret, token, 1)!;
    expect(directLinkMatches(link, { ...file, email: 'lena@example.org' })).toBe(false);
    expect(directLinkMatches(link, { ...file, email: null })).toBe(false);
    expect(directLinkMatches(link, { ...file, accessCodeVersion: 4 })).toBe(false);
    expect(directLinkMatches(link, { ...file, id: 8 })).toBe(false);
  });

  it('is refused for another practice, when tampered, and as another kind', () => {
    expect(verifyDirectLink(secret, token, 2)).toBeNull();
    expect(
      verifyDirectLink(
        secret,
        withPayload(token, (p) => (p.codeVersion = 4)),
        1,
      ),
    ).toBeNull();
    const { token: clientToken } = signClientToken(
      secret,
      { practiceId: 1, clientId: 7, codeVersion: 3 },
      NOW,
    );
    expect(verifyDirectLink(secret, clientToken, 1)).toBeNull();
  });
});

describe('cancel tokens', () => {
  const token = signCancelToken(secret, { practiceId: 1, appointmentId: 42 });

  it('verifies for its appointment and practice, without expiry', () => {
    expect(verifyCancelToken(secret, token)).toEqual({ typ: 'cancel', practiceId: 1, appointmentId: 42 });
    expect(verifyCancelToken(secret, token, { appointmentId: 42, practiceId: 1 })).not.toBeNull();
  });

  it('is refused for another appointment or practice, when tampered or signed elsewhere', () => {
    expect(verifyCancelToken(secret, token, { appointmentId: 43 })).toBeNull();
    expect(verifyCancelToken(secret, token, { practiceId: 2 })).toBeNull();
    expect(
      verifyCancelToken(
        secret,
        withPayload(token, (p) => (p.appointmentId = 43)),
      ),
    ).toBeNull();
    expect(verifyCancelToken('t'.repeat(32), token)).toBeNull();
  });

  it('is not a client token, and a client token is not a cancel token', () => {
    const { token: clientToken } = signClientToken(
      secret,
      { practiceId: 1, clientId: 42, codeVersion: 1 },
      NOW,
    );
    expect(verifyCancelToken(secret, clientToken)).toBeNull();
    expect(verifyClientToken(secret, token, 1, NOW)).toBeNull();
  });
});
