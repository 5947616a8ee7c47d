/**
 * One-time login codes and access codes: how a returning client proves they own a file's e-mail.
 *
 * A one-time code is 6 digits, lives 15 minutes, works once and dies after 5 wrong tries; only its
 * HMAC (with the config secret, bound to practice and file) is stored. The file's access code works
 * the same way, case-insensitively. Every comparison is constant-time on fixed-length HMACs, so
 * neither the content nor the length of a code shows in the timing.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import {
  countWrongTry,
  type FileForLogin,
  insertLoginCode,
  liveLoginCodes,
  spendLoginCode,
} from '../db/queries/auth.ts';
import { insertMail } from '../db/queries/outbox.ts';
import type { Store } from '../db/store.ts';

export const LOGIN_CODE_TTL_MS = 15 * 60 * 1000;
/** Wrong tries after which a one-time code is dead. */
export const LOGIN_CODE_MAX_ATTEMPTS = 5;

/** A fresh one-time code: 6 digits, uniformly random, leading zeros kept. */
export function newLoginCode(): string {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

/** What is stored of a one-time code: an HMAC bound to practice and file, hex. */
export function loginCodeHash(secret: string, practiceId: number, clientId: number, code: string): string {
  return createHmac('sha256', secret)
    .update(`terminkette/login-code/v1\n${practiceId}\n${clientId}\n${code}`)
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

/** The login-code e-mail: German first, English below. */
export function loginCodeMail(
  practiceName: string,
  file: { firstName: string; lastName: string },
  code: string,
) {
  const minutes = LOGIN_CODE_TTL_MS / 60_000;
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
 * Creates a one-time code for a file, stores its hash and queues the e-mail with the code, in one
 * transaction. Spent and expired codes of the file are cleared on the way. Returns the code.
 */
export async function issueLoginCode(
  store: Store,
  secret: string,
  practice: { id: number; name: string },
  file: FileForLogin & { email: string },
  now: number,
): Promise<string> {
  const code = newLoginCode();
  const codeHash = loginCodeHash(secret, practice.id, file.id, code);
  const mail = loginCodeMail(practice.name, file, code);
  await store.write(async (tx) => {
    await insertLoginCode(tx, {
      practiceId: practice.id,
      clientId: file.id,
      codeHash,
      expiresAt: now + LOGIN_CODE_TTL_MS,
      maxAttempts: LOGIN_CODE_MAX_ATTEMPTS,
      now,
    });
    await insertMail(tx, {
      practiceId: practice.id,
      kind: 'login-code',
      to: file.email,
      ...mail,
      attachments: [],
      now,
    });
  });
  return code;
}

/**
 * Checks what a client typed against the file's live one-time codes and its access code. A matching
 * one-time code is spent (once, also against a racing request in another process); a miss counts
 * one wrong try on every live code of the file. Returns how the client got in, or null.
 *
 * Without a file (unknown e-mail) the same hashing, comparing and statements run, against a file id
 * that matches no row, so "unknown e-mail" and "wrong code" take about the same time as well as
 * getting the same answer.
 */
export function checkCode(
  store: Store,
  secret: string,
  practiceId: number,
  file: FileForLogin | null,
  input: string,
  now: number,
): Promise<'login-code' | 'access-code' | null> {
  const clientId = file?.id ?? 0;
  const typed = normalizeCode(input);
  const typedHash = loginCodeHash(secret, practiceId, clientId, typed);
  const isAccessCode = accessCodeMatches(secret, file?.accessCode ?? 'NO-FILE', typed) && file !== null;
  return store.write(async (tx) => {
    const candidates = await liveLoginCodes(tx, practiceId, clientId, now, LOGIN_CODE_MAX_ATTEMPTS);
    const hit = candidates.find((row) => hexEqual(row.codeHash, typedHash));
    if (hit && (await spendLoginCode(tx, hit.id, now)) === 1) return 'login-code';
    if (isAccessCode) return 'access-code';
    await countWrongTry(tx, practiceId, clientId, now, LOGIN_CODE_MAX_ATTEMPTS);
    return null;
  });
}
