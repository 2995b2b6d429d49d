import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type LifecycleCheck, lifecycleCheckSchema } from '#domain/lifecycle-check';
import { type CheckReadinessDeps, checkReadiness } from '#use-cases/check-readiness';
import { type RetryLaunchDeps, retryLaunch } from '#use-cases/launch-environment';

export type LifecycleChecksDeps = RetryLaunchDeps & CheckReadinessDeps;

export type LifecycleChecksHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Runs one check; what it did, as the metric name it is counted under. */
const runLifecycleCheck = async (check: LifecycleCheck, deps: LifecycleChecksDeps): Promise<string> => {
  if (check.kind === 'launch') {
    const result = await retryLaunch(check, deps);
    return `launchRetry.${result.kind}`;
  }
  const result = await checkReadiness(check, deps);
  return `readinessCheck.${result.kind}`;
};

/**
 * The consumer of the lifecycle delay queue (launch retries and readiness checks). Messages are
 * handled one by one; each one that fails (a malformed body included) is reported in
 * `batchItemFailures`, so SQS delivers only those again and, after the redrive limit, parks
 * them in the dead-letter queue.
 */
export const createLifecycleChecksHandler = (options: {
  readonly deps: Omit<LifecycleChecksDeps, 'logger'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}): LifecycleChecksHandler => {
  const { logger, metrics } = options;
  const deps: LifecycleChecksDeps = { ...options.deps, logger };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
      for (const record of event.Records) {
        try {
          const check = lifecycleCheckSchema.parse(JSON.parse(record.body));
          metrics.addMetric(await runLifecycleCheck(check, deps), MetricUnit.Count, 1);
        } catch (error) {
          logger.error('Lifecycle check failed; SQS delivers it again', {
            messageId: record.messageId,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    });
};
