import { defineConfig } from 'vitest/config';

// Workspace packages expose their TypeScript source under the "source" export condition, so tests run
// on source without a build; the runtime (node) resolves "default" to dist/.
const resolve = { conditions: ['source'] };

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['{apps,packages,bench}/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/src/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Servers are shared; tests isolate themselves by database, vhost, key prefix and topic.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
