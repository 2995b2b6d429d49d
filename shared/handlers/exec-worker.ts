import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { executionJobSchema } from '#domain/execution';
import { type RunExecutionDeps, runExecution } from '#use-cases/run-execution';

export type ExecWorkerHandler = (
  event: unknown,
  context: Context,
) => Promise<{ executionId: string; state: string }>;

/**
 * The exec-worker function: invoked asynchronously with one accepted execution, it runs the
 * command over ECS Exec and records the outcome on the execution's item. Neither the command
 * nor its output is logged (a verification reads a flag file).
 */
export const createExecWorkerHandler = (options: {
  readonly deps: RunExecutionDeps;
  readonly logger: Logger;
}): ExecWorkerHandler =>
  middy<unknown, { executionId: string; state: string }>()
    .use(injectLambdaContext(options.logger))
    .handler(async (event) => {
      const job = executionJobSchema.parse(event);
      const record = await runExecution(job, options.deps);
      options.logger.info('Execution finished', {
        environmentId: job.environmentId,
        executionId: job.executionId,
        exitCode: record.exitCode,
        durationMs: record.durationMs,
      });
      return { executionId: record.id, state: record.state };
    }) as ExecWorkerHandler;
