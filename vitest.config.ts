import { defineConfig } from 'vitest/config';

// Three suites: `unit` runs on any fresh clone (npm test); `corpus` reads ../shared/corpus
// (npm run test:corpus); `browser` drives Debian's chromium (npm run test:browser). Each writes its
// temporary files in one folder of its own, removed when the run ends (test/support/temp-root.ts).
const globalSetup = ['test/support/temp-root.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          globalSetup,
          include: ['test/unit/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/golden/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: { name: 'corpus', globalSetup, include: ['test/corpus/**/*.test.ts'], testTimeout: 120_000 },
      },
      {
        test: { name: 'browser', globalSetup, include: ['test/browser/**/*.test.ts'], testTimeout: 120_000 },
      },
    ],
  },
});
