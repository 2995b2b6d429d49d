import { type Clock, systemClock } from '#ports/clock';
import { EXPIRED_STOP_REASON, type ExpiryScheduler } from '#ports/expiry-scheduler';
import type { Log } from '#ports/log';

/** `setTimeout` fires at once for delays above a signed 32-bit millisecond count (~24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Stops a task the way the container runtime does; the scheduler calls nothing else. */
export type StopTask = (taskArn: string, reason: string) => Promise<void>;

/**
 * {@link ExpiryScheduler} for the local stack: one timer per environment that stops its task
 * with {@link EXPIRED_STOP_REASON}, as the one-time EventBridge schedule does on AWS. Timers
 * are unref'd, so a pending expiry never keeps the process alive; schedules do not survive a
 * restart (the reconciler stops expired environments it finds still running).
 */
export class LocalExpiryScheduler implements ExpiryScheduler {
  readonly #stop: StopTask;
  readonly #clock: Clock;
  readonly #log: Log | undefined;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor({ stop, clock = systemClock, log }: { stop: StopTask; clock?: Clock; log?: Log }) {
    this.#stop = stop;
    this.#clock = clock;
    this.#log = log;
  }

  async schedule(environmentId: string, taskArn: string, at: Date): Promise<void> {
    this.#clear(environmentId);
    this.#arm(environmentId, taskArn, at.getTime());
  }

  async cancel(environmentId: string): Promise<void> {
    this.#clear(environmentId);
  }

  /** Environments with a pending expiry. */
  pending(): string[] {
    return [...this.#timers.keys()];
  }

  /** Drops every pending expiry (shutdown). */
  dispose(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #arm(environmentId: string, taskArn: string, atMs: number): void {
    const remaining = Math.max(0, atMs - this.#clock.now().getTime());
    // A far expiry is reached in hops; each hop re-reads the clock, so drift does not add up.
    const hop = remaining > MAX_TIMER_DELAY_MS;
    const timer = setTimeout(
      () => {
        if (hop) {
          this.#arm(environmentId, taskArn, atMs);
          return;
        }
        this.#timers.delete(environmentId);
        void this.#fire(environmentId, taskArn);
      },
      hop ? MAX_TIMER_DELAY_MS : remaining,
    );
    timer.unref();
    this.#timers.set(environmentId, timer);
  }

  async #fire(environmentId: string, taskArn: string): Promise<void> {
    try {
      await this.#stop(taskArn, EXPIRED_STOP_REASON);
    } catch (error) {
      // Nothing retries a timer; the reconciler stops expired environments that are still running.
      this.#log?.error('Expiry stop failed', {
        environmentId,
        taskArn,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #clear(environmentId: string): void {
    const timer = this.#timers.get(environmentId);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#timers.delete(environmentId);
    }
  }
}
