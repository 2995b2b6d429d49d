import { describe, expect, it } from 'vitest';
import {
  launchRemainingSec,
  launchRetryDelaySec,
  lifecycleCheckSchema,
  READINESS_SETTLE_SEC,
  readinessVerdict,
} from '#domain/lifecycle-check';

describe('launchRetryDelaySec', () => {
  it('doubles from 2 s up to a minute, and never waits past the deadline', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 12].map((attempt) => launchRetryDelaySec(attempt, 600))).toEqual([
      2, 4, 8, 16, 32, 60, 60, 60,
    ]);
    expect(launchRetryDelaySec(6, 12.2)).toBe(13);
    expect(launchRetryDelaySec(6, 0.2)).toBe(1);
  });

  it('counts the deadline from the first attempt', () => {
    const createdAt = '2026-06-01T10:00:00.000Z';
    expect(launchRemainingSec(createdAt, 600, new Date('2026-06-01T10:09:00.000Z'))).toBe(60);
    expect(launchRemainingSec(createdAt, 600, new Date('2026-06-01T10:10:01.000Z'))).toBe(-1);
  });
});

describe('readinessVerdict', () => {
  it('is healthy only when every probed service is HEALTHY', () => {
    expect(readinessVerdict({ web: 'HEALTHY', db: 'HEALTHY' }, 30, 3, 1)).toEqual({ kind: 'healthy' });
    expect(readinessVerdict({ web: 'HEALTHY', db: 'UNKNOWN' }, 30, 3, 1)).toEqual({
      kind: 'wait',
      delaySec: 10,
    });
  });

  it('waits out UNHEALTHY during the grace period and names the services after it', () => {
    expect(readinessVerdict({ web: 'UNHEALTHY' }, 30, 29, 3)).toEqual({ kind: 'wait', delaySec: 20 });
    expect(readinessVerdict({ web: 'UNHEALTHY', api: 'UNHEALTHY', db: 'HEALTHY' }, 30, 30, 4)).toEqual({
      kind: 'unhealthy',
      services: ['api', 'web'],
      error: "Services 'api', 'web' failed their health check past the grace period of 30 s",
    });
  });

  it('says "its" for one unhealthy service', () => {
    expect(readinessVerdict({ web: 'UNHEALTHY', db: 'HEALTHY' }, 30, 31, 4)).toEqual({
      kind: 'unhealthy',
      services: ['web'],
      error: "Service 'web' failed its health check past the grace period of 30 s",
    });
  });

  it('gives up on a health that never concludes, well past the grace period', () => {
    expect(readinessVerdict({ web: null }, 30, 30 + READINESS_SETTLE_SEC - 1, 6)).toMatchObject({
      kind: 'wait',
    });
    expect(readinessVerdict({ web: null }, 30, 30 + READINESS_SETTLE_SEC, 7)).toEqual({
      kind: 'unhealthy',
      services: ['web'],
      error: `Service 'web' did not report healthy within ${30 + READINESS_SETTLE_SEC} s of starting`,
    });
  });
});

describe('lifecycleCheckSchema', () => {
  it('reads both kinds of check and refuses anything else', () => {
    const launch = { kind: 'launch', environmentId: 'e-1', attempt: 2 };
    const readiness = {
      kind: 'readiness',
      environmentId: 'e-1',
      taskArn: 'arn:aws:ecs:us-east-1:1:task/c/t',
      runningAt: '2026-06-01T10:00:00.000Z',
      check: 1,
    };
    expect(lifecycleCheckSchema.parse(launch)).toEqual(launch);
    expect(lifecycleCheckSchema.parse(readiness)).toEqual(readiness);
    expect(lifecycleCheckSchema.safeParse({ kind: 'launch', environmentId: 'e-1', attempt: 1 }).success).toBe(
      false,
    );
    expect(lifecycleCheckSchema.safeParse({ kind: 'sleep', environmentId: 'e-1' }).success).toBe(false);
  });
});
