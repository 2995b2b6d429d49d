import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { keepPools, type PoolKeeperDeps } from '#use-cases/pool-keeper';

export type PoolKeeperHandler = (event: unknown, context: Context) => Promise<Record<string, number>>;

/** Some pools could not be kept; the run is reported failed so alarms see it. */
class PoolKeepingIncompleteError extends Error {
  constructor(failures: number) {
    super(`${failures} pool(s) could not be kept; the next run retries them`);
    this.name = 'PoolKeepingIncompleteError';
  }
}

/**
 * The pool keeper: scheduled every minute and nudged (asynchronously) after each claim; the
 * event carries nothing it needs. Emits `poolSize` and `poolWarm` per pool (dimension `pool`,
 * `<org>/<name@version>`) and the run's starts and retirements.
 */
export const createPoolKeeperHandler = (options: {
  readonly deps: Omit<PoolKeeperDeps, 'logger'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
}): PoolKeeperHandler => {
  const { logger, metrics } = options;
  const deps: PoolKeeperDeps = { ...options.deps, logger };
  return middy<unknown, Record<string, number>>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async () => {
      const summary = await keepPools(deps);
      for (const pool of summary.pools) {
        // A single metric is flushed as it is added, with its own dimension: one per gauge.
        for (const [name, value] of [
          ['poolSize', pool.size],
          ['poolWarm', pool.warm],
        ] as const) {
          const gauge = metrics.singleMetric();
          gauge.addDimension('pool', `${pool.org}/${pool.name}`);
          gauge.addMetric(name, MetricUnit.Count, value);
        }
      }
      const actions = {
        started: summary.started.length,
        relaunched: summary.relaunched.length,
        retired: summary.retired.length,
        errors: summary.errors.length,
      };
      for (const [kind, count] of Object.entries(actions)) {
        metrics.addMetric(`poolKeeper.${kind}`, MetricUnit.Count, count);
      }
      if (actions.errors > 0) throw new PoolKeepingIncompleteError(actions.errors);
      return actions;
    });
};
