/**
 * `npm run client:link -- PRACTICE EMAIL` — prints a client's personal direct-link token, for the
 * practice to hand out. It works until the file's e-mail changes or its access code is regenerated.
 * The widget (its own issue) opens with it; until then it is exchanged for a client token with
 * `POST /api/v1/p/PRACTICE/auth/link {"token": "…"}`.
 */
import { directLinkForClient } from '../auth/tokens.ts';
import { configFromEnv } from '../config.ts';
import { openStore } from '../db/open.ts';
import { clientIdByEmail } from '../db/queries/calendar.ts';
import { practiceIdBySlug } from '../db/queries/practice.ts';

const [slug, email] = process.argv.slice(2).filter((a) => a !== '--');
if (!slug || !email) {
  console.error('usage: npm run client:link -- PRACTICE EMAIL');
  process.exit(2);
}
const config = configFromEnv();
if (!process.env.APP_SECRET) {
  console.error(
    'Set APP_SECRET (the one the server runs with): a link signed with another secret does not work.',
  );
  process.exit(2);
}
const store = await openStore(config);
try {
  const found = await store.read(async (tx) => {
    const practiceId = await practiceIdBySlug(tx, slug);
    const clientId = practiceId === undefined ? undefined : await clientIdByEmail(tx, practiceId, email);
    return practiceId !== undefined && clientId !== undefined ? { practiceId, clientId } : null;
  });
  const token = found && (await directLinkForClient(store, config.secret, found.practiceId, found.clientId));
  if (!token) {
    console.error(`no client file with e-mail ${email} in practice "${slug}"`);
    process.exitCode = 1;
  } else {
    console.log(token);
    console.error(
      `exchange it for a client token: curl -X POST -H 'content-type: application/json' -d '{"token":"${token}"}' ${config.publicUrl}/api/v1/p/${slug}/auth/link`,
    );
  }
} finally {
  await store.close();
}
