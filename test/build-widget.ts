/**
 * Vitest's global setup: builds the widget once before any suite runs, so the server's
 * /widget.js, the browser tests and the size budget always see the widget of this checkout.
 */
import { build } from 'vite';

export default async function setup() {
  await build({ configFile: 'widget/vite.config.ts', logLevel: 'error' });
}
