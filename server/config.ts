/** Settings from the environment, read once by main.ts and passed in; nothing else reads process.env. */
import { randomBytes } from 'node:crypto';

export interface Config {
  port: number;
  host: string;
  databasePath: string;
  /** The address clients reach this server at, for links in e-mails and calendar files. */
  publicUrl: string;
  /** Signs client tokens and cancel links. */
  secret: string;
  smtpUrl: string | null;
  mailFrom: string;
  loadDemo: boolean;
  /** How many reverse proxies in front of the server to trust for X-Forwarded-For (0: none). */
  trustProxy: number;
  /** How many finished slot answers to keep until the next write (0: none). */
  answerCacheEntries: number;
  /** HTTP processes sharing the port (1: the main process serves). */
  workers: number;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got ${env.PORT}`);
  const host = env.HOST ?? '0.0.0.0';
  const secret = env.APP_SECRET ?? '';
  if (secret && secret.length < 32) throw new Error('APP_SECRET must be at least 32 characters');
  return {
    port,
    host,
    databasePath: env.DATABASE_PATH ?? './data/terminkette.db',
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    secret: secret || randomBytes(32).toString('hex'),
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM ?? 'Terminkette <no-reply@terminkette.localhost>',
    loadDemo: env.LOAD_DEMO !== '0',
    trustProxy: Math.max(0, Number.parseInt(env.TRUST_PROXY ?? '0', 10) || 0),
    workers: Math.max(1, Math.min(64, Number.parseInt(env.WORKERS ?? '1', 10) || 1)),
    answerCacheEntries: Math.max(0, Number.parseInt(env.ANSWER_CACHE_ENTRIES ?? '2000', 10) || 0),
  };
}
