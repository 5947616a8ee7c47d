/**
 * What the server shows and sends beyond the API's answers: the headers of its HTML pages, a front
 * page that lists nobody's practice, a health check that writes, a 413 that closes the connection,
 * and e-mails that keep the service off lock screens and shared calendars.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../../server/app.ts';
import { StorageWatch, StoreUnavailable, storageTrouble } from '../../server/errors.ts';
import { renderContent } from '../../server/mail/bookingMail.ts';
import { bookingCalendar } from '../../server/mail/ics.ts';
import { importPractice } from '../../server/practice/import.ts';
import { call, demoApp, demoDoc, demoStore, NOW, testConfig, verifiedToken } from '../helpers.ts';

/** The hashes of the inline `<style>` elements of a page, as a policy names them. */
function styleHashes(page: string): string[] {
  return [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`,
  );
}

describe('HTML pages', () => {
  const pages = ['/', '/api/v1/reference', '/cancel?booking=1&token=not-a-token'];

  it.each(pages)('%s allows no script, no framing, no sniffing and no referrer', async (path) => {
    const d = await demoApp();
    const res = await d.app.request(path);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name!, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'self'"]);
    expect(directives.has('script-src')).toBe(false); // falls back to 'none'
    // The page's own style, by its hash; nothing inline beyond it.
    expect(directives.get('style-src')).toEqual(styleHashes(page));
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('/ shows the demo practice and never lists the other practices of the server', async () => {
    const d = await demoApp();
    const other = demoDoc();
    other.practice.slug = 'geheim';
    other.practice.name = 'Praxis Verschwiegen';
    await importPractice(d.store, other, { now: NOW });
    const page = await (await d.app.request('/')).text();
    expect(page).toContain('Praxis am Lindenhof (Demo)');
    expect(page).not.toContain('geheim');
    expect(page).not.toContain('Verschwiegen');
  });

  it('/ without the demo practice names no practice at all', async () => {
    const { store } = await demoStore();
    const other = demoDoc();
    other.practice.slug = 'geheim';
    other.practice.name = 'Praxis Verschwiegen';
    await store.write((tx) => tx.run("UPDATE practices SET slug = 'nicht-demo' WHERE slug = 'demo'"));
    await importPractice(store, other, { now: NOW });
    const app = createApp({ store, clock: () => NOW, config: testConfig });
    const page = await (await app.request('/')).text();
    expect(page).toContain('Terminkette');
    expect(page).not.toMatch(/Lindenhof|Verschwiegen|geheim|nicht-demo/);
  });
});

describe('the health check', () => {
  it('writes to the database and reads it back', async () => {
    const d = await demoApp();
    const res = await call(d.app, 'GET', '/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok', database: 'ok' } });
    expect(await d.count("SELECT count(*) AS n FROM rate_limits WHERE key = 'health'")).toBe(1);
  });
});

describe('storage trouble', () => {
  it('is told apart from other errors, for both databases', () => {
    const trouble = (code: string) => storageTrouble(Object.assign(new Error('x'), { code }));
    expect(trouble('SQLITE_FULL')).toBe('full');
    expect(trouble('53100')).toBe('full'); // PostgreSQL: disk_full
    expect(trouble('ENOSPC')).toBe('full');
    expect(trouble('SQLITE_READONLY')).toBe('read_only');
    expect(trouble('SQLITE_READONLY_DBMOVED')).toBe('read_only');
    expect(trouble('25006')).toBe('read_only'); // PostgreSQL: read_only_sql_transaction
    expect(trouble('SQLITE_IOERR_WRITE')).toBe('io');
    expect(trouble('58030')).toBe('io'); // PostgreSQL: io_error
    expect(trouble('23505')).toBeNull();
    expect(trouble('SQLITE_CONSTRAINT_UNIQUE')).toBeNull();
    expect(new StoreUnavailable('full').message).toBe('the disk of the database is full');
  });

  it('keeps a store unhealthy until a real write commits, or until probes alone have worked for a while', () => {
    const watch = new StorageWatch();
    watch.failed(new StoreUnavailable('full'), 1_000);
    expect(watch.current).toBe('full');
    watch.committed(true, 2_000); // the health check's small write fit into space already taken
    expect(watch.current).toBe('full');
    watch.failed(new Error('a plain bug'), 3_000); // not about storage: changes nothing
    watch.committed(true, 1_000 + StorageWatch.QUIET_MS);
    expect(watch.current).toBeNull(); // nothing failed for the quiet time: space is back
    watch.failed(new StoreUnavailable('read_only'), 50_000);
    watch.committed(false, 50_001); // a booking committed
    expect(watch.current).toBeNull();
  });
});

describe('a request body over 64 KiB', () => {
  it('gets 413 and Connection: close when it comes in chunks, so the next request is not lost on the connection', async () => {
    const d = await demoApp();
    const server = serve({ fetch: d.app.fetch, port: 0, hostname: '127.0.0.1' });
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    onTestFinished(() => {
      socket.destroy();
    });
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((resolve) => socket.once('connect', resolve));
    const chunk = 'x'.repeat(16 * 1024);
    socket.write(
      'POST /api/v1/p/demo/bookings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nIdempotency-Key: big\r\n\r\n',
    );
    for (let i = 0; i < 6; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    socket.write('0\r\n\r\n');
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    const head = received.split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head.toLowerCase()).toContain('connection: close');
    expect(received).toContain('"code":"payload_too_large"');
    // The server ended the connection itself: the client knows to send its next request anew.
    expect(socket.destroyed || socket.readableEnded).toBe(true);
  });
});

describe('booking e-mails', () => {
  it('name the service in the subject and the calendar entry when the practice opts in', async () => {
    const { store } = await demoStore();
    const doc = demoDoc();
    doc.practice.slug = 'offen';
    doc.practice.booking = { ...doc.practice.booking, mailNamesService: true };
    const { practiceId } = await importPractice(store, doc, { now: NOW });
    const chain = (await store.read((tx) =>
      tx.get<{ id: number }>("SELECT id FROM chains WHERE practice_id = ? AND key = 'physio-erstbefund'", [
        practiceId,
      ]),
    ))!.id;
    const app = createApp({ store, clock: () => NOW, config: testConfig });
    const res = await call(app, 'POST', '/api/v1/p/offen/bookings', {
      token: verifiedToken(practiceId, 'nora@example.org'),
      headers: { 'idempotency-key': 'named' },
      body: {
        chain,
        start: '2026-11-30T08:00:00+01:00',
        client: { firstName: 'Nora', lastName: 'Neu', email: 'nora@example.org', consent: true },
      },
    });
    expect(res.status).toBe(201);
    const row = await store.read((tx) =>
      tx.get<{ content: unknown }>("SELECT content FROM outbox WHERE to_address = 'nora@example.org'"),
    );
    const content = typeof row!.content === 'string' ? JSON.parse(row!.content) : row!.content;
    const mail = renderContent(content);
    expect(mail.subject).toMatch(/^Terminbestätigung: Physiotherapie Erstbefund am /);
    expect(bookingCalendar(mail.attachments[0]!.calendar)).toContain('SUMMARY:Physiotherapie Erstbefund – ');
  });
});
