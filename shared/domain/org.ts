/** An org and the limits that bound its environments. */
export interface OrgRecord {
  readonly org: string;
  /** Quota: environments not yet in a final state. */
  readonly maxConcurrentEnvironments: number;
  /** Upper bound of any environment's lifetime, keepalive included. */
  readonly maxLifetimeSec: number;
  /** Live environments right now; maintained transactionally with every create and finalisation. */
  readonly runningCount: number;
  /** Pool tasks the org may keep waiting over all its pools; `DEFAULT_MAX_POOL_TASKS` (`pool.ts`) when absent. */
  readonly maxPoolTasks?: number;
  readonly createdAt: string;
}

export const defaultOrgLimits = {
  maxConcurrentEnvironments: 50,
  maxLifetimeSec: 4 * 3600,
} as const;
