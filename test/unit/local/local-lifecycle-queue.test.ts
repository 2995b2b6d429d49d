import { afterEach, expect, it, vi } from 'vitest';
import { LocalLifecycleQueue } from '#adapters/local/local-lifecycle-queue';
import type { LifecycleCheck } from '#domain/lifecycle-check';
import { RecordingLog } from '#test/support/lifecycle-fakes';

afterEach(() => {
  vi.useRealTimers();
});

const check: LifecycleCheck = { kind: 'launch', environmentId: 'e-1', attempt: 2 };

it('delivers a check when its delay is over, not before', async () => {
  // Prepare
  vi.useFakeTimers();
  const delivered: LifecycleCheck[] = [];
  const queue = new LocalLifecycleQueue({
    deliver: async (c) => void delivered.push(c),
    log: new RecordingLog(),
  });

  // Act
  await queue.send(check, 4);
  await vi.advanceTimersByTimeAsync(3999);
  const early = [...delivered];
  await vi.advanceTimersByTimeAsync(1);

  // Assess
  expect(early).toEqual([]);
  expect(delivered).toEqual([check]);
});

it('delivers a failed check again, as SQS would, and gives up after the redrive limit', async () => {
  // Prepare
  vi.useFakeTimers();
  let attempts = 0;
  const log = new RecordingLog();
  const queue = new LocalLifecycleQueue({
    deliver: async () => {
      attempts++;
      throw new Error('DynamoDB unavailable');
    },
    log,
    retryDelayMs: 100,
    maxDeliveries: 3,
  });

  // Act
  await queue.send(check, 0);
  await vi.advanceTimersByTimeAsync(1000);

  // Assess
  expect(attempts).toBe(3);
  expect(log.lines.map((l) => l.level)).toEqual(['warn', 'warn', 'error']);
});

it('drops pending checks on dispose', async () => {
  // Prepare
  vi.useFakeTimers();
  const delivered: LifecycleCheck[] = [];
  const queue = new LocalLifecycleQueue({
    deliver: async (c) => void delivered.push(c),
    log: new RecordingLog(),
  });
  await queue.send(check, 1);

  // Act
  queue.dispose();
  await vi.advanceTimersByTimeAsync(2000);

  // Assess
  expect(delivered).toEqual([]);
});
