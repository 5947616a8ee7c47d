/**
 * Section 4 of `npm run bench`: the widget on a practice's page. Its size by part (each part built
 * alone with the widget's own vite settings and gzip-compressed; gzip shares its dictionary within
 * a file, so the parts add up to a little more than the whole), and how soon the first free times
 * are on screen in Chromium on localhost: from the moment the widget's script starts (its
 * `terminkette:start` performance mark) and from the start of the page's navigation.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { build } from 'vite';
import { createApp } from '../server/app.ts';
import { openSqliteStore } from '../server/db/sqlite/store.ts';
import { demoDocument } from '../server/demo/load.ts';
import { importPractice } from '../server/practice/import.ts';
import { WIDGET_FILE } from '../server/routes/widget.ts';
import { CHROMIUM, launchChromium } from '../test/browser/chromium.ts';

export const WIDGET_BUDGET = 20 * 1024;

export interface WidgetFigures {
  gzip: number;
  firstSlots: { fromScript: number; fromNavigation: number; p95: number } | null;
}

const gz = (text: string | Buffer) => gzipSync(text, { level: 9 }).length;

/** One entry built alone as the widget is (minified ES module), its gzip size. */
async function partSize(dir: string, name: string, code: string): Promise<number> {
  const entry = join(dir, `${name}.tsx`);
  writeFileSync(entry, code);
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    root: process.cwd(),
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      write: false,
      target: 'es2022',
      modulePreload: false,
      rolldownOptions: { input: entry, output: { format: 'es' } },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []));
  const chunk = outputs.find((o) => o.type === 'chunk');
  return chunk && 'code' in chunk ? gz(chunk.code) : 0;
}

export async function widgetBench(log: (line?: string) => void): Promise<WidgetFigures> {
  log('## 4. The booking widget');
  log();
  await build({ configFile: 'widget/vite.config.ts', logLevel: 'error' });
  const whole = readFileSync(WIDGET_FILE);
  const dir = mkdtempSync(join(process.cwd(), 'widget', '.bench-'));
  const w = (p: string) => JSON.stringify(join(process.cwd(), 'widget', p));
  try {
    const framework = await partSize(
      dir,
      'framework',
      `import { render } from 'preact'; import { useEffect, useId, useReducer, useRef, useState } from 'preact/hooks'; import { signal, batch } from '@preact/signals';
       console.log(render, useEffect, useId, useReducer, useRef, useState, signal, batch);`,
    );
    const withClient = await partSize(
      dir,
      'client',
      `import { render } from 'preact'; import { useEffect, useId, useReducer, useRef, useState } from 'preact/hooks'; import { signal, batch } from '@preact/signals'; import { hc } from 'hono/client';
       console.log(render, useEffect, useId, useReducer, useRef, useState, signal, batch, hc);`,
    );
    const css = gz(
      readFileSync('widget/style.css', 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\s+/g, ' '),
    );
    const texts = await partSize(dir, 'texts', `import { texts } from ${w('texts.ts')}; console.log(texts);`);
    const total = gz(whole);
    log(
      `\`widget.js\` as served: ${whole.length} bytes, **${total} bytes gzip** (budget ${WIDGET_BUDGET}). By part, each built alone and gzip-compressed:`,
    );
    log();
    log('| part | gzip bytes |');
    log('| --- | ---: |');
    log(`| framework: preact, its hooks, @preact/signals | ${framework} |`);
    log(`| typed client: hono's \`hc\` (on top of the framework) | ${withClient - framework} |`);
    log(`| texts, German and English (\`widget/texts.ts\`) | ${texts} |`);
    log(`| CSS (\`widget/style.css\`, whitespace and comments removed) | ${css} |`);
    log(
      `| the flow: element, state, screens, formatting (the whole minus the parts above) | ${total - withClient - texts - css} |`,
    );
    log(`| **whole \`widget.js\`** | **${total}** |`);
    log();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const firstSlots = await firstSlotsTime(log);
  return { gzip: gz(whole), firstSlots };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
export const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
export const p95 = (xs: number[]) => sorted(xs)[Math.ceil(xs.length * 0.95) - 1]!;

/** The app on the demo practice (a SQLite file of its own), served on a free port of 127.0.0.1. */
export async function benchServer() {
  const dbDir = mkdtempSync(join(tmpdir(), 'terminkette-bench-ui-'));
  const store = openSqliteStore(join(dbDir, 'w.db'));
  const now = Date.now();
  const { practiceId } = await importPractice(store, demoDocument(), { now });
  const config = { publicUrl: '', secret: `${'w'.repeat(8)}abcdefghijklmnopqrstuvwxyz` };
  const app = createApp({ store, clock: () => Date.now(), config });
  const server = await new Promise<{ url: string; close: () => void }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }),
    );
  });
  config.publicUrl = server.url;
  return {
    url: server.url,
    store,
    practiceId,
    close: async () => {
      server.close();
      await store.close();
      rmSync(dbDir, { recursive: true, force: true });
    },
  };
}

/** The first free times on screen, in Chromium, on localhost: the median of 20 page loads. */
async function firstSlotsTime(log: (line?: string) => void): Promise<WidgetFigures['firstSlots']> {
  if (!existsSync(CHROMIUM)) {
    log(`First free times on screen: not measured, no ${CHROMIUM} on this machine.`);
    log();
    return null;
  }
  const server = await benchServer();
  const browser = await launchChromium();
  const version = browser.version();
  const fromScript: number[] = [];
  const fromNavigation: number[] = [];
  try {
    for (let i = 0; i < 22; i++) {
      // A new context each time: nothing cached, as for a first visit.
      const context = await browser.newContext({ locale: 'de-DE', timezoneId: 'Europe/Berlin' });
      const page = await context.newPage();
      await page.goto(`${server.url}/demo?chain=physio-erstbefund`, { waitUntil: 'commit' });
      // A string, not a function: tsx would put its helpers into a function's text.
      const t = (await page.evaluate(`new Promise((resolve) => {
        const seen = () => {
          const root = document.querySelector('terminkette-booking')?.shadowRoot;
          if (root?.querySelector('.sl button')) {
            const start = performance.getEntriesByName('terminkette:start')[0]?.startTime ?? NaN;
            resolve([performance.now() - start, performance.now()]);
          } else requestAnimationFrame(seen);
        };
        seen();
      })`)) as [number, number];
      if (i >= 2) {
        fromScript.push(t[0]);
        fromNavigation.push(t[1]);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const figures = {
    fromScript: Math.round(median(fromScript)),
    fromNavigation: Math.round(median(fromNavigation)),
    p95: Math.round(p95(fromScript)),
  };
  log(
    `First free times on screen (Chromium ${version}, localhost, the demo page \`/demo?chain=physio-erstbefund\`, a fresh browser context per load, the median of 20 loads after 2 warm-ups):`,
  );
  log(
    `**${figures.fromScript} ms** after the widget's script starts (p95 ${figures.p95} ms), ${figures.fromNavigation} ms after the page's navigation started. The widget asks for the chains, then for one week of the chain's starts in the compact form (\`GET /starts\`, about 2 KiB).`,
  );
  log();
  return figures;
}
