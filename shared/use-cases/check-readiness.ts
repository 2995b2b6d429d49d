import { HEALTHY, taskPhase } from '#domain/ecs-event';
import type { EnvironmentRecord } from '#domain/environment';
import { stateChangeEvent } from '#domain/integration-event';
import { type ReadinessCheck, readinessVerdict } from '#domain/lifecycle-check';
import { logsPointer } from '#domain/logs-pointer';
import { type ContainerRuntime, type RuntimeTask, STOP_REASON_PREFIX } from '#ports/container-runtime';
import { silentLog } from '#ports/log';
import { type ApplyTaskEventDeps, applyTaskSnapshot, finalChange } from './apply-task-event.ts';

/** The `stoppedReason` of a task stopped because its services never became healthy. */
const UNHEALTHY_STOP_REASON = `${STOP_REASON_PREFIX} unhealthy`;

export interface CheckReadinessDeps extends ApplyTaskEventDeps {
  readonly runtime: ContainerRuntime;
}

/** What one readiness check did. */
export type ReadinessOutcome =
  /** Nothing to check any more: the environment moved on, or the task is not running (its events decide). */
  | { readonly kind: 'settled' }
  | { readonly kind: 'ready'; readonly record: EnvironmentRecord | null }
  | { readonly kind: 'waiting'; readonly delaySec: number }
  | { readonly kind: 'failed'; readonly error: string; readonly record: EnvironmentRecord | null };

/**
 * A queued readiness check (`docs/design.md`, "Readiness"): ECS emits no event when a container's
 * health changes, so the environment of a running task with health checks stays `provisioning`
 * and this reads the task (DescribeTasks) until every probed service is HEALTHY, then makes it
 * `ready` with the same write its RUNNING event would have made. A service still UNHEALTHY past
 * the grace period (or not healthy well past it) fails the environment with an error naming it,
 * and its task is stopped. Otherwise the next check is queued with backoff.
 *
 * Idempotent and safe to deliver late or twice: a check of an environment that is no longer
 * waiting for this task does nothing.
 *
 * @throws HostNotKnownError (from the ready write) so the check is delivered again.
 */
export const checkReadiness = async (
  check: ReadinessCheck,
  deps: CheckReadinessDeps,
): Promise<ReadinessOutcome> => {
  const log = deps.logger ?? silentLog;
  const record = await deps.store.get(check.environmentId);
  if (
    record === null ||
    record.readiness === null ||
    record.taskArn !== check.taskArn ||
    (record.state !== 'building' && record.state !== 'provisioning')
  ) {
    return { kind: 'settled' };
  }
  const [task] = await deps.runtime.describe([check.taskArn]);
  if (task === undefined || taskPhase(task) !== 'running' || task.version === null || task.network === null) {
    // Stopping or gone: its STOPPED event (or the reconciler) ends the environment.
    return { kind: 'settled' };
  }
  const health = healthOf(task, record.readiness.services);
  const elapsedSec = (deps.clock.now().getTime() - Date.parse(check.runningAt)) / 1000;
  const verdict = readinessVerdict(health, record.readiness.graceSec, elapsedSec, check.check);
  const facts = { environmentId: record.id, taskArn: task.taskArn, check: check.check, health };
  switch (verdict.kind) {
    case 'healthy': {
      const result = await applyTaskSnapshot(
        record,
        { ...task, version: task.version, network: task.network, healthStatus: HEALTHY },
        deps,
      );
      log.info('Readiness check: healthy', { ...facts, applied: result.applied });
      return { kind: 'ready', record: result.record };
    }
    case 'wait':
      await deps.checks.send({ ...check, check: check.check + 1 }, verdict.delaySec);
      log.info('Readiness check: not healthy yet', { ...facts, nextInSec: verdict.delaySec });
      return { kind: 'waiting', delaySec: verdict.delaySec };
    case 'unhealthy': {
      // The first of the services named: the logs route reads one at a time.
      const error = `Not ready: ${verdict.error}${logsPointer(record, verdict.services[0] ?? null)}`;
      const failed = await deps.store.transition(record.id, finalChange(record, { to: 'failed', error }), {
        expected: record,
      });
      log.warn('Readiness check: unhealthy, failing the environment', { ...facts, error });
      if (failed === null) return { kind: 'settled' };
      await deps.runtime.stop(task.taskArn, UNHEALTHY_STOP_REASON);
      await deps.envFiles.delete(record.id);
      await deps.publisher.publish([stateChangeEvent(failed, failed.previousState, deps.clock.now())]);
      return { kind: 'failed', error, record: failed };
    }
  }
};

/**
 * The health of each probed service, from its container. Should the containers not say (a
 * runtime reporting health per task only), the task's own status stands for all of them.
 */
const healthOf = (task: RuntimeTask, services: readonly string[]): Record<string, string | null> =>
  Object.fromEntries(
    services.map((service) => {
      const container = task.containers.find((c) => c.name === service);
      return [service, container?.healthStatus ?? task.healthStatus ?? null];
    }),
  );
