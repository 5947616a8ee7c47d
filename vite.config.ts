import { defineConfig } from 'vitest/config';

export default defineConfig({
  build: {
    outDir: 'dist/widget',
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
