/**
 * Vitest's global setup: builds the widget and the back office once before any suite runs, so the
 * server's /widget.js and /admin, the browser tests and the size budget always see this checkout's.
 */
import { build } from 'vite';

export default async function setup() {
  await build({ configFile: 'widget/vite.config.ts', logLevel: 'error' });
  await build({ configFile: 'admin/vite.config.ts', logLevel: 'error' });
}
