/**
 * The secret that signs client tokens, cancel links and one-time codes. `APP_SECRET` when set
 * (checked for strength at start, config.ts); otherwise one the server generated on its first
 * start and kept, so mailed links keep working across restarts with nothing to set up:
 *
 * - SQLite: in a file beside the database (`<DATABASE_PATH>.secret`, mode 0600), so a copy of the
 *   database file alone does not carry the key that signs its links;
 * - PostgreSQL: in the database (`app_secrets`), where every instance finds the one the first
 *   instance made.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type Config, StartupError, weakSecret } from '../config.ts';
import { keptSecret } from '../db/queries/secrets.ts';
import type { Store } from '../db/store.ts';

/** A new secret: 32 random bytes, base64url (43 characters, far more than 16 different ones). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The file beside a SQLite database that keeps its generated secret. */
export function secretFileOf(databasePath: string): string {
  return `${databasePath}.secret`;
}

/**
 * The secret to sign with: `APP_SECRET`, or the kept one (made now if there is none yet).
 * @example const secret = await appSecret(store, config, clock(), console.warn);
 */
export async function appSecret(
  store: Store,
  config: Pick<Config, 'secret' | 'databasePath'>,
  now: number,
  log: (message: string) => void,
): Promise<string> {
  if (config.secret) return config.secret;
  if (store.dialect === 'postgres') return store.write((tx) => keptSecret(tx, 'app', newSecret(), now));
  if (config.databasePath === ':memory:') {
    log(
      'APP_SECRET is not set and the database is in memory: links signed now stop working at the next start.',
    );
    return newSecret();
  }
  return fileSecret(secretFileOf(config.databasePath), log);
}

/** The secret in `file`, made there (mode 0600) if the file does not exist yet. */
function fileSecret(file: string, log: (message: string) => void): string {
  // Written whole under another name, then linked into place: the link fails when the file is
  // there already, and nobody ever reads a half-written one (two processes starting at once).
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(draft, `${newSecret()}\n`, { mode: 0o600 });
    linkSync(draft, file);
    log(`APP_SECRET is not set: generated one and kept it in ${file} (keep that file with the database).`);
  } catch (err) {
    // Another process made it first, or it was there already: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StartupError(`Cannot keep the generated secret in ${file}: ${(err as Error).message}`);
    }
  } finally {
    rmSync(draft, { force: true });
  }
  const secret = readFileSync(file, 'utf8').trim();
  const weak = weakSecret(secret);
  if (weak)
    throw new StartupError(
      `The secret in ${file} is too weak: ${weak}. Delete the file to have a new one made.`,
    );
  if ((statSync(file).mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
    log(`${file} was readable by others: now only by its owner (mode 0600).`);
  }
  return secret;
}
