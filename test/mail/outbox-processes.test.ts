import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { mailsOf } from '../../server/db/queries/outbox.ts';
import { enqueueMail } from '../../server/mail/outbox.ts';
import { count, STORE_KIND } from '../helpers.ts';
import { addPractice, NOW, ownDatabase, tempDir } from './helpers.ts';

const script = fileURLToPath(new URL('./fixtures/outbox-process.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts a worker process (adding it to `children`) and resolves once it has opened the database and said `ready`. */
function startProcess(args: string[], children: WorkerProcess[]): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      if (code !== 0) console.error(stderr);
      resolve(code);
    });
  });
  children.push({ child, exited });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('ready')) resolve();
    });
    exited.then((code) => reject(new Error(`worker process exited (${code}) before ready: ${stderr}`)));
  });
  return ready.then(() => ({ child, exited }));
}

/**
 * Three worker processes, each with its own connection to one database of the test's own, send
 * 400 due mails: every mail exactly once, and the row names the process that sent it.
 */
async function threeProcessesSendEveryMailOnce() {
  const temp = tempDir('terminkette-outbox-procs-');
  const deliveries = join(temp.dir, 'deliveries.txt');
  writeFileSync(deliveries, '');
  const database = ownDatabase('terminkette-outbox-procs-');
  const children: WorkerProcess[] = [];
  onTestFinished(async () => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await database.remove();
    temp.remove();
  });
  const store = await database.open();
  const where = database.location;
  const target = where.kind === 'sqlite' ? [where.file] : [where.url, where.schema];

  const practiceId = await addPractice(store);
  const MAILS = 400;
  await store.write(async (tx) => {
    for (let n = 1; n <= MAILS; n++) {
      await enqueueMail(
        tx,
        { practiceId, kind: 'booking-confirmation', to: `c${n}@example.org`, subject: `#${n}`, text: 'x' },
        NOW,
      );
    }
  });

  const started = await Promise.all(
    ['p1', 'p2', 'p3'].map((id) => startProcess([id, deliveries, ...target], children)),
  );
  for (const { child } of started) child.stdin?.write('go\n');
  const codes = await Promise.all(started.map((s) => s.exited));
  expect(codes).toEqual([0, 0, 0]);

  const lines = readFileSync(deliveries, 'utf8').trim().split('\n');
  const byMail = new Map<number, string[]>();
  for (const line of lines) {
    const [id, worker] = line.split(' ');
    byMail.set(Number(id), [...(byMail.get(Number(id)) ?? []), worker!]);
  }
  const twice = [...byMail].filter(([, workers]) => workers.length > 1);
  expect(twice).toEqual([]);
  expect(byMail.size).toBe(MAILS);
  expect(lines).toHaveLength(MAILS);

  const rows = await store.read((tx) => mailsOf(tx, practiceId));
  expect(rows).toHaveLength(MAILS);
  expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
  // The row records the process that really sent the mail.
  for (const r of rows) expect(r.messageId).toBe(`<${r.id}.${byMail.get(r.id)![0]}@test>`);
  const workers = new Set(lines.map((l) => l.split(' ')[1]));
  expect(workers.size).toBeGreaterThanOrEqual(2); // they really ran side by side
  expect(await count(store, "SELECT count(*) AS n FROM outbox WHERE status = 'pending'")).toBe(0);
}

describe('outbox with several server processes on one database', () => {
  it(
    STORE_KIND === 'sqlite'
      ? 'sends every mail exactly once (SQLite: one file, a connection per process)'
      : 'sends every mail exactly once (PostgreSQL: one schema, a pool per process, claims skip locked rows)',
    { timeout: 30_000 },
    threeProcessesSendEveryMailOnce,
  );
});
