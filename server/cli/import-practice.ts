/**
 * `npm run practice:import -- FILE.json` — loads a practice document into the database (the
 * SQLite file at DATABASE_PATH, default ./data/terminkette.db, or PostgreSQL at DATABASE_URL) in
 * one transaction. On any problem it prints each one with its path, writes nothing and exits with
 * status 1.
 *
 * `--update` applies the document to the existing practice of its slug instead: only the
 * differences, in one transaction, recorded in the practice's change history (practice/apply.ts);
 * with `--dry-run` it only prints what would change.
 */
import { readFileSync } from 'node:fs';
import { configFromEnv } from '../config.ts';
import { openStore } from '../db/open.ts';
import { practiceIdBySlug } from '../db/queries/practice.ts';
import { applyPracticeDocument, type ConfigChange } from '../practice/apply.ts';
import { importPractice, PracticeDocumentError } from '../practice/import.ts';

const args = process.argv.slice(2).filter((a) => a !== '--');
const update = args.includes('--update');
const dryRun = args.includes('--dry-run');
const file = args.find((a) => !a.startsWith('--'));
if (!file || (dryRun && !update)) {
  console.error('usage: npm run practice:import -- FILE.json [--update [--dry-run]]');
  process.exit(2);
}

let input: unknown;
try {
  input = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`cannot read ${file}: ${(err as Error).message}`);
  process.exit(1);
}

const describe = (c: ConfigChange) =>
  `  ${c.action} ${c.entity} ${c.key}${c.fields ? `: ${Object.keys(c.fields).join(', ')}` : ''}`;

const config = configFromEnv();
const store = await openStore(config);
try {
  if (update) {
    const slug = (input as { practice?: { slug?: unknown } })?.practice?.slug;
    const practiceId =
      typeof slug === 'string' ? await store.read((tx) => practiceIdBySlug(tx, slug)) : undefined;
    if (practiceId === undefined) {
      throw new PracticeDocumentError([
        { path: 'practice.slug', message: `no practice "${String(slug)}" to update` },
      ]);
    }
    const result = await applyPracticeDocument(store, practiceId, input, {
      now: Date.now(),
      userId: null,
      source: 'import',
      dryRun,
    });
    const verb = dryRun ? 'would change' : 'changed';
    console.log(
      `${result.changes.length === 0 ? 'no differences in' : `${verb} practice`} "${slug}" (${config.databaseLabel})`,
    );
    for (const c of result.changes) console.log(describe(c));
  } else {
    const result = await importPractice(store, input, { now: Date.now() });
    console.log(`imported practice "${result.slug}" (id ${result.practiceId}) into ${config.databaseLabel}`);
    for (const [what, n] of Object.entries(result.counts)) console.log(`  ${what}: ${n}`);
  }
} catch (err) {
  if (!(err instanceof PracticeDocumentError)) throw err;
  console.error(`${file}: nothing was written, ${err.issues.length} problem(s):`);
  for (const issue of err.issues) console.error(`  ${issue.path}: ${issue.message}`);
  process.exitCode = 1;
} finally {
  await store.close();
}
