import { beforeAll, describe, expect, it } from 'vitest';
import { lockClient } from '../../server/db/queries/calendar.ts';
import { limitWait, OverLimit, pointWrites, spreadLimit } from '../../server/db/queries/rateLimits.ts';
import { StoreConflict } from '../../server/errors.ts';
import { type DemoApp, demoApp, NOW, STORE_KIND } from '../helpers.ts';

/** The database itself keeps the data valid, whatever code writes to it. */
describe(`database constraints (${STORE_KIND})`, () => {
  let d: DemoApp;
  beforeAll(async () => {
    d = await demoApp();
  });
  const id = async (sql: string, params: unknown[] = []) => (await d.row<{ id: number }>(sql, params))!.id;

  it('refuses a template without any limit', async () => {
    await expect(
      d.exec(
        "INSERT INTO package_templates (practice_id, key, name, code_limits, validity_kind) VALUES (?, 'x', 'X', '[]', 'none')",
        [d.practiceId],
      ),
    ).rejects.toThrow(/package_templates_has_limit/);
  });

  it('refuses a negative price and a duplicate service code', async () => {
    await expect(
      d.exec(
        "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES (?, 'NEG', 'n', -1, 10)",
        [d.practiceId],
      ),
    ).rejects.toThrow(/services_price/);
    await expect(
      d.exec(
        "INSERT INTO services (practice_id, code, name, price_cents, duration_minutes) VALUES (?, 'KG', 'n', 1, 10)",
        [d.practiceId],
      ),
    ).rejects.toBeInstanceOf(StoreConflict);
  });

  it("refuses a reference to another practice's row", async () => {
    await d.exec("INSERT INTO practices (slug, name, plan, created_at) VALUES ('other', 'Other', 'XL', ?)", [
      NOW,
    ]);
    const other = await id("SELECT id FROM practices WHERE slug = 'other'");
    await d.exec(
      "INSERT INTO clients (practice_id, first_name, last_name, access_code, created_at) VALUES (?, 'O', 'P', 'ABCDEFGH', ?)",
      [other, NOW],
    );
    const foreignClient = await id('SELECT max(id) AS id FROM clients WHERE practice_id = ?', [other]);
    const therapist = await id('SELECT min(id) AS id FROM therapists WHERE practice_id = ?', [d.practiceId]);
    // An appointment of the demo practice for a client of the other practice.
    await expect(
      d.exec(
        "INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, blocked_until, source, created_at) VALUES (?, ?, ?, ?, ?, ?, 'staff', ?)",
        [d.practiceId, foreignClient, therapist, NOW, NOW + 1, NOW + 1, NOW],
      ),
    ).rejects.toThrow(/foreign key|_fk refused/i);
  });

  it('refuses an appointment that ends before it starts, or whose blocked time does not match its buffer', async () => {
    const client = await id('SELECT min(id) AS id FROM clients WHERE practice_id = ?', [d.practiceId]);
    const therapist = await id('SELECT min(id) AS id FROM therapists WHERE practice_id = ?', [d.practiceId]);
    const insert = (end: number, buffer: number, blocked: number) =>
      d.exec(
        "INSERT INTO appointments (practice_id, client_id, therapist_id, starts_at, ends_at, buffer_after_minutes, blocked_until, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'staff', ?)",
        [d.practiceId, client, therapist, NOW, end, buffer, blocked, NOW],
      );
    await expect(insert(NOW - 1, 0, NOW - 1)).rejects.toThrow(/appointments_span/);
    await expect(insert(NOW + 60_000, 10, NOW + 60_000)).rejects.toThrow(/appointments_blocked_until/);
  });

  it('refuses a package rule that creates packages in a state it does not offer the chain in', async () => {
    const chain = await id('SELECT min(id) AS id FROM chains WHERE practice_id = ?', [d.practiceId]);
    const template = await id(
      "SELECT id FROM package_templates WHERE key = 'coaching6' AND practice_id = ?",
      [d.practiceId],
    );
    await expect(
      d.exec(
        'INSERT INTO chain_package_rules (practice_id, chain_id, template_id, when_present, create_on_booking) VALUES (?, ?, ?, TRUE, TRUE)',
        [d.practiceId, chain, template],
      ),
    ).rejects.toThrow(/chain_package_rules_create_needs_absent/);
    await expect(
      d.exec(
        'INSERT INTO chain_package_rules (practice_id, chain_id, template_id, when_absent, create_when_exhausted) VALUES (?, ?, ?, TRUE, TRUE)',
        [d.practiceId, chain, template],
      ),
    ).rejects.toThrow(/chain_package_rules_create_exhausted_needs_exhausted/);
  });

  it('refuses a package whose validity ends before it starts, and an unknown status', async () => {
    const client = await id('SELECT min(id) AS id FROM clients WHERE practice_id = ?', [d.practiceId]);
    const template = await id(
      "SELECT id FROM package_templates WHERE key = 'coaching6' AND practice_id = ?",
      [d.practiceId],
    );
    const insert = (until: number, status: string) =>
      d.exec(
        "INSERT INTO packages (practice_id, client_id, template_id, name, max_appointments, valid_from, valid_until, status, origin, created_at) VALUES (?, ?, ?, 'p', 3, ?, ?, ?, 'manual', ?)",
        [d.practiceId, client, template, NOW, until, status, NOW],
      );
    await expect(insert(NOW - 1, 'active')).rejects.toThrow(/packages_validity/);
    await expect(insert(NOW + 1, 'paused')).rejects.toThrow(/packages_status/);
  });

  it('refuses a rate-limit point over the limit its counter carries, and with it the whole batch', async () => {
    const limit = { key: 'book-address:t:192.0.2.7', points: 2, durationMs: 3_600_000 };
    const book = (n: number) =>
      d.store.write((tx) =>
        tx.batch([
          {
            sql: "INSERT INTO package_templates (practice_id, key, name, max_appointments, validity_kind) VALUES (?, ?, 'T', 1, 'none')",
            params: [d.practiceId, `limited-${n}`],
          },
          ...pointWrites([limit], NOW + n),
        ]),
      );
    await book(1);
    await book(2);
    await expect(book(3)).rejects.toBeInstanceOf(OverLimit);
    const written = "SELECT count(*) AS n FROM package_templates WHERE key LIKE 'limited-%'";
    expect(await d.count(written)).toBe(2);
    expect(await d.row('SELECT points, max_points FROM rate_limits WHERE key = ?', [limit.key])).toEqual({
      points: 2,
      max_points: 2,
    });
    expect(await d.store.read((tx) => limitWait(tx, [limit], NOW + 60_000))).toBe(3_600_000 + 1 - 60_000);
    // A new window starts the count again.
    await book(3_600_001);
    expect(await d.count(written)).toBe(3);
    // Even code that forgets the limit cannot write a counter over it.
    await expect(
      d.exec('UPDATE rate_limits SET points = 5 WHERE key = ?', [limit.key]),
    ).rejects.toBeInstanceOf(OverLimit);
  });

  it('spreads a shared limit over counters whose limits add up to it exactly, always under the same keys', () => {
    const parts = (points: number) =>
      spreadLimit({ key: 'p1:hold-practice:all', points, durationMs: 60_000 });
    expect(parts(500).map((l) => l.points)).toEqual([63, 63, 63, 63, 62, 62, 62, 62]);
    expect(parts(3).map((l) => l.points)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    for (const points of [0, 1, 2, 7, 8, 9, 41, 1_000_000]) {
      const all = parts(points);
      expect(all.map((l) => l.key)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => `p1:hold-practice:all#${k}`));
      expect(all.reduce((sum, l) => sum + l.points, 0)).toBe(points);
      expect(all.every((l) => l.durationMs === 60_000)).toBe(true);
    }
  });

  it('moves a file’s budget version on with each lock, and refuses a write that finds it moved (StoreConflict)', async () => {
    const client = await id('SELECT min(id) AS id FROM clients WHERE practice_id = ?', [d.practiceId]);
    const version = async () =>
      (await d.row<{ v: number }>('SELECT budget_version AS v FROM clients WHERE id = ?', [client]))!.v;
    const v = await version();
    await d.store.write((tx) => lockClient(tx, d.practiceId, client));
    expect(await version()).toBe(v + 1);
    // What applyPlan writes for a booking decided on version v, now that it is v + 1.
    const stale = d.exec(
      'UPDATE clients SET budget_version = CASE WHEN budget_version = ? THEN budget_version + 1 ELSE -1 END WHERE id = ?',
      [v, client],
    );
    await expect(stale).rejects.toBeInstanceOf(StoreConflict);
    await expect(stale).rejects.toThrow(/clients_budget_current/);
    expect(await version()).toBe(v + 1);
  });

  it('deletes a client file with everything that hangs on it', async () => {
    const client = await id("SELECT id FROM clients WHERE email = 'lena.vogel@example.org'");
    await d.exec('DELETE FROM clients WHERE id = ?', [client]);
    expect(await d.count('SELECT count(*) AS n FROM appointments WHERE client_id = ?', [client])).toBe(0);
    expect(await d.count('SELECT count(*) AS n FROM packages WHERE client_id = ?', [client])).toBe(0);
  });
});
