/**
 * The structure shows the design, and stays that way: one folder, one job; no import circles; no
 * file imports from a floor above its own (the pure rules at the bottom, then the store, then the
 * services, the routes on top); SQL only in server/db; the clock only where a process starts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return name === 'migrations' ? [] : filesUnder(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const SOURCES = [...filesUnder('server'), ...filesUnder('shared')];

/** The project files a source file imports (type-only imports too: they tie the design as well). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(ROOT, resolve(ROOT, dirname(file), name)));
}

const GRAPH = new Map(SOURCES.map((f) => [f, importsOf(f)]));

/**
 * The floors, lowest first. A file may import from its own floor and the ones below.
 * 0 plain data and pure helpers for browser and server; 1 the pure rules; 2 the store; 3 the
 * services (booking, auth, mail, practice documents); 4 the HTTP routes; 5 where the process
 * starts (the app, main, the command-line tools).
 */
function floorOf(file: string): number {
  if (
    file.startsWith('shared/') ||
    file === 'server/errors.ts' ||
    file === 'server/config.ts' ||
    file === 'server/log.ts'
  )
    return 0;
  if (file.startsWith('server/engine/')) return 1;
  if (file.startsWith('server/db/')) return 2;
  if (/^server\/(auth|mail|booking|practice|demo)\//.test(file) || file === 'server/problem.ts') return 3;
  if (file.startsWith('server/routes/')) return 4;
  if (
    file === 'server/app.ts' ||
    file === 'server/main.ts' ||
    file === 'server/turns.ts' ||
    file.startsWith('server/cli/')
  )
    return 5;
  throw new Error(`${file} is on no floor: give it one in test/structure.test.ts`);
}

describe('the structure', () => {
  it('has every source file on a floor, and none imports from a floor above its own', () => {
    const upward = [...GRAPH].flatMap(([file, imports]) =>
      imports.filter((i) => floorOf(i) > floorOf(file)).map((i) => `${file} → ${i}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no import circles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'active' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'active') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'active');
      for (const next of GRAPH.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of GRAPH.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps the pure rules free of the clock, the environment, the database and HTTP', () => {
    for (const file of SOURCES.filter((f) => f.startsWith('shared/') || f.startsWith('server/engine/'))) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect({
        file,
        found: text.match(/Date\.now\(|new Date\(\)|process\.env|from 'hono|better-sqlite3|from 'pg'/g),
      }).toEqual({
        file,
        found: null,
      });
    }
  });

  it('speaks SQL only in server/db', () => {
    const sql = /\b(SELECT\s+[\w*"(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/;
    const outside = SOURCES.filter(
      (f) => !f.startsWith('server/db/') && sql.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(outside).toEqual([]);
  });

  it('reads the clock only where a process starts, and hands it on from there', () => {
    const readers = SOURCES.filter(
      (f) => floorOf(f) < 5 && /Date\.now\(\)|new Date\(\)/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(readers).toEqual([]);
  });

  it('lets only server/db and its stores touch a database driver', () => {
    const drivers = SOURCES.filter(
      (f) =>
        !f.startsWith('server/db/') &&
        /from 'better-sqlite3'|from 'pg'|drizzle-orm/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(drivers).toEqual([]);
  });
});
