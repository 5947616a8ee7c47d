/**
 * One-time login codes and access codes: how a returning client proves they own a file's e-mail.
 *
 * A one-time code is 6 digits, lives 15 minutes, works once and dies after 5 wrong tries; only its
 * HMAC (with the config secret, bound to practice and file) is stored. The file's access code works
 * the same way, case-insensitively. Every comparison is constant-time on fixed-length HMACs, so
 * neither the content nor the length of a code shows in the timing.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, gte, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { clients, loginCodes } from '../db/schema.ts';
import { enqueueMail } from '../mail/outbox.ts';

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

export interface FileForLogin {
  id: number;
  firstName: string;
  lastName: string;
  email: string | null;
  accessCode: string;
  accessCodeVersion: number;
}

/** The file of a practice with this e-mail (case-insensitive), as the login needs it. */
export function fileByEmail(db: Db, practiceId: number, email: string): FileForLogin | undefined {
  return db
    .select({
      id: clients.id,
      firstName: clients.firstName,
      lastName: clients.lastName,
      email: clients.email,
      accessCode: clients.accessCode,
      accessCodeVersion: clients.accessCodeVersion,
    })
    .from(clients)
    .where(
      and(eq(clients.practiceId, practiceId), sql`lower(${clients.email}) = ${email.trim().toLowerCase()}`),
    )
    .get();
}

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
export function issueLoginCode(
  db: Db,
  secret: string,
  practice: { id: number; name: string },
  file: FileForLogin & { email: string },
  now: number,
): string {
  const code = newLoginCode();
  const codeHash = loginCodeHash(secret, practice.id, file.id, code);
  const mail = loginCodeMail(practice.name, file, code);
  db.transaction(
    (tx) => {
      tx.delete(loginCodes)
        .where(
          and(
            eq(loginCodes.clientId, file.id),
            or(
              isNotNull(loginCodes.usedAt),
              lt(loginCodes.expiresAt, now),
              gte(loginCodes.attempts, LOGIN_CODE_MAX_ATTEMPTS),
            ),
          ),
        )
        .run();
      tx.insert(loginCodes)
        .values({
          practiceId: practice.id,
          clientId: file.id,
          codeHash,
          expiresAt: now + LOGIN_CODE_TTL_MS,
          createdAt: now,
        })
        .run();
      enqueueMail(db, { practiceId: practice.id, kind: 'login-code', to: file.email, ...mail }, now);
    },
    { behavior: 'immediate' },
  );
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
  db: Db,
  secret: string,
  practiceId: number,
  file: FileForLogin | null,
  input: string,
  now: number,
): 'login-code' | 'access-code' | null {
  const clientId = file?.id ?? 0;
  const typed = normalizeCode(input);
  const typedHash = loginCodeHash(secret, practiceId, clientId, typed);
  const isAccessCode = accessCodeMatches(secret, file?.accessCode ?? 'NO-FILE', typed) && file !== null;
  const live = and(
    eq(loginCodes.practiceId, practiceId),
    eq(loginCodes.clientId, clientId),
    isNull(loginCodes.usedAt),
    gt(loginCodes.expiresAt, now),
    lt(loginCodes.attempts, LOGIN_CODE_MAX_ATTEMPTS),
  );
  return db.transaction(
    (tx) => {
      const candidates = tx
        .select({ id: loginCodes.id, codeHash: loginCodes.codeHash })
        .from(loginCodes)
        .where(live)
        .all();
      const hit = candidates.find((row) => hexEqual(row.codeHash, typedHash));
      if (hit) {
        const spent = tx
          .update(loginCodes)
          .set({ usedAt: now })
          .where(and(eq(loginCodes.id, hit.id), isNull(loginCodes.usedAt)))
          .run();
        if (spent.changes === 1) return 'login-code';
      }
      if (isAccessCode) return 'access-code';
      tx.update(loginCodes)
        .set({ attempts: sql`${loginCodes.attempts} + 1` })
        .where(live)
        .run();
      return null;
    },
    { behavior: 'immediate' },
  );
}
