import type { LifecycleCheck } from '#domain/lifecycle-check';

/**
 * The delay queue of launch retries and readiness checks (SQS on AWS, timers locally). A check
 * is delivered at least once, `delaySec` after it was sent; its consumer is idempotent.
 */
export interface LifecycleQueue {
  /** @param delaySec 0 to 900 (SQS's per-message limit). */
  send(check: LifecycleCheck, delaySec: number): Promise<void>;
}
