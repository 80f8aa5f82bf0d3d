import { defineConfig } from 'vitest/config';

// Workspace packages expose their TypeScript source under the "source" export condition, so tests run
// on source without a build; the runtime (node) resolves "default" to dist/.
const resolve = { conditions: ['source', 'module', 'node', 'development|production'] };
const ssr = { resolve: { conditions: ['source', 'node', 'development|production'], externalConditions: ['source'] } };

const stormProject = {
  resolve,
  ssr,
  test: {
    // The release-day storm: every app as a process on servers of its own (it restarts them), alone and
    // last, since it wants the machine's CPU. STORM=large for the 50,000-order run.
    name: 'storm',
    include: ['{apps,packages}/*/src/**/*.storm.int.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { groupOrder: 2 },
  },
};

export default defineConfig({
  resolve,
  ssr,
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['{apps,packages,bench}/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/src/**/*.int.test.ts'],
          exclude: ['**/*.restart.int.test.ts', '**/*.storm.int.test.ts', '**/node_modules/**', '**/dist/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // expect.poll's 1 s default is shorter than a loaded 2-core machine takes to render a page: polls
          // wait for something that must happen, so the longer bound costs only a failing test's time.
          expect: { poll: { timeout: 10_000 } },
          // Servers are shared; tests isolate themselves by database, vhost, key prefix and topic.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        resolve,
        ssr,
        test: {
          // Tests that stop and start a shared server run alone, after everything else.
          name: 'restart',
          include: ['{apps,packages}/*/src/**/*.restart.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      // The release-day storm, CI size, is part of `npm test`; STORM=large runs the 50,000-order one instead and
      // STORM=off leaves it out (a quick local gate).
      ...(process.env.STORM === 'off' ? [] : [stormProject]),
    ],
  },
});
