import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ecsTaskStateChangeEventSchema } from '#domain/ecs-event';
import { publishMetrics } from '#shared/observability';
import { type ApplyTaskEventDeps, applyTaskEvent } from '#use-cases/apply-task-event';

export type TaskEventsHandler = (event: unknown, context: Context) => Promise<void>;

/**
 * The consumer of "ECS Task State Change" events from the cluster's EventBridge rule. A
 * malformed event and every failure throw, so Lambda retries the event and then hands it to
 * the dead-letter queue; nothing is swallowed.
 */
export const createTaskEventsHandler = (options: {
  readonly deps: Omit<ApplyTaskEventDeps, 'logger'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}): TaskEventsHandler => {
  const { logger, metrics } = options;
  const deps: ApplyTaskEventDeps = { ...options.deps, logger };
  return middy<unknown, void>()
    .use(injectLambdaContext(logger))
    .use(publishMetrics(metrics))
    .handler(async (event) => {
      // Parsed here rather than by the parser middleware, so the handler's type is what Lambda
      // really passes in; a ZodError fails the invocation like any other error.
      const result = await applyTaskEvent(ecsTaskStateChangeEventSchema.parse(event), deps);
      metrics.addMetric(result.applied ? 'taskEventApplied' : 'taskEventIgnored', MetricUnit.Count, 1);
      // Read by the launch-failure alarm: a task of ours that stopped without being asked to.
      if (result.applied && result.record?.state === 'failed') {
        metrics.addMetric('environmentFailed', MetricUnit.Count, 1);
      }
    });
};
