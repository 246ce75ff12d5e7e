import { defineConfig } from 'vitest/config';

// Three suites: `unit` runs on any fresh clone (npm test); `corpus` reads ../shared/corpus
// (npm run test:corpus); `browser` drives Debian's chromium (npm run test:browser).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/golden/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: { name: 'corpus', include: ['test/corpus/**/*.test.ts'], testTimeout: 120_000 },
      },
      {
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 120_000 },
      },
    ],
  },
});
