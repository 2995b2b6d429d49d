import type { LifecycleCheck } from '#domain/lifecycle-check';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import type { Log } from '#ports/log';

/**
 * {@link LifecycleQueue} of the local stack: a timer per check that hands it, when due, to the
 * same consumer the queue's function runs. A failed check is delivered again after
 * `retryDelayMs`, a few times, as SQS would redeliver it; checks still waiting when the stack
 * stops are dropped (the reconciler settles their environments at the next start).
 */
export class LocalLifecycleQueue implements LifecycleQueue {
  readonly #deliver: (check: LifecycleCheck) => Promise<void>;
  readonly #log: Log;
  readonly #retryDelayMs: number;
  readonly #maxDeliveries: number;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: {
    readonly deliver: (check: LifecycleCheck) => Promise<void>;
    readonly log: Log;
    /** @default 1000 */
    readonly retryDelayMs?: number;
    /** @default 5, the redrive limit of the deployed queue */
    readonly maxDeliveries?: number;
  }) {
    this.#deliver = options.deliver;
    this.#log = options.log;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#maxDeliveries = options.maxDeliveries ?? 5;
  }

  async send(check: LifecycleCheck, delaySec: number): Promise<void> {
    this.#schedule(check, delaySec * 1000, 1);
  }

  /** Drops every pending check. */
  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(check: LifecycleCheck, delayMs: number, delivery: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#deliver(check).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (delivery >= this.#maxDeliveries) {
          this.#log.error('Lifecycle check failed every delivery; dropped', { check, error: message });
          return;
        }
        this.#log.warn('Lifecycle check failed; delivering it again', { check, delivery, error: message });
        this.#schedule(check, this.#retryDelayMs, delivery + 1);
      });
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }
}
