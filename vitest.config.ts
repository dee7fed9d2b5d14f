import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source, so no build is needed before `npm test`.
// The browser SDK and the test brand live outside libs/ (README, "Layout").
const alias = [
  {
    find: /^@parley\/client$/,
    replacement: fileURLToPath(new URL('./sdks/web/src/index.ts', import.meta.url)),
  },
  {
    find: /^@parley\/test-brand$/,
    replacement: fileURLToPath(new URL('./fixtures/test-brand/src/index.ts', import.meta.url)),
  },
  {
    find: /^@parley\/([a-z-]+)$/,
    replacement: fileURLToPath(new URL('./libs/$1/src/index.ts', import.meta.url)),
  },
];

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: [
            'libs/*/src/**/*.test.ts',
            'sdks/*/src/**/*.test.ts',
            'fixtures/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'demo/*/src/**/*.test.ts',
            'bench/src/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // Starts Kafka and the store once per run (or reuses running ones) and stops what it started.
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'deploy',
          // Renders deploy/k8s with Kustomize and checks the manifests, compose file and image; no cluster.
          include: ['test/deploy/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          // The whole running system driven from a real browser (arrives with the demo).
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
