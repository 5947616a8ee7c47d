/**
 * One-time codes and access codes: how a client proves they read an e-mail address (new clients
 * before their first booking, returning clients to sign in).
 *
 * A one-time code is 6 digits, lives 15 minutes, works once and dies after 5 wrong tries or when a
 * newer code is sent; only its HMAC (with the secret, bound to practice and address) is stored. It
 * goes to any address asked for, whether or not a client file has it: the answers are the same
 * either way, and only the mail itself (read by the address's owner) greets a known client by name.
 * A file's access code works instead of a one-time code, case-insensitively. Every comparison is
 * constant-time on fixed-length HMACs, so neither the content nor the length of a code shows in
 * the timing.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import {
  countWrongTry,
  type FileForLogin,
  liveEmailCodes,
  replaceEmailCode,
  spendEmailCode,
} from '../db/queries/auth.ts';
import { insertMail } from '../db/queries/outbox.ts';
import type { Store } from '../db/store.ts';
import { emailHash } from './email.ts';

export const LOGIN_CODE_TTL_MS = 15 * 60 * 1000;
/** Wrong tries after which a one-time code is dead. */
export const LOGIN_CODE_MAX_ATTEMPTS = 5;

/** A fresh one-time code: 6 digits, uniformly random, leading zeros kept. */
export function newLoginCode(): string {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

/** What is stored of a one-time code: an HMAC bound to practice and address, hex. */
export function loginCodeHash(secret: string, practiceId: number, addressHash: string, code: string): string {
  return createHmac('sha256', secret)
    .update(`terminkette/email-code/v1\n${practiceId}\n${addressHash}\n${code}`)
    .digest('hex');
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** A fresh access code for a client file: 8 characters without look-alikes (no 0/O, 1/I). */
export function newAccessCode(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}

/** What a client typed, as a code: spaces and dashes dropped ("123 456", "lena-2345"). */
export function normalizeCode(input: string): string {
  return input.replace(/[\s-]/g, '');
}

function accessCodeDigest(secret: string, code: string): Buffer {
  return createHmac('sha256', secret).update(`terminkette/access-code/v1\n${code.toUpperCase()}`).digest();
}

/** Whether `input` is the access code `actual`: case-insensitive, constant-time, length hidden. */
export function accessCodeMatches(secret: string, actual: string, input: string): boolean {
  return timingSafeEqual(accessCodeDigest(secret, actual), accessCodeDigest(secret, normalizeCode(input)));
}

function hexEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type { FileForLogin };

/**
 * The code e-mail, German first, English below: a sign-in code for a client file's address (which
 * greets the client by name), a confirmation code for an address the practice does not know.
 */
export function loginCodeMail(
  practiceName: string,
  file: { firstName: string; lastName: string } | null,
  code: string,
) {
  const minutes = LOGIN_CODE_TTL_MS / 60_000;
  if (!file) {
    return {
      subject: `Ihr Bestätigungscode – ${practiceName} / Your confirmation code`,
      text: [
        'Guten Tag,',
        '',
        `Ihr Code zur Bestätigung Ihrer E-Mail-Adresse für die Online-Terminbuchung bei ${practiceName} lautet:`,
        '',
        `    ${code}`,
        '',
        `Der Code gilt ${minutes} Minuten und nur einmal. Wenn Sie keinen Code angefordert haben, können Sie diese E-Mail ignorieren.`,
        '',
        '—',
        `Your code to confirm your e-mail address for online booking at ${practiceName} is ${code}. It is valid for ${minutes} minutes and works once. If you did not ask for it, please ignore this e-mail.`,
        '',
      ].join('\n'),
    };
  }
  return {
    subject: `Ihr Anmeldecode – ${practiceName} / Your sign-in code`,
    text: [
      `Guten Tag ${file.firstName} ${file.lastName},`,
      '',
      `Ihr Anmeldecode für die Online-Terminbuchung bei ${practiceName} lautet:`,
      '',
      `    ${code}`,
      '',
      `Der Code gilt ${minutes} Minuten und nur einmal. Wenn Sie keinen Code angefordert haben, können Sie diese E-Mail ignorieren.`,
      '',
      '—',
      `Your sign-in code for online booking at ${practiceName} is ${code}. It is valid for ${minutes} minutes and works once. If you did not ask for it, please ignore this e-mail.`,
      '',
    ].join('\n'),
  };
}

/**
 * Creates a one-time code for an address, stores its hash (ending the address's older codes) and
 * queues the e-mail with the code, in one transaction. Returns the code.
 */
export async function issueLoginCode(
  store: Store,
  secret: string,
  practice: { id: number; name: string },
  email: string,
  file: FileForLogin | null,
  now: number,
): Promise<string> {
  const code = newLoginCode();
  const address = emailHash(email);
  const codeHash = loginCodeHash(secret, practice.id, address, code);
  const mail = loginCodeMail(practice.name, file, code);
  await store.write(async (tx) => {
    await replaceEmailCode(tx, {
      practiceId: practice.id,
      emailHash: address,
      codeHash,
      expiresAt: now + LOGIN_CODE_TTL_MS,
      now,
    });
    await insertMail(tx, {
      practiceId: practice.id,
      kind: file ? 'login-code' : 'email-code',
      to: email.trim(),
      ...mail,
      attachments: [],
      now,
    });
  });
  return code;
}

/**
 * Checks what a client typed against the address's live one-time code and, when a file has the
 * address, its access code. A matching one-time code is spent (once, also against a racing request
 * in another process); a miss counts one wrong try on the live code. Returns how the client got
 * in, or null. The same hashing, comparing and statements run with a file and without, so the two
 * take about the same time as well as getting the same answer.
 */
export function checkCode(
  store: Store,
  secret: string,
  practiceId: number,
  email: string,
  file: FileForLogin | null,
  input: string,
  now: number,
): Promise<'login-code' | 'access-code' | null> {
  const address = emailHash(email);
  const typed = normalizeCode(input);
  const typedHash = loginCodeHash(secret, practiceId, address, typed);
  const isAccessCode = accessCodeMatches(secret, file?.accessCode ?? 'NO-FILE', typed) && file !== null;
  return store.write(async (tx) => {
    const candidates = await liveEmailCodes(tx, practiceId, address, now, LOGIN_CODE_MAX_ATTEMPTS);
    const hit = candidates.find((row) => hexEqual(row.codeHash, typedHash));
    if (hit && (await spendEmailCode(tx, hit.id, now)) === 1) return 'login-code';
    if (isAccessCode) return 'access-code';
    await countWrongTry(tx, practiceId, address, now, LOGIN_CODE_MAX_ATTEMPTS);
    return null;
  });
}
