import { defineConfig } from 'vitest/config';

/**
 * Every suite runs on SQLite (the `sqlite` project). The store and API suites run a second time on
 * PostgreSQL (the `postgres` project, TEST_STORE=postgres) when TEST_DATABASE_URL names a server;
 * without it they are skipped, loudly, and in CI (CI=true) that is an error.
 */
const pgUrl = process.env.TEST_DATABASE_URL;

/** The suites that speak to the store: they run on both databases. */
const STORE_SUITES = [
  'test/api/**/*.test.ts',
  'test/db/**/*.test.ts',
  'test/auth/**/*.test.ts',
  'test/mail/outbox.test.ts',
  'test/mail/outbox-processes.test.ts',
  'test/practice/import.test.ts',
  'test/practice/apply.test.ts',
];

if (!pgUrl && process.env.CI) {
  throw new Error(
    'CI needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test): the store and API suites must also run on PostgreSQL.',
  );
}
if (!pgUrl) {
  console.warn(
    '\n*** The PostgreSQL run of the store and API suites is SKIPPED: set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) ***\n',
  );
}

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 20_000,
    // What the browser tests wait for (a screen after a request) may take seconds on a loaded machine.
    expect: { poll: { timeout: 8_000 } },
    // The widget is built once per run (dist/widget/widget.js), for the server and the browser tests.
    globalSetup: ['test/build-widget.ts'],
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          // PostgreSQL's own plans, its unlocked booking, its reads' resume, its short reads and its lost connections: only in the postgres project.
          exclude: [
            'test/db/pg-query-plans.test.ts',
            'test/db/pg-unlocked-booking.test.ts',
            'test/db/pg-read-resume.test.ts',
            'test/db/pg-short-reads.test.ts',
            'test/db/pg-lost-connection.test.ts',
          ],
        },
      },
      ...(pgUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: STORE_SUITES,
                // About the SQLite file itself (WAL, checkpoints, query plans), or about PostgreSQL
                // already (its schema): one run is all they need.
                exclude: [
                  'test/db/sqlite-store.test.ts',
                  'test/db/checkpointer.test.ts',
                  'test/db/query-plans.test.ts',
                  'test/db/pg-schema.test.ts',
                ],
                env: { TEST_STORE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
