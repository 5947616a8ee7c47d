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

async function importFile(doc: unknown, database: string) {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'server/cli/import-practice.ts', file], {
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
});
