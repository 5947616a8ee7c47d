/**
 * E-mail through the `outbox` table: written in the same transaction as the booking, sent later.
 *
 * - {@link enqueueMail} inserts a pending row inside the caller's transaction, so a confirmation
 *   exists exactly when its booking does.
 * - {@link createOutboxWorker} delivers. Each run claims due rows in one IMMEDIATE transaction
 *   (SQLite takes the write lock at BEGIN, so two processes cannot claim the same row): it writes
 *   `claimedBy`/`claimedUntil` (a lease), then sends outside the transaction. Success marks the row
 *   `sent`; a failure counts the attempt, keeps the error and schedules the next try with
 *   exponential backoff (30 s, 1 min, 2 min, … at most 1 h); after `maxAttempts` the row is
 *   `failed`. Rows are never deleted. A worker that dies mid-send leaves a lease that runs out, and
 *   then another worker sends the mail.
 *
 *   Exactly once holds as long as a send finishes within its lease (`claimMs`, default 5 min; the
 *   SMTP sender gives up after at most ~80 s) and no process dies between the SMTP server accepting
 *   a mail and the row being marked sent: SMTP has no idempotency key, so in that one window the
 *   choice is "maybe twice" over "maybe never", and we choose never to lose a mail.
 * - {@link smtpSender} sends with nodemailer over SMTP (`SMTP_URL`), text plus attachments, e.g.
 *   the booking's `termin.ics` as `text/calendar; method=REQUEST`.
 * - Without `SMTP_URL` there is nobody to send to. A "log sender" would have to either report
 *   success (the row says `sent`, but nobody received it, and configuring SMTP later would not
 *   deliver it) or fail (the mail burns its attempts and ends `failed`). So no worker runs at all:
 *   {@link createPendingMailLogger} logs each pending mail once — its id, kind and practice, never
 *   its recipient or text ({@link logPending}; once across restarts and instances, marked in the
 *   row) — and leaves it pending; once SMTP is configured, the worker delivers everything that
 *   waited.
 *   {@link createMailDelivery} picks one of the two from the configuration.
 */
import { createTransport } from 'nodemailer';
import {
  anyDue,
  claimDue,
  claimUnlogged,
  insertMail,
  markFailed as markFailedRow,
  markSent as markSentRow,
  type OutboxRow,
} from '../db/queries/outbox.ts';
import type { Store, Tx } from '../db/store.ts';
import { describeError } from '../log.ts';
import { type MailContent, renderContent } from './bookingMail.ts';
import { type BookingCalendarInput, bookingCalendar } from './ics.ts';

export interface MailAttachment {
  filename: string;
  /** e.g. `text/calendar; charset=utf-8; method=REQUEST` (see `icsAttachment` in ./ics.ts) */
  contentType: string;
  content: string;
}

/**
 * An attachment as stored in the outbox: its content, or — for a calendar file — what the file
 * says, rendered when the mail is sent. Rendering an .ics costs about half a millisecond, which
 * would otherwise sit inside the booking's write transaction; the input is all the file depends
 * on, so the mail sent is the same either way.
 */
export type StoredAttachment =
  | MailAttachment
  | (Omit<MailAttachment, 'content'> & { calendar: BookingCalendarInput });

export interface NewMail {
  practiceId: number;
  /** What the mail is about, for logs and support, e.g. `booking-confirmation`. */
  kind: string;
  to: string;
  subject: string;
  text: string;
  attachments?: StoredAttachment[];
  /** What the mail says, to render when it is sent; subject, text and attachments are then empty. */
  content?: MailContent;
}

/** A mail as the sender gets it. */
export interface OutgoingMail {
  id: number;
  practiceId: number;
  kind: string;
  to: string;
  subject: string;
  text: string;
  attachments: MailAttachment[];
}

/** Delivers one mail or throws; whatever it throws is kept as the row's `lastError`. */
export type SendMail = (mail: OutgoingMail) => Promise<{ messageId?: string }>;

const SECOND = 1000;
const HOUR = 3600 * SECOND;

/**
 * Writes a mail to the outbox as pending and due at `now`; returns its id. Call it inside the
 * transaction that makes the mail true (the booking), so both are written or neither.
 * @example store.write(async (tx) => { …book…; await enqueueMail(tx, { practiceId, kind: 'booking-confirmation',
 *   to, subject, text, attachments: [icsAttachment(ics, 'REQUEST')] }, now) })
 */
export function enqueueMail(tx: Tx, mail: NewMail, now: number): Promise<number> {
  return insertMail(tx, { ...mail, attachments: mail.attachments ?? [], now });
}

/**
 * How long to wait after the `attempts`-th failed try: 30 s, 1 min, 2 min, 4 min, … at most 1 h.
 * @example retryDelayMs(1) === 30_000; retryDelayMs(3) === 120_000; retryDelayMs(20) === 3_600_000
 */
export function retryDelayMs(attempts: number): number {
  return Math.min(30 * SECOND * 2 ** Math.max(0, attempts - 1), HOUR);
}

export interface OutboxWorkerOptions {
  store: Store;
  send: SendMail;
  clock: () => number;
  /** Unique per process, e.g. `${hostname()}:${process.pid}`; written to `claimedBy`. */
  workerId: string;
  /** How long a claim holds before another worker may take the mail over. Default 5 min. */
  claimMs?: number;
  /** Tries before a mail is given up as `failed`. Default 10. */
  maxAttempts?: number;
  /** Mails claimed per run. Default 20. */
  batchSize?: number;
  log?: (message: string) => void;
}

export interface RunResult {
  /** Mails delivered in this run. */
  sent: number;
  /** Failed tries in this run (retried later, or given up after `maxAttempts`). */
  failed: number;
}

export interface OutboxWorker {
  /** Claims one batch of due mails and sends them. */
  runOnce(): Promise<RunResult>;
  /** Runs every `intervalMs` (at once again while batches come back full) until {@link stop}. */
  start(intervalMs: number): void;
  /** Stops the schedule and waits for runs in flight. */
  stop(): Promise<void>;
}

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { store, send, clock, workerId } = options;
  const claimMs = options.claimMs ?? 5 * 60 * SECOND;
  const maxAttempts = options.maxAttempts ?? 10;
  const batchSize = options.batchSize ?? 20;
  const log = options.log ?? ((message: string) => console.warn(message));

  /** Claims up to `batchSize` due rows for this worker; atomic across connections, processes and instances. */
  async function claim(now: number, leaseUntil: number): Promise<OutboxRow[]> {
    // A plain read first, so an idle poll does not take the write lock bookings need.
    if (!(await store.read((tx) => anyDue(tx, now)))) return [];
    return store.write((tx) => claimDue(tx, { now, leaseUntil, workerId, limit: batchSize }));
  }

  async function markSent(row: OutboxRow, messageId: string | undefined): Promise<void> {
    const at = clock();
    await store.write((tx) =>
      markSentRow(tx, { id: row.id, at, messageId: messageId ?? null, attempts: row.attempts + 1 }),
    );
  }

  async function markFailed(row: OutboxRow, error: unknown): Promise<void> {
    const attempts = row.attempts + 1;
    const givenUp = attempts >= maxAttempts;
    const now = clock();
    await store.write((tx) =>
      markFailedRow(tx, {
        id: row.id,
        workerId,
        attempts,
        givenUp,
        error: errorText(error),
        nextAttemptAt: now + retryDelayMs(attempts),
      }),
    );
    log(
      givenUp
        ? `outbox #${row.id} (${row.kind}) failed for good after ${attempts} attempts: ${errorText(error)}`
        : `outbox #${row.id} (${row.kind}) attempt ${attempts} failed, retry in ${retryDelayMs(attempts) / SECOND} s: ${errorText(error)}`,
    );
  }

  let lastBatchFull = false;

  async function runBatch(): Promise<RunResult> {
    const now = clock();
    const leaseUntil = now + claimMs;
    const rows = await claim(now, leaseUntil);
    lastBatchFull = rows.length === batchSize;
    const result: RunResult = { sent: 0, failed: 0 };
    for (const row of rows) {
      // The lease is over: another worker may already have this mail; leave the rest to a new claim.
      if (clock() >= leaseUntil) break;
      let info: { messageId?: string };
      try {
        info = await send(toOutgoing(row));
      } catch (error) {
        result.failed++;
        await markFailed(row, error);
        continue;
      }
      result.sent++;
      await markSent(row, info.messageId);
    }
    return result;
  }

  const inFlight = new Set<Promise<unknown>>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;

  function runOnce(): Promise<RunResult> {
    const run = runBatch();
    inFlight.add(run);
    const done = () => inFlight.delete(run);
    run.then(done, done);
    return run;
  }

  return {
    runOnce,
    start(intervalMs) {
      if (running) return;
      running = true;
      const tick = async () => {
        timer = null;
        try {
          await runOnce();
        } catch (error) {
          lastBatchFull = false;
          log(`outbox worker ${workerId}: ${errorText(error)}`);
        }
        if (running) timer = setTimeout(tick, lastBatchFull ? 0 : intervalMs);
      };
      timer = setTimeout(tick, 0);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Subject, text and attachments of a row: rendered from its content, or as stored. */
function rendered(row: Pick<OutboxRow, 'subject' | 'textBody' | 'attachments' | 'content'>) {
  if (row.content) return renderContent(row.content as MailContent);
  return { subject: row.subject, text: row.textBody, attachments: row.attachments as StoredAttachment[] };
}

function toOutgoing(row: OutboxRow): OutgoingMail {
  const mail = rendered(row);
  return {
    id: row.id,
    practiceId: row.practiceId,
    kind: row.kind,
    to: row.toAddress,
    subject: mail.subject,
    text: mail.text,
    attachments: mail.attachments.map((a) =>
      'calendar' in a
        ? { filename: a.filename, contentType: a.contentType, content: bookingCalendar(a.calendar) }
        : a,
    ),
  };
}

/** An error for the log and the row: at most 2 000 characters, e-mail addresses masked. */
function errorText(error: unknown): string {
  const text = describeError(error);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/**
 * A {@link SendMail} over SMTP with nodemailer, e.g. `smtpSender('smtps://user:pass@mail.example.org', 'Praxis <termine@example.org>')`.
 * Every mail goes as plain text with its attachments (the .ics as `termin.ics`, `text/calendar`).
 * Timeouts are short so a send always ends well within a worker's claim.
 */
export function smtpSender(smtpUrl: string, from: string): SendMail {
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: 10 * SECOND,
    greetingTimeout: 10 * SECOND,
    socketTimeout: 60 * SECOND,
  });
  return async (mail) => {
    const info = await transport.sendMail({
      from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      attachments: mail.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: a.content,
      })),
    });
    return { messageId: info.messageId };
  };
}

/** Mails picked and logged per turn of the event loop (one statement, one log call). */
export const LOG_CHUNK = 200;

/**
 * Logs up to `limit` pending mails not logged before by any server on this database: one line
 * each with its id, kind and practice — never recipient, subject or text, which hold health data.
 * Returns how many.
 */
export async function logPending(
  store: Store,
  log: (message: string) => void,
  now: number,
  limit = LOG_CHUNK,
): Promise<number> {
  // A probe: a claim that finds nothing writes nothing, so its success says nothing about storage.
  const rows = await store.write((tx) => claimUnlogged(tx, now, limit), { probe: true });
  if (rows.length === 0) return 0;
  rows.sort((a, b) => a.id - b.id);
  log(
    rows
      .map((r) => `outbox #${r.id} (${r.kind}, practice ${r.practiceId}) not sent: no SMTP_URL set`)
      .join('\n'),
  );
  return rows.length;
}

export interface PendingMailLogger {
  /** Logs the next pending mails not logged before (at most LOG_CHUNK, in one message); returns how many. */
  runOnce(): Promise<number>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

/** Watches the outbox when no SMTP is configured and logs each new pending mail once. */
export function createPendingMailLogger(options: {
  store: Store;
  log: (message: string) => void;
  clock: () => number;
}): PendingMailLogger {
  let timer: ReturnType<typeof setInterval> | null = null;
  let running: Promise<unknown> = Promise.resolve();
  const runOnce = () => logPending(options.store, options.log, options.clock());
  return {
    runOnce,
    start(intervalMs) {
      if (timer) return;
      // A backlog (a busy server without SMTP): one chunk per turn of the event loop, not one long
      // stall; and one such run at a time, the timer does not start a second beside it.
      let draining = false;
      const drain = async () => {
        let count = 0;
        try {
          count = await runOnce();
        } catch (error) {
          options.log(`outbox: ${errorText(error)}`);
        }
        if (count === LOG_CHUNK && timer) setImmediate(() => (running = drain()));
        else draining = false;
      };
      const tick = () => {
        if (draining) return;
        draining = true;
        running = drain();
      };
      timer = setInterval(tick, intervalMs);
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export interface MailDelivery {
  /** `smtp`: a worker sends; `log`: no SMTP_URL, pending mails are only logged. */
  mode: 'smtp' | 'log';
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

/**
 * The delivery the configuration asks for: an outbox worker over SMTP when `smtpUrl` is set,
 * otherwise the pending-mail logger.
 * @example const mail = createMailDelivery({ store, smtpUrl: config.smtpUrl, from: config.mailFrom,
 *   clock: Date.now, workerId: `${hostname()}:${process.pid}`, log: console.log });
 *   mail.start(1_000); … await mail.stop();
 */
export function createMailDelivery(options: {
  store: Store;
  smtpUrl: string | null;
  from: string;
  clock: () => number;
  workerId: string;
  log: (message: string) => void;
}): MailDelivery {
  const { store, smtpUrl, from, clock, workerId, log } = options;
  if (!smtpUrl) return { mode: 'log', ...createPendingMailLogger({ store, log, clock }) };
  const worker = createOutboxWorker({ store, send: smtpSender(smtpUrl, from), clock, workerId, log });
  return { mode: 'smtp', start: worker.start, stop: worker.stop };
}
