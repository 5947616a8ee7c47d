/**
 * Builds the embeddable widget into one ES module, `dist/widget/widget.js` (its CSS and both
 * languages inside), for the server to serve at /widget.js. `npm run build:widget`; `prepare` runs
 * it on every `npm install`/`npm ci`, so `npm start` has a built widget without a step of its own.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/widget', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    reportCompressedSize: false,
    rolldownOptions: {
      input: fileURLToPath(new URL('main.tsx', import.meta.url)),
      output: { entryFileNames: 'widget.js', format: 'es' },
    },
  },
});
