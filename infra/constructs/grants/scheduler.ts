/** EventBridge Scheduler: the per-environment expiry schedules. */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { schedulerConfig } from '#shared/wiring/config';
import type { GrantTarget, GrantVariables } from './target.ts';

/** The Scheduler group of the expiry schedules and the role the schedules run as. */
export interface ExpiryBinding {
  readonly groupName: string;
  readonly role: iam.IRole;
  readonly clusterArn: string;
}

/** Grants creating, moving and deleting the expiry schedules of our group, and passing their role to Scheduler. */
export const grantExpiry = (
  fn: GrantTarget,
  expiry: ExpiryBinding,
): GrantVariables<typeof schedulerConfig> => {
  const schedules = Stack.of(fn).formatArn({
    service: 'scheduler',
    resource: 'schedule',
    // `SchedulerExpiry` names each schedule taskenv-<environment id>.
    resourceName: `${expiry.groupName}/taskenv-*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  fn.addToPolicy(
    new iam.PolicyStatement({
      actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      resources: [schedules],
    }),
    'One expiry schedule per environment (taskenv-<environment id>) in our own schedule group.',
  );
  fn.addToPolicy(
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [expiry.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    }),
  );
  return {
    SCHEDULER_GROUP: expiry.groupName,
    SCHEDULER_ROLE_ARN: expiry.role.roleArn,
    CLUSTER_ARN: expiry.clusterArn,
  };
};
