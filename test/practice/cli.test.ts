import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/db/sqlite/store.ts';
import { demoDoc, rows } from '../helpers.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'terminkette-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function importFile(doc: unknown, database: string, ...flags: string[]) {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'server/cli/import-practice.ts', file, ...flags], {
      // The SQLite file, whatever the environment names (no DATABASE_URL).
      env: { ...process.env, DATABASE_PATH: database, DATABASE_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run practice:import', () => {
  it('imports a document, then refuses a broken one with its paths and writes nothing', async () => {
    const database = join(dir, 'cli.db');
    const ok = await importFile(demoDoc(), database);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/imported practice "demo"/);

    const broken = demoDoc();
    broken.practice.slug = 'second';
    broken.services[0].priceCents = -5;
    broken.chains[1].lines[0].code = 'NOPE';
    const bad = await importFile(broken, database);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/services\[0\]\.priceCents/);
    expect(bad.stderr).toMatch(/chains\[1\]\.lines\[0\]\.code: unknown service code "NOPE"/);

    const store = openSqliteStore(database);
    const practices = await rows(store, 'SELECT slug FROM practices');
    await store.close();
    expect(practices).toEqual([{ slug: 'demo' }]);
  });

  it('--update applies only the differences to the practice of the slug, in its change history; --dry-run only tells', async () => {
    const database = join(dir, 'update.db');
    expect((await importFile(demoDoc(), database)).code).toBe(0);
    const store = openSqliteStore(database);
    const { exportPracticeDocument } = await import('../../server/practice/export.ts');
    const doc = (await exportPracticeDocument(store, 1)) as Record<string, any>;
    await store.close();
    doc.services.find((s: any) => s.code === 'KG').priceCents = 3000;
    doc.rooms.push({ key: 'raum3', name: 'Behandlungsraum 3' });

    const dry = await importFile(doc, database, '--update', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would change practice "demo"/);
    expect(dry.stdout).toContain('added room raum3');
    expect(dry.stdout).toContain('changed service KG: priceCents');

    const done = await importFile(doc, database, '--update');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/changed practice "demo"/);
    expect((await importFile(doc, database, '--update')).stdout).toMatch(/no differences in "demo"/);

    const after = openSqliteStore(database);
    expect(await rows(after, "SELECT price_cents FROM services WHERE code = 'KG'")).toEqual([
      { price_cents: 3000 },
    ]);
    expect(await rows(after, 'SELECT source, user_id FROM config_changes')).toEqual([
      { source: 'import', user_id: null },
    ]);
    await after.close();

    const unknown = await importFile(
      { ...doc, practice: { ...doc.practice, slug: 'nope' } },
      database,
      '--update',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/practice\.slug: no practice "nope" to update/);
  });
});
