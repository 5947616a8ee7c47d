/** Fixtures for the mail tests: a store with one practice, stores sharing a database, a minimal MIME reader. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { PgStore } from '../../server/db/pg/store.ts';
import { openSqliteStore } from '../../server/db/sqlite/store.ts';
import type { Store } from '../../server/db/store.ts';
import { freshStore, STORE_KIND } from '../helpers.ts';

/** Tuesday 2026-05-12 10:00 in Berlin. */
export const NOW = Date.UTC(2026, 4, 12, 8, 0);

/** Inserts a practice (the outbox rows need one) and returns its id. */
export function addPractice(store: Store, slug = 'physio-weber'): Promise<number> {
  return store.write((tx) =>
    tx.insert('INSERT INTO practices (slug, name, plan, created_at) VALUES (?, ?, ?, ?)', [
      slug,
      'Physio Weber',
      'M',
      NOW,
    ]),
  );
}

/** A fresh store (see `freshStore`) with one practice. */
export async function storeWithPractice(): Promise<{ store: Store; practiceId: number }> {
  const store = await freshStore();
  return { store, practiceId: await addPractice(store) };
}

/** A temp directory for database files; `remove()` deletes it. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Where a {@link ownDatabase} is, for a process to open it too. */
export type DatabaseLocation =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string; schema: string };

/**
 * A new database of the test's own (its ids start at 1), which one or more stores open, each as a
 * separate server process or app instance would: on SQLite each store is its own connection to one
 * file in a temp directory; on PostgreSQL each its own pool on one schema made for the test.
 * `remove()` closes every store opened and deletes the file or drops the schema.
 */
export function ownDatabase(prefix = 'terminkette-db-') {
  const opened: Store[] = [];
  let location: DatabaseLocation;
  let temp: ReturnType<typeof tempDir> | null = null;
  if (STORE_KIND === 'sqlite') {
    temp = tempDir(prefix);
    location = { kind: 'sqlite', file: join(temp.dir, 'db.sqlite') };
  } else {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_STORE=postgres needs TEST_DATABASE_URL');
    location = { kind: 'postgres', url, schema: `t_${randomBytes(6).toString('hex')}` };
  }
  return {
    location,
    /** Opens one more store on the database (the first one creates it). */
    async open(): Promise<Store> {
      let store: Store;
      if (location.kind === 'sqlite') store = openSqliteStore(location.file);
      else {
        const { openPgStore } = await import('../../server/db/pg/store.ts');
        store = await openPgStore(location.url, { schema: location.schema, poolSize: 4 });
      }
      opened.push(store);
      return store;
    },
    async remove(): Promise<void> {
      for (const store of opened) await store.close();
      if (location.kind === 'postgres' && opened.length > 0) await (opened[0] as PgStore).dropSchema();
      temp?.remove();
    },
  };
}

/** A tiny deterministic PRNG (mulberry32), so "random" interleavings repeat from run to run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MimePart {
  headers: Map<string, string>;
  /** The decoded body (base64 and quoted-printable undone, UTF-8) of a leaf part. */
  body: string;
  parts: MimePart[];
}

/**
 * Reads a raw RFC 5322 message: unfolded headers, multipart bodies split at their boundary,
 * base64 and quoted-printable bodies decoded. Just enough for the messages nodemailer writes.
 */
export function parseMime(raw: string): MimePart {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const content = split === -1 ? '' : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    const parts = content
      .split(`--${boundary}`)
      .slice(1)
      .filter((chunk) => !chunk.startsWith('--'))
      .map((chunk) => parseMime(chunk.replace(/^\r\n/, '').replace(/\r\n$/, '')));
    return { headers, body: '', parts };
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  let body: string;
  if (encoding === 'base64') body = Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (encoding === 'quoted-printable') body = decodeQuotedPrintable(content);
  else body = content;
  return { headers, body, parts: [] };
}

/** All leaf parts of a message, depth first. */
export function leafParts(part: MimePart): MimePart[] {
  return part.parts.length === 0 ? [part] : part.parts.flatMap(leafParts);
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) in a header value. */
export function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_all, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback (no TLS, no auth) that keeps every message it accepts. */
export async function startSmtp(options: { rejectRecipients?: boolean } = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    closeTimeout: 1000,
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (options.rejectRecipients) {
        callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
      } else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { received, url: `smtp://127.0.0.1:${port}`, close };
}
