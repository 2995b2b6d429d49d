import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { publishMetrics } from '#shared/observability';
import { counts, type ReconcileDeps, reconcile } from '#use-cases/reconcile';

export type ReconcilerHandler = (event: unknown, context: Context) => Promise<Record<string, number>>;

/** Some reconciliation actions failed; the run is reported failed so alarms see it. */
export class ReconcileIncompleteError extends Error {
  constructor(failures: number) {
    super(`${failures} reconciliation action(s) failed; the next run retries them`);
    this.name = 'ReconcileIncompleteError';
  }
}

/**
 * The scheduled reconciler (every few minutes; the event itself carries nothing it needs).
 * Emits one count metric per action kind, every run, so a dashboard shows zeros rather than
 * gaps. Throws when any action failed, after the metrics are out.
 */
export const createReconcilerHandler = (options: {
  readonly deps: Omit<ReconcileDeps, 'logger'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}): ReconcilerHandler => {
  const { logger, metrics } = options;
  const deps: ReconcileDeps = { ...options.deps, logger };
  return middy<unknown, Record<string, number>>()
    .use(injectLambdaContext(logger))
    .use(publishMetrics(metrics))
    .handler(async () => {
      const actions = counts(await reconcile(deps));
      for (const [kind, count] of Object.entries(actions)) {
        metrics.addMetric(`reconcile.${kind}`, MetricUnit.Count, count);
      }
      if (actions.errors > 0) {
        throw new ReconcileIncompleteError(actions.errors);
      }
      return actions;
    });
};
