/**
 * The delayed checks that carry an environment through a refused launch and through readiness
 * (`docs/design.md`, "Launch retries" and "Readiness"): the message each one is, and the pure rules
 * of when it runs next and when it gives up. Each check is one message on a delay queue, so no
 * function ever sleeps while it waits.
 */
import * as z from '#shared/zod';

/** Launch the environment again (the same client token), as attempt `attempt`. */
export const launchCheckSchema = z.object({
  kind: z.literal('launch'),
  environmentId: z.string().check(z.minLength(1)),
  attempt: z.int().check(z.gte(2)),
});
export type LaunchCheck = z.infer<typeof launchCheckSchema>;

/** Read the health of the environment's running task; check number `check` since it started. */
export const readinessCheckSchema = z.object({
  kind: z.literal('readiness'),
  environmentId: z.string().check(z.minLength(1)),
  taskArn: z.string().check(z.minLength(1)),
  /** When the task was first seen running: the grace period counts from here. */
  runningAt: z.iso.datetime(),
  check: z.int().check(z.gte(1)),
});
export type ReadinessCheck = z.infer<typeof readinessCheckSchema>;

export const lifecycleCheckSchema = z.discriminatedUnion('kind', [launchCheckSchema, readinessCheckSchema]);
export type LifecycleCheck = z.infer<typeof lifecycleCheckSchema>;

/** SQS takes a per-message delay of 0 to 900 s. */
export const MAX_CHECK_DELAY_SEC = 900;

/** How long a refused launch is retried before the environment fails (`LAUNCH_DEADLINE_SEC`). */
export const DEFAULT_LAUNCH_DEADLINE_SEC = 600;

const LAUNCH_RETRY_FIRST_DELAY_SEC = 2;
const LAUNCH_RETRY_MAX_DELAY_SEC = 60;

/**
 * Seconds until the retry after failed attempt `attempt` (1 = the first launch): 2, 4, 8, 16, 32,
 * then every 60 s, never past the deadline (`remainingSec`), never under 1 s.
 */
export const launchRetryDelaySec = (attempt: number, remainingSec: number): number => {
  const backoff = Math.min(LAUNCH_RETRY_FIRST_DELAY_SEC * 2 ** (attempt - 1), LAUNCH_RETRY_MAX_DELAY_SEC);
  return Math.max(1, Math.ceil(Math.min(backoff, remainingSec, MAX_CHECK_DELAY_SEC)));
};

/** Seconds left before a launch that began at `createdAt` must have produced a task. */
export const launchRemainingSec = (createdAt: string, deadlineSec: number, now: Date): number =>
  (Date.parse(createdAt) + deadlineSec * 1000 - now.getTime()) / 1000;

const READINESS_FIRST_DELAY_SEC = 5;
const READINESS_MAX_DELAY_SEC = 20;

/**
 * Time past the grace period that a health status may still read UNKNOWN: ECS needs
 * `retries` failed checks `interval` apart before it says UNHEALTHY.
 */
export const READINESS_SETTLE_SEC = 60;

/** Seconds before readiness check number `check` (counted from RUNNING, then from the last): 5, 10, 20, 20, … */
export const readinessCheckDelaySec = (check: number): number =>
  Math.min(READINESS_FIRST_DELAY_SEC * 2 ** (check - 1), READINESS_MAX_DELAY_SEC);

/** What a readiness check concludes from the health of the services it waits for. */
export type ReadinessVerdict =
  | { readonly kind: 'healthy' }
  | { readonly kind: 'wait'; readonly delaySec: number }
  /** `services`: those not healthy, sorted; `error` names them. */
  | { readonly kind: 'unhealthy'; readonly error: string; readonly services: readonly string[] };

/**
 * The verdict on one reading of the services' health (`HEALTHY`, `UNHEALTHY`, `UNKNOWN`, or
 * null when not reported), `elapsedSec` after the task started running:
 * - every service HEALTHY: healthy;
 * - a service UNHEALTHY past `graceSec`: unhealthy, naming it;
 * - not HEALTHY `READINESS_SETTLE_SEC` past `graceSec` (the checks never concluded): unhealthy;
 * - else wait for the next check.
 */
export const readinessVerdict = (
  health: Readonly<Record<string, string | null>>,
  graceSec: number,
  elapsedSec: number,
  check: number,
): ReadinessVerdict => {
  const services = Object.keys(health).sort();
  const notHealthy = services.filter((s) => health[s] !== 'HEALTHY');
  if (notHealthy.length === 0) return { kind: 'healthy' };
  const unhealthy = notHealthy.filter((s) => health[s] === 'UNHEALTHY');
  if (unhealthy.length > 0 && elapsedSec >= graceSec) {
    return {
      kind: 'unhealthy',
      services: unhealthy,
      error: `${serviceList(unhealthy)} failed ${unhealthy.length === 1 ? 'its' : 'their'} health check past the grace period of ${graceSec} s`,
    };
  }
  if (elapsedSec >= graceSec + READINESS_SETTLE_SEC) {
    return {
      kind: 'unhealthy',
      services: notHealthy,
      error: `${serviceList(notHealthy)} did not report healthy within ${graceSec + READINESS_SETTLE_SEC} s of starting`,
    };
  }
  return { kind: 'wait', delaySec: readinessCheckDelaySec(check + 1) };
};

const serviceList = (services: readonly string[]): string =>
  `${services.length === 1 ? 'Service' : 'Services'} ${services.map((s) => `'${s}'`).join(', ')}`;
