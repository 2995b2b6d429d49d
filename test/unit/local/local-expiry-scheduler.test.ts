import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalExpiryScheduler, MAX_TIMER_DELAY_MS } from '#adapters/local/local-expiry-scheduler';
import { EXPIRED_STOP_REASON } from '#ports/expiry-scheduler';
import type { Log } from '#ports/log';

const ENV_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const TASK_ARN = 'arn:aws:ecs:local:000000000000:task/taskenv-local/0123456789abcdef0123456789abcdef';
const DAY_MS = 24 * 60 * 60 * 1000;

let stop: ReturnType<typeof vi.fn<(taskArn: string, reason: string) => Promise<void>>>;
let scheduler: LocalExpiryScheduler;

/** The fake timers move `Date` too, so the system clock reads fake time. */
const inMs = (ms: number): Date => new Date(Date.now() + ms);

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2025-01-01T00:00:00.000Z') });
  stop = vi.fn(async () => undefined);
  scheduler = new LocalExpiryScheduler({ stop });
});

afterEach(() => {
  scheduler.dispose();
  vi.useRealTimers();
});

describe('LocalExpiryScheduler', () => {
  it('stops the task with the expiry reason at the given time, not before', async () => {
    // Prepare
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(60_000));

    // Act
    await vi.advanceTimersByTimeAsync(59_999);
    const before = stop.mock.calls.length;
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    expect(before).toBe(0);
    expect(stop).toHaveBeenCalledExactlyOnceWith(TASK_ARN, EXPIRED_STOP_REASON);
    expect(scheduler.pending()).toEqual([]);
  });

  it('moves the stop when scheduled again (keepalive)', async () => {
    // Prepare
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(60_000));

    // Act
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(120_000));
    await vi.advanceTimersByTimeAsync(60_000);
    const atFirstTime = stop.mock.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);

    // Assess
    expect(atFirstTime).toBe(0);
    expect(stop).toHaveBeenCalledOnce();
  });

  it('does not stop a cancelled environment; cancelling an unknown one is fine', async () => {
    // Prepare
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(60_000));

    // Act
    await scheduler.cancel(ENV_ID);
    await scheduler.cancel('unknown');
    await vi.advanceTimersByTimeAsync(120_000);

    // Assess
    expect(stop).not.toHaveBeenCalled();
  });

  it('stops at once when the time has already passed', async () => {
    // Act
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(-5_000));
    await vi.advanceTimersByTimeAsync(0);

    // Assess
    expect(stop).toHaveBeenCalledExactlyOnceWith(TASK_ARN, EXPIRED_STOP_REASON);
  });

  it('waits out delays longer than one timer can hold', async () => {
    // Prepare
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(30 * DAY_MS));

    // Act
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS + 1);
    const afterFirstHop = stop.mock.calls.length;
    await vi.advanceTimersByTimeAsync(30 * DAY_MS - MAX_TIMER_DELAY_MS - 2);
    const justBefore = stop.mock.calls.length;
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    expect(afterFirstHop).toBe(0);
    expect(justBefore).toBe(0);
    expect(stop).toHaveBeenCalledOnce();
  });

  it('logs a failed stop instead of throwing from the timer', async () => {
    // Prepare
    const log: Log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    scheduler = new LocalExpiryScheduler({
      stop: async () => Promise.reject(new Error('runtime gone')),
      log,
    });
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(1_000));

    // Act
    await vi.advanceTimersByTimeAsync(1_000);

    // Assess
    expect(log.error).toHaveBeenCalledWith(
      'Expiry stop failed',
      expect.objectContaining({ environmentId: ENV_ID, taskArn: TASK_ARN, error: 'runtime gone' }),
    );
  });

  it('drops every pending stop on dispose', async () => {
    // Prepare
    await scheduler.schedule(ENV_ID, TASK_ARN, inMs(1_000));
    await scheduler.schedule('other', TASK_ARN, inMs(2_000));

    // Act
    scheduler.dispose();
    await vi.advanceTimersByTimeAsync(5_000);

    // Assess
    expect(scheduler.pending()).toEqual([]);
    expect(stop).not.toHaveBeenCalled();
  });
});
