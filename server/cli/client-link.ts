/**
 * `npm run client:link -- PRACTICE EMAIL` — prints a client's personal direct-link token, for the
 * practice to hand out. It works until the file's e-mail changes or its access code is regenerated.
 * The widget opens with it when the page's address carries it as `?terminkette=<token>` (and
 * exchanges it for a client token with `POST /api/v1/p/PRACTICE/auth/link {"token": "…"}`).
 */
import { appSecret } from '../auth/secret.ts';
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
const store = await openStore(config);
try {
  // The server's secret: APP_SECRET if it runs with one, else the one it generated and kept.
  const secret = await appSecret(store, config, Date.now(), (m) => console.error(m));
  const found = await store.read(async (tx) => {
    const practiceId = await practiceIdBySlug(tx, slug);
    const clientId = practiceId === undefined ? undefined : await clientIdByEmail(tx, practiceId, email);
    return practiceId !== undefined && clientId !== undefined ? { practiceId, clientId } : null;
  });
  const token = found && (await directLinkForClient(store, secret, found.practiceId, found.clientId));
  if (!token) {
    console.error(`no client file with e-mail ${email} in practice "${slug}"`);
    process.exitCode = 1;
  } else {
    console.log(token);
    console.error(
      `the personal direct link: the practice's page with the widget and ?terminkette=<token>, e.g. ${config.publicUrl}/demo?terminkette=${encodeURIComponent(token)} for the demo practice`,
    );
  }
} finally {
  await store.close();
}
