import { defineConfig } from 'vitest/config';

/**
 * The unit tests `npm run mutation` runs against each mutant of `shared/domain` and
 * `shared/use-cases/reconcile*` (docs/mutation.md): every pure, in-process unit test. Left out:
 * the tests that spawn host processes (the process runtime and its gate), the layer-rule test
 * (it runs Biome on probe files) and the benchmark helpers, none of which exercise those modules
 * with assertions of their own; no test here needs DynamoDB Local.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: [
      'test/unit/local/process-runtime.test.ts',
      'test/unit/local/process-exec.test.ts',
      'test/unit/local/process-recovery.test.ts',
      'test/unit/local/host-command-gate.test.ts',
      'test/unit/layers.test.ts',
      'test/unit/bench/**',
    ],
    setupFiles: ['test/support/env.ts', 'test/support/mutation-preload.ts'],
    pool: 'forks',
  },
});
