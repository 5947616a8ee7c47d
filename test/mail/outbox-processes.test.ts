import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../../server/db/index.ts';
import { outbox } from '../../server/db/schema.ts';
import { enqueueMail } from '../../server/mail/outbox.ts';
import { addPractice, NOW, tempDir } from './helpers.ts';

const script = fileURLToPath(new URL('./fixtures/outbox-process.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Starts a worker process and resolves once it has opened the database and said `ready`. */
function startProcess(args: string[]): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
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
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('ready')) resolve();
    });
    exited.then((code) => reject(new Error(`worker process exited (${code}) before ready: ${stderr}`)));
  });
  return ready.then(() => ({ child, exited }));
}

describe('outbox with several server processes on one database file', () => {
  it('sends every mail exactly once', { timeout: 30_000 }, async () => {
    const temp = tempDir('terminkette-outbox-procs-');
    const file = join(temp.dir, 'outbox.db');
    const deliveries = join(temp.dir, 'deliveries.txt');
    writeFileSync(deliveries, '');
    const db = openDatabase(file);
    const children: ChildProcess[] = [];
    onTestFinished(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      db.$client.close();
      temp.remove();
    });

    const practiceId = addPractice(db);
    const MAILS = 400;
    db.transaction(() => {
      for (let n = 1; n <= MAILS; n++) {
        enqueueMail(
          db,
          { practiceId, kind: 'booking-confirmation', to: `c${n}@example.org`, subject: `#${n}`, text: 'x' },
          NOW,
        );
      }
    });

    const started = await Promise.all(['p1', 'p2', 'p3'].map((id) => startProcess([file, id, deliveries])));
    for (const { child } of started) children.push(child);
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

    const rows = db.select().from(outbox).all();
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    // The row records the process that really sent the mail.
    for (const r of rows) expect(r.messageId).toBe(`<${r.id}.${byMail.get(r.id)![0]}@test>`);
    const workers = new Set(lines.map((l) => l.split(' ')[1]));
    expect(workers.size).toBeGreaterThanOrEqual(2); // they really ran side by side
    expect(db.select().from(outbox).where(eq(outbox.status, 'pending')).all()).toEqual([]);
  });
});
