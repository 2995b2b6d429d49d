import { defineConfig } from 'vitest/config';

/** The unit tests that exercise the mutated domain modules; `npm run mutation` runs only these. */
export default defineConfig({
  test: {
    include: [
      'test/unit/environment-state-machine.test.ts',
      'test/unit/ecs-event.test.ts',
      'test/unit/decide-transition.test.ts',
      'test/unit/semver.test.ts',
      'test/unit/task-ref.test.ts',
    ],
    setupFiles: ['test/support/env.ts'],
    pool: 'forks',
  },
});
