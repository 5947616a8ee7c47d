import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase } from '../../server/db/index.ts';
import { demoDb, freshDb, NOW } from '../helpers.ts';

/** The database itself keeps the data valid, whatever code writes to it. */
describe('database constraints', () => {
  const { db } = demoDb();
  const sqlite = db.$client;
  const one = (q: string) => sqlite.prepare(q).get() as Record<string, number>;

  it('opens a file in WAL mode with foreign keys on and savepoint journals in memory, and applies the migrations once however often it is opened', () => {
    const file = join(tmpdir(), `terminkette-wal-${process.pid}.db`);
    const first = openDatabase(file);
    const second = openDatabase(file);
    expect(first.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(second.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(second.$client.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
    const applied = second.$client.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as {
      n: number;
    };
    expect(applied.n).toBe(readMigrationFiles({ migrationsFolder }).length);
    first.$client.close();
    second.$client.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  });

  it('holds the demo practice without a single dangling reference', () => {
    expect(sqlite.pragma('foreign_key_check')).toEqual([]);
    expect(freshDb().$client.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('refuses a template without any limit', () => {
    expect(() =>
      sqlite
        .prepare(
          "INSERT INTO package_templates (practice_id, key, name, code_limits, validity_kind) VALUES (1, 'x', 'X', '[]', 'none')",
        )
        .run(),
    ).toThrow(/CHECK constraint failed: package_templates_has_limit/);
  });

  it('refuses a negative price and a duplicate service code', () => {
    expect(() =>
      sqlite
        .prepare(
          "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES (1, 'NEG', 'n', -1, 10)",
        )
        .run(),
    ).toThrow(/services_price/);
    expect(() =>
      sqlite
        .prepare(
          "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES (1, 'KG', 'n', 1, 10)",
        )
        .run(),
    ).toThrow(/UNIQUE constraint failed/);
  });

  it("refuses a reference to another practice's row", () => {
    sqlite
      .prepare("INSERT INTO practices (slug, name, plan, created_at) VALUES ('other', 'Other', 'XL', ?)")
      .run(NOW);
    const other = one("SELECT id FROM practices WHERE slug = 'other'").id;
    sqlite
      .prepare(
        "INSERT INTO clients (practice_id, first_name, last_name, access_code, created_at) VALUES (?, 'O', 'P', 'ABCDEFGH', ?)",
      )
      .run(other, NOW);
    const foreignClient = one('SELECT max(id) AS id FROM clients').id;
    const therapist = one('SELECT min(id) AS id FROM therapists WHERE practice_id = 1').id;
    // An appointment of practice 1 for a client of the other practice.
    expect(() =>
      sqlite
        .prepare(
          "INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, blocked_until, source, created_at) VALUES (1, ?, ?, ?, ?, ?, 'staff', ?)",
        )
        .run(foreignClient, therapist, NOW, NOW + 1, NOW + 1, NOW),
    ).toThrow(/FOREIGN KEY constraint failed/);
  });

  it('refuses an appointment that ends before it starts, or whose blocked time does not match its buffer', () => {
    const client = one('SELECT min(id) AS id FROM clients').id;
    const therapist = one('SELECT min(id) AS id FROM therapists').id;
    const insert = sqlite.prepare(
      "INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, buffer_after_minutes, blocked_until, source, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, 'staff', ?)",
    );
    expect(() => insert.run(client, therapist, NOW, NOW - 1, 0, NOW - 1, NOW)).toThrow(/appointments_span/);
    expect(() => insert.run(client, therapist, NOW, NOW + 60_000, 10, NOW + 60_000, NOW)).toThrow(
      /appointments_blocked_until/,
    );
  });

  it('refuses a package rule that creates packages without offering the chain when absent', () => {
    const chain = one('SELECT min(id) AS id FROM chains').id;
    const template = one("SELECT id FROM package_templates WHERE key = 'coaching6'").id;
    expect(() =>
      sqlite
        .prepare(
          'INSERT INTO chain_package_rules (practice_id, chain_id, template_id, when_present, create_on_booking) VALUES (1, ?, ?, 1, 1)',
        )
        .run(chain, template),
    ).toThrow(/chain_package_rules_create_needs_absent/);
  });

  it('refuses a package whose validity ends before it starts, and an unknown status', () => {
    const client = one('SELECT min(id) AS id FROM clients').id;
    const template = one("SELECT id FROM package_templates WHERE key = 'coaching6'").id;
    const insert = sqlite.prepare(
      "INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, valid_from, valid_until, status, origin, created_at) VALUES (1, ?, ?, 'p', 3, ?, ?, ?, 'manual', ?)",
    );
    expect(() => insert.run(client, template, NOW, NOW - 1, 'active', NOW)).toThrow(/packages_validity/);
    expect(() => insert.run(client, template, NOW, NOW + 1, 'paused', NOW)).toThrow(/packages_status/);
  });

  it('deletes a client file with everything that hangs on it', () => {
    const client = one("SELECT id FROM clients WHERE email = 'lena.vogel@example.org'").id;
    sqlite.prepare('DELETE FROM clients WHERE id = ?').run(client);
    expect(one(`SELECT count(*) AS n FROM appointments WHERE client_id = ${client}`).n).toBe(0);
    expect(one(`SELECT count(*) AS n FROM packages WHERE client_id = ${client}`).n).toBe(0);
  });
});
