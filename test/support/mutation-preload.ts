/// <reference types="vite/client" />
/**
 * Loads every module `npm run mutation` mutates before any test runs (docs/mutation.md).
 *
 * Stryker's per-test coverage charges code to the test running when it executes. The CLI loads
 * its commands lazily, so without this a CLI test could be the first to evaluate, say,
 * `shared/domain/fargate.ts`, and its module-level tables would be charged to that one test
 * instead of being seen as static: the mutants would then run against that test alone, and the
 * score would depend on the order the test files happened to run in.
 */
import.meta.glob(['../../shared/domain/**/*.ts', '../../shared/use-cases/reconcile*.ts'], {
  eager: true,
});
