/**
 * The secret the server signs with when APP_SECRET is unset: generated once and kept — beside the
 * SQLite file (mode 0600), or in PostgreSQL for every instance — so mailed links survive restarts.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { appSecret, secretFileOf } from '../../server/auth/secret.ts';
import { configFromEnv, StartupError, weakSecret } from '../../server/config.ts';
import { openSqliteStore } from '../../server/db/sqlite/store.ts';
import { NOW, twoStores } from '../helpers.ts';

const quiet = () => {};

describe('APP_SECRET', () => {
  it('needs at least 32 characters, at least 16 of them different', () => {
    expect(weakSecret('a'.repeat(32))).toBe('it has only 1 different characters, at least 16 are needed');
    expect(weakSecret('0123456789abcde'.repeat(3))).toBe(
      'it has only 15 different characters, at least 16 are needed',
    );
    expect(weakSecret('x'.repeat(31))).toBe('it has 31 characters, at least 32 are needed');
    expect(weakSecret('0123456789abcdef'.repeat(2))).toBeNull();
    expect(() => configFromEnv({ APP_SECRET: 'a'.repeat(40) })).toThrow(StartupError);
    expect(configFromEnv({ APP_SECRET: '0123456789abcdef'.repeat(2) }).secret).toBe(
      '0123456789abcdef'.repeat(2),
    );
    expect(configFromEnv({}).secret).toBeNull();
  });

  it('is used as given when set', async () => {
    const store = openSqliteStore(':memory:');
    onTestFinished(() => store.close());
    const given = 'given-secret-0123456789-ABCDEFGHIJ';
    expect(await appSecret(store, { secret: given, databasePath: ':memory:' }, NOW, quiet)).toBe(given);
  });
});

describe('a generated secret', () => {
  it('is the same for every process or instance on one database, and after a restart', async () => {
    const { store, other, path, close } = await twoStores();
    onTestFinished(async () => {
      await close();
      if (path !== ':postgres:') rmSync(secretFileOf(path), { force: true });
    });
    const config = { secret: null, databasePath: path };
    const [a, b] = await Promise.all([
      appSecret(store, config, NOW, quiet),
      appSecret(other, config, NOW, quiet),
    ]);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b).toBe(a);
    expect(await appSecret(store, config, NOW + 1000, quiet)).toBe(a);
  });

  it('lives in a file only its owner can read, beside the SQLite database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-secret-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'praxis.db');
    const store = openSqliteStore(path);
    onTestFinished(() => store.close());
    const logged: string[] = [];
    const secret = await appSecret(store, { secret: null, databasePath: path }, NOW, (m) => logged.push(m));
    const file = secretFileOf(path);
    expect(file).toBe(`${path}.secret`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(logged).toEqual([
      `APP_SECRET is not set: generated one and kept it in ${file} (keep that file with the database).`,
    ]);
    // Made readable for others by hand: closed again, and said so.
    chmodSync(file, 0o644);
    logged.length = 0;
    expect(await appSecret(store, { secret: null, databasePath: path }, NOW, (m) => logged.push(m))).toBe(
      secret,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(logged).toEqual([`${file} was readable by others: now only by its owner (mode 0600).`]);
    // A weak secret written into the file by hand stops the start.
    writeFileSync(file, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n');
    await expect(appSecret(store, { secret: null, databasePath: path }, NOW, quiet)).rejects.toThrow(
      /is too weak: it has only 1 different characters/,
    );
  });
});
