/**
 * The widget's weight on a practice's website: the whole of widget.js (preact, signals, the typed
 * client, the flow, its CSS and both languages) at most 20 KB gzip, and none of what must not be in
 * it. The split by part is in docs/PERFORMANCE.md (`npm run bench`).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WIDGET_FILE } from '../../server/routes/widget.ts';

const BUDGET = 20 * 1024;

describe('widget.js', () => {
  const code = readFileSync(WIDGET_FILE);

  it(`is at most ${BUDGET} bytes gzip, CSS and both languages included`, () => {
    const gzip = gzipSync(code, { level: 9 }).length;
    expect(gzip).toBeLessThanOrEqual(BUDGET);
    const text = code.toString('utf8');
    expect(text).toContain('Verbindlich buchen');
    expect(text).toContain('Book now');
    expect(text).toContain('--tk-accent');
  });

  it('carries no zod, no date library, no eval and no inline event handlers', () => {
    const text = code.toString('utf8');
    expect(text).not.toMatch(/ZodError|\$ZodType/);
    expect(text).not.toMatch(/dayjs|date-fns|luxon|moment\(/);
    expect(text).not.toMatch(/\beval\(|new Function\(/);
    expect(text).not.toMatch(/setAttribute\(\s*[`'"]on/);
  });
});
