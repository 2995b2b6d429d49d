/** Metrics flushing: quiet when an invocation recorded nothing, one EMF document when it did. */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { publishMetrics } from '#shared/observability';

const warnings: unknown[][] = [];
const metricsWith = () =>
  new Metrics({
    namespace: 'taskenv',
    serviceName: 'test',
    logger: {
      warn: (...args: unknown[]) => warnings.push(args),
      debug: () => {},
      error: () => {},
      info: () => {},
    },
  });

afterEach(() => {
  warnings.length = 0;
  vi.restoreAllMocks();
});

describe('publishMetrics', () => {
  it('says nothing for an invocation that recorded no metric', async () => {
    // Prepare
    const metrics = metricsWith();
    const publish = vi.spyOn(metrics, 'publishStoredMetrics');
    const handler = middy(async () => 'ok').use(publishMetrics(metrics));

    // Act
    for (let i = 0; i < 3; i++) await handler({}, {} as never);

    // Assess
    expect(publish).not.toHaveBeenCalled();
    expect(warnings).toEqual([]);
  });

  it('flushes what an invocation recorded, also when it failed', async () => {
    // Prepare
    const metrics = metricsWith();
    const publish = vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const handler = middy(async () => {
      metrics.addMetric('environmentFailed', MetricUnit.Count, 1);
      throw new Error('boom');
    }).use(publishMetrics(metrics));

    // Act
    await expect(handler({}, {} as never)).rejects.toThrow('boom');

    // Assess
    expect(publish).toHaveBeenCalledTimes(1);
    expect(warnings).toEqual([]);
  });
});
