/** Settings from the environment, read once by main.ts and passed in; nothing else reads process.env. */

export interface Config {
  port: number;
  host: string;
  /** The SQLite file (when no `databaseUrl`). */
  databasePath: string;
  /** `postgres://…`: PostgreSQL instead of the SQLite file. */
  databaseUrl: string | null;
  /** Where the data is, for the log: the file, or the PostgreSQL server and database (no password). */
  databaseLabel: string;
  /** The address clients reach this server at, for links in e-mails and calendar files. */
  publicUrl: string;
  /**
   * `APP_SECRET`: signs client tokens, cancel links and one-time codes. Null when unset: the server
   * then uses the one it generated on its first start and kept (auth/secret.ts).
   */
  secret: string | null;
  smtpUrl: string | null;
  mailFrom: string;
  loadDemo: boolean;
  /** How many reverse proxies in front of the server to trust for X-Forwarded-For (0: none). */
  trustProxy: number;
  /** How many finished slot answers to keep until the next write (0: none). */
  answerCacheEntries: number;
  /**
   * `CLOCK_START`: the instant the process's clock starts at (it runs on from there), for tests
   * and demonstrations on fixed dates; null: the real time.
   */
  clockStart: number | null;
  /**
   * `WAL_CHECKPOINT_THREAD` (SQLite only, default 1): WAL checkpoints on a thread of their own, so
   * no commit waits for one (db/sqlite/checkpointer.ts); 0 leaves them to SQLite's commits.
   */
  checkpointThread: boolean;
  /** `DATABASE_POOL_SIZE` (PostgreSQL): connections of this instance's pool, default 10. */
  poolSize: number;
  /** `MAIL_RETENTION_DAYS` (default 30): after that, a sent mail keeps only its kind, status and times. */
  mailRetentionDays: number;
}

/** The settings with the secret as the app uses it: always there (given, or generated and kept). */
export type AppConfig = Omit<Config, 'secret'> & { secret: string };

/** A setting the server cannot start with: main.ts prints the message alone and exits with 1. */
export class StartupError extends Error {}

/** Why a secret is too weak to sign with, or null: at least 32 characters, at least 16 different ones. */
export function weakSecret(secret: string): string | null {
  if (secret.length < 32) return `it has ${secret.length} characters, at least 32 are needed`;
  const distinct = new Set(secret).size;
  if (distinct < 16) return `it has only ${distinct} different characters, at least 16 are needed`;
  return null;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StartupError(`PORT must be a port number, got ${env.PORT}`);
  const host = env.HOST ?? '0.0.0.0';
  const secret = env.APP_SECRET ?? '';
  const databasePath = env.DATABASE_PATH ?? './data/terminkette.db';
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new StartupError('DATABASE_URL must be a postgres:// URL (leave it unset for the SQLite file)');
  }
  const weak = secret ? weakSecret(secret) : null;
  if (weak)
    throw new StartupError(
      `APP_SECRET is too weak: ${weak}. Leave it unset to have one generated and kept, or use e.g. \`openssl rand -base64 32\`.`,
    );
  const clockStart = env.CLOCK_START ? Date.parse(env.CLOCK_START) : null;
  if (clockStart !== null && Number.isNaN(clockStart)) {
    throw new StartupError(`CLOCK_START must be an ISO instant, got ${env.CLOCK_START}`);
  }
  return {
    port,
    host,
    databasePath,
    databaseUrl,
    databaseLabel: databaseUrl ? labelOf(databaseUrl) : databasePath,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    secret: secret || null,
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM ?? 'Terminkette <no-reply@terminkette.localhost>',
    loadDemo: env.LOAD_DEMO !== '0',
    trustProxy: Math.max(0, Number.parseInt(env.TRUST_PROXY ?? '0', 10) || 0),
    answerCacheEntries: Math.max(0, Number.parseInt(env.ANSWER_CACHE_ENTRIES ?? '2000', 10) || 0),
    clockStart,
    checkpointThread: env.WAL_CHECKPOINT_THREAD !== '0',
    poolSize: Math.max(1, Math.min(100, Number.parseInt(env.DATABASE_POOL_SIZE ?? '10', 10) || 10)),
    mailRetentionDays: Math.max(1, Number.parseInt(env.MAIL_RETENTION_DAYS ?? '30', 10) || 30),
  };
}

/** `postgres://user:secret@db:5432/terminkette` → `postgres://user@db:5432/terminkette`. */
function labelOf(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
