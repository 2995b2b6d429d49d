/**
 * ECS "Task State Change" events for tests, built from the real events in
 * `test/fixtures/ecs-events/` (recorded from ECS, kept in the repository so a fresh clone tests
 * the same). The fixtures come from two different tasks and carry no `startedBy`; tests
 * rewrite both to their environment.
 */
import { readFileSync } from 'node:fs';
import {
  type EcsTaskDetail,
  type EcsTaskStateChangeEvent,
  ecsTaskStateChangeEventSchema,
} from '#domain/ecs-event';

export type EcsFixture = 'provisioning-fargate' | 'running-fargate';

/** The fixture exactly as stored: what EventBridge delivers to the Lambda. */
export const rawEcsFixture = (name: EcsFixture): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/ecs-events/${name}.json`, import.meta.url), 'utf8'));

/** The task of the running fixture; its ENI is `eni-abcd1234` with private IP 10.0.0.139. */
export const FIXTURE_TASK_ARN =
  'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad';

/**
 * A fixture as taskenv's task of `environmentId`: `startedBy` set to it and the task ARN made the
 * running fixture's (the two captures are of different tasks), then `detail` overrides applied.
 */
export const ecsEvent = (
  name: EcsFixture,
  environmentId: string,
  detail: Record<string, unknown> = {},
): EcsTaskStateChangeEvent => {
  const raw = rawEcsFixture(name);
  return ecsTaskStateChangeEventSchema.parse({
    ...raw,
    detail: {
      ...(raw.detail as Record<string, unknown>),
      startedBy: environmentId,
      taskArn: FIXTURE_TASK_ARN,
      ...detail,
    },
  });
};

/** The running fixture's task at another point of its life: `lastStatus` and `version` required. */
export const taskStatus = (
  environmentId: string,
  detail: Partial<Record<keyof EcsTaskDetail, unknown>> & { lastStatus: string; version: number },
): EcsTaskStateChangeEvent => ecsEvent('running-fargate', environmentId, detail);

/** A STOPPED event: the essential container `web` exited with `exitCode`, a sidecar was killed. */
export const stoppedEvent = (
  environmentId: string,
  version: number,
  options: { readonly exitCode?: number; readonly stoppedReason?: string; readonly stopCode?: string } = {},
): EcsTaskStateChangeEvent =>
  taskStatus(environmentId, {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    version,
    stopCode: options.stopCode ?? 'EssentialContainerExited',
    stoppedReason: options.stoppedReason ?? 'Essential container in task exited',
    stoppedAt: '2020-01-23T18:10:00.000Z',
    containers: [
      { name: 'web', lastStatus: 'STOPPED', exitCode: options.exitCode ?? 3 },
      { name: 'sidecar', lastStatus: 'STOPPED', exitCode: 137 },
    ],
  });
