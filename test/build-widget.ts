/**
 * Vitest's global setup: builds the widget and the back office once before any suite runs, so the
 * server's /widget.js and /admin, the browser tests and the size budget always see this checkout's
 * — built as `npm install` builds them (NODE_ENV production: vitest's "test" would keep code that a
 * production build drops, and the size test would weigh another file than the one served).
 */
import { build } from 'vite';

export default async function setup() {
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: 'widget/vite.config.ts', logLevel: 'error', mode: 'production' });
    await build({ configFile: 'admin/vite.config.ts', logLevel: 'error', mode: 'production' });
  } finally {
    process.env.NODE_ENV = env;
  }
}
