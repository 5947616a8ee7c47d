/**
 * `npm run practice:create -- --slug SLUG --name "NAME" --admin-email EMAIL [--admin-name "NAME"]
 * [--plan L] [--time-zone Europe/Berlin]` — a new, empty practice with its first admin, and a
 * one-time link (valid 3 days) for the admin to set a password. Everything else of the practice is
 * configured afterwards (back office, or `practice:import` of a document).
 */
import { parseArgs } from 'node:util';
import { passwordLink } from '../auth/staff.ts';
import { configFromEnv } from '../config.ts';
import { openStore } from '../db/open.ts';
import { createPractice } from '../practice/create.ts';
import { PracticeDocumentError } from '../practice/import.ts';

const USAGE =
  'usage: npm run practice:create -- --slug SLUG --name "NAME" --admin-email EMAIL [--admin-name "NAME"] [--plan S|M|L|XL|XXL] [--time-zone ZONE]';

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      slug: { type: 'string' },
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      plan: { type: 'string' },
      'time-zone': { type: 'string' },
    },
  }).values;
}
try {
  args = parse();
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (!args.slug || !args.name || !args['admin-email']) {
  console.error(USAGE);
  process.exit(2);
}

const config = configFromEnv();
const store = await openStore(config);
try {
  const { token } = await createPractice(
    store,
    {
      slug: args.slug,
      name: args.name,
      adminEmail: args['admin-email'],
      ...(args['admin-name'] ? { adminName: args['admin-name'] } : {}),
      ...(args.plan ? { plan: args.plan as 'L' } : {}),
      ...(args['time-zone'] ? { timeZone: args['time-zone'] } : {}),
    },
    Date.now(),
  );
  console.log(`created practice "${args.slug}" in ${config.databaseLabel}`);
  console.log(
    `the admin sets a password here (once, within 3 days): ${passwordLink(config.publicUrl, token)}`,
  );
} catch (err) {
  if (!(err instanceof PracticeDocumentError)) throw err;
  console.error(`nothing was created, ${err.issues.length} problem(s):`);
  for (const issue of err.issues) console.error(`  ${issue.path}: ${issue.message}`);
  process.exitCode = 1;
} finally {
  await store.close();
}
