/**
 * `npm run practice:import -- FILE.json` — loads a practice document into the database (the
 * SQLite file at DATABASE_PATH, default ./data/terminkette.db, or PostgreSQL at DATABASE_URL) in
 * one transaction. On any problem it prints each one with its path, writes nothing and exits with
 * status 1.
 */
import { readFileSync } from 'node:fs';
import { configFromEnv } from '../config.ts';
import { openStore } from '../db/open.ts';
import { importPractice, PracticeDocumentError } from '../practice/import.ts';

const file = process.argv.slice(2).find((a) => a !== '--');
if (!file) {
  console.error('usage: npm run practice:import -- FILE.json');
  process.exit(2);
}

let input: unknown;
try {
  input = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`cannot read ${file}: ${(err as Error).message}`);
  process.exit(1);
}

const config = configFromEnv();
const store = await openStore(config);
try {
  const result = await importPractice(store, input, { now: Date.now() });
  console.log(`imported practice "${result.slug}" (id ${result.practiceId}) into ${config.databaseLabel}`);
  for (const [what, n] of Object.entries(result.counts)) console.log(`  ${what}: ${n}`);
} catch (err) {
  if (!(err instanceof PracticeDocumentError)) throw err;
  console.error(`${file}: nothing was imported, ${err.issues.length} problem(s):`);
  for (const issue of err.issues) console.error(`  ${issue.path}: ${issue.message}`);
  process.exitCode = 1;
} finally {
  await store.close();
}
