/** Stops an environment's task at its `expires_at` (EventBridge Scheduler on AWS, a timer locally). */
export interface ExpiryScheduler {
  /** Creates or moves the one-time stop of this environment. */
  schedule(environmentId: string, taskArn: string, at: Date): Promise<void>;
  /** Removes it; removing a missing schedule is fine. */
  cancel(environmentId: string): Promise<void>;
}

/** The `stoppedReason` an expiry stop carries. */
export const EXPIRED_STOP_REASON = 'taskenv: expired';
