/**
 * `npm run practice:import -- FILE.json` — loads a practice document into the database at
 * DATABASE_PATH (default ./data/terminkette.db) in one transaction. On any problem it prints each
 * one with its path, writes nothing and exits with status 1.
 */
import { readFileSync } from 'node:fs';
import { configFromEnv } from '../config.ts';
import { openDatabase } from '../db/index.ts';
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
const db = openDatabase(config.databasePath);
try {
  const result = importPractice(db, input, { now: Date.now() });
  console.log(`imported practice "${result.slug}" (id ${result.practiceId}) into ${config.databasePath}`);
  for (const [what, n] of Object.entries(result.counts)) console.log(`  ${what}: ${n}`);
} catch (err) {
  if (!(err instanceof PracticeDocumentError)) throw err;
  console.error(`${file}: nothing was imported, ${err.issues.length} problem(s):`);
  for (const issue of err.issues) console.error(`  ${issue.path}: ${issue.message}`);
  process.exitCode = 1;
} finally {
  db.$client.close();
}
