import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_TOKEN_TTL_MS,
  clientTokenMatches,
  directLinkMatches,
  directLinkToken,
  emailHash,
  signCancelToken,
  signClientToken,
  signEmailToken,
  verifyCancelToken,
  verifyClientToken,
  verifyDirectLink,
  verifyIdentityToken,
} from '../../server/auth/tokens.ts';
import { NOW } from '../helpers.ts';

const secret = 's'.repeat(32);

/** Signs a raw body as the server does (the format: HMAC-SHA256 over a domain prefix and the body). */
function resign(body: string): string {
  return `${body}.${createHmac('sha256', secret).update(`terminkette/token/v1\n${body}`).digest('base64url')}`;
}

/** A payload signed as the server signs tokens: genuine, whatever it says. */
function signed(payload: object): string {
  return resign(Buffer.from(JSON.stringify(payload)).toString('base64url'));
}

/** The token with its payload replaced (the MAC kept): what a forger can do without the secret. */
function withPayload(token: string, change: (p: Record<string, unknown>) => void): string {
  const [body, mac] = token.split('.') as [string, string];
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  change(payload);
  return `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
}

/** The readable payload of a token, as anyone holding it can read it. */
function bodyOf(token: string): string {
  return Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8');
}

describe('client tokens', () => {
  const client = { practiceId: 1, clientId: 7, codeVersion: 1, email: 'lena.vogel@example.org' };

  it("verifies a token it signed, with the file, its e-mail's hash and the expiry two hours on", () => {
    const { token, expiresAt } = signClientToken(secret, client, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(NOW + CLIENT_TOKEN_TTL_MS);
    expect(verifyClientToken(secret, token, 1, NOW)).toEqual({
      typ: 'client',
      practiceId: 1,
      clientId: 7,
      codeVersion: 1,
      emailHash: emailHash('lena.vogel@example.org'),
      exp: NOW + 2 * 3600_000,
    });
  });

  it('carries a hash of the e-mail, not the e-mail', () => {
    const { token } = signClientToken(secret, { ...client, email: 'Lena.Vogel@Example.org' }, NOW);
    expect(verifyClientToken(secret, token, 1, NOW)!.emailHash).toBe(emailHash('lena.vogel@example.org'));
    expect(bodyOf(token).toLowerCase()).not.toContain('lena');
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

  it('refuses a token whose payload was changed: another file, practice or e-mail, a later expiry', () => {
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
    expect(
      verifyClientToken(
        secret,
        withPayload(token, (p) => (p.emailHash = emailHash('mallory@example.org'))),
        1,
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

  it('refuses the other kinds of token, even when genuine: cancel, direct link and e-mail tokens', () => {
    const cancel = signCancelToken(secret, { practiceId: 1, appointmentId: 7 });
    const link = directLinkToken(secret, {
      practiceId: 1,
      clientId: 7,
      email: 'a@example.org',
      codeVersion: 1,
    });
    const email = signEmailToken(secret, { practiceId: 1, email: 'a@example.org' }, NOW).token;
    expect(verifyClientToken(secret, cancel, 1, NOW)).toBeNull();
    expect(verifyClientToken(secret, link, 1, NOW)).toBeNull();
    expect(verifyClientToken(secret, email, 1, NOW)).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'a+b/.c'],
    ['far too long', `${'a'.repeat(5000)}.b`],
  ])('refuses garbage: %s', (_what, token) => {
    expect(verifyClientToken(secret, token, 1, NOW)).toBeNull();
    expect(verifyIdentityToken(secret, token, 1, NOW)).toBeNull();
  });

  it('refuses a correctly signed payload that is not JSON, lacks a field or has an extra one', () => {
    const good = {
      typ: 'client',
      practiceId: 1,
      clientId: 7,
      codeVersion: 1,
      emailHash: emailHash('a@example.org'),
      exp: NOW + 1000,
    };
    expect(verifyClientToken(secret, signed(good), 1, NOW)).not.toBeNull();
    expect(
      verifyClientToken(secret, resign(Buffer.from('{not json').toString('base64url')), 1, NOW),
    ).toBeNull();
    const { exp: _, ...noExp } = good;
    expect(verifyClientToken(secret, signed(noExp), 1, NOW)).toBeNull();
    const { emailHash: __, ...noEmailHash } = good;
    expect(verifyClientToken(secret, signed(noEmailHash), 1, NOW)).toBeNull();
    expect(verifyClientToken(secret, signed({ ...good, admin: true }), 1, NOW)).toBeNull();
    expect(verifyClientToken(secret, signed({ ...good, clientId: '7' }), 1, NOW)).toBeNull();
  });
});

describe('a client token against its file (clientTokenMatches)', () => {
  const file = { email: 'lena.vogel@example.org', accessCodeVersion: 1 };
  const payload = verifyClientToken(
    secret,
    signClientToken(secret, { practiceId: 1, clientId: 7, codeVersion: 1, email: file.email }, NOW).token,
    1,
    NOW,
  )!;

  it('fits while the access-code version and the e-mail (in any case) are those it was issued for', () => {
    expect(clientTokenMatches(payload, file)).toBe(true);
    expect(clientTokenMatches(payload, { ...file, email: ' Lena.Vogel@EXAMPLE.org' })).toBe(true);
  });

  it('ends when the access code is regenerated', () => {
    expect(clientTokenMatches(payload, { ...file, accessCodeVersion: 2 })).toBe(false);
  });

  it("ends when the file's e-mail changes or is removed", () => {
    expect(clientTokenMatches(payload, { ...file, email: 'lena@example.net' })).toBe(false);
    expect(clientTokenMatches(payload, { ...file, email: null })).toBe(false);
  });

  it('fits a file without e-mail until the file gets one', () => {
    const { token } = signClientToken(
      secret,
      { practiceId: 1, clientId: 7, codeVersion: 1, email: null },
      NOW,
    );
    const noEmail = verifyClientToken(secret, token, 1, NOW)!;
    expect(clientTokenMatches(noEmail, { email: null, accessCodeVersion: 1 })).toBe(true);
    expect(clientTokenMatches(noEmail, { email: 'lena.vogel@example.org', accessCodeVersion: 1 })).toBe(
      false,
    );
  });
});

describe('e-mail tokens (a verified address without a client file)', () => {
  const verified = { practiceId: 1, email: ' New.Person@Example.org ' };

  it('verifies as an identity with the address trimmed and lower-cased, expiring two hours on', () => {
    const { token, expiresAt } = signEmailToken(secret, verified, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(NOW + CLIENT_TOKEN_TTL_MS);
    expect(verifyIdentityToken(secret, token, 1, NOW)).toEqual({
      typ: 'email',
      practiceId: 1,
      email: 'new.person@example.org',
      exp: NOW + CLIENT_TOKEN_TTL_MS,
    });
    expect(verifyIdentityToken(secret, token, 1, NOW + CLIENT_TOKEN_TTL_MS - 1)).not.toBeNull();
    expect(verifyIdentityToken(secret, token, 1, NOW + CLIENT_TOKEN_TTL_MS)).toBeNull();
  });

  it('is not a client token: it names no file', () => {
    const { token } = signEmailToken(secret, verified, NOW);
    expect(verifyClientToken(secret, token, 1, NOW)).toBeNull();
  });

  it('is refused for another practice, when tampered or signed with another secret', () => {
    const { token } = signEmailToken(secret, verified, NOW);
    expect(verifyIdentityToken(secret, token, 2, NOW)).toBeNull();
    expect(
      verifyIdentityToken(
        secret,
        withPayload(token, (p) => (p.email = 'lena.vogel@example.org')),
        1,
        NOW,
      ),
    ).toBeNull();
    expect(
      verifyIdentityToken(secret, signEmailToken('t'.repeat(32), verified, NOW).token, 1, NOW),
    ).toBeNull();
  });

  it('refuses a signed payload that lacks a field, has an extra one or an address too short', () => {
    const good = { typ: 'email', practiceId: 1, email: 'a@example.org', exp: NOW + 1000 };
    expect(verifyIdentityToken(secret, signed(good), 1, NOW)).not.toBeNull();
    const { exp: _, ...noExp } = good;
    expect(verifyIdentityToken(secret, signed(noExp), 1, NOW)).toBeNull();
    expect(verifyIdentityToken(secret, signed({ ...good, clientId: 7 }), 1, NOW)).toBeNull();
    expect(verifyIdentityToken(secret, signed({ ...good, email: 'a' }), 1, NOW)).toBeNull();
  });
});

describe('identity tokens (verifyIdentityToken)', () => {
  it('accepts both a client token and an e-mail token, told apart by their kind', () => {
    const client = signClientToken(
      secret,
      { practiceId: 1, clientId: 7, codeVersion: 1, email: 'lena.vogel@example.org' },
      NOW,
    ).token;
    const email = signEmailToken(secret, { practiceId: 1, email: 'new.person@example.org' }, NOW).token;
    expect(verifyIdentityToken(secret, client, 1, NOW)).toMatchObject({ typ: 'client', clientId: 7 });
    expect(verifyIdentityToken(secret, email, 1, NOW)).toMatchObject({
      typ: 'email',
      email: 'new.person@example.org',
    });
  });

  it('refuses cancel and direct-link tokens, even when genuine', () => {
    const cancel = signCancelToken(secret, { practiceId: 1, appointmentId: 7 });
    const link = directLinkToken(secret, {
      practiceId: 1,
      clientId: 7,
      email: 'a@example.org',
      codeVersion: 1,
    });
    expect(verifyIdentityToken(secret, cancel, 1, NOW)).toBeNull();
    expect(verifyIdentityToken(secret, link, 1, NOW)).toBeNull();
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
    expect(bodyOf(token)).not.toContain('lena');
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
      { practiceId: 1, clientId: 7, codeVersion: 3, email: 'lena.vogel@example.org' },
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
      { practiceId: 1, clientId: 42, codeVersion: 1, email: 'lena.vogel@example.org' },
      NOW,
    );
    expect(verifyCancelToken(secret, clientToken)).toBeNull();
    expect(verifyClientToken(secret, token, 1, NOW)).toBeNull();
  });
});
