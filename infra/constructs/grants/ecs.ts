/** ECS: the container runtime's operations on the sandbox cluster, and ECS Exec. */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { commandRunnerConfig, ecsConfig } from '#shared/wiring/config';
import type { ContainerOperation } from '#shared/wiring/functions';
import { type GrantTarget, type GrantVariables, OUR_TASKS } from './target.ts';

/** What the ECS runtime adapter needs to know and may be allowed to do on the sandbox cluster. */
export interface ContainerRuntimeBinding {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly assignPublicIp: boolean;
  readonly executionRole: iam.IRole;
  readonly taskRole: iam.IRole;
  readonly taskLogGroup: logs.ILogGroup;
}

const tasksOf = (scope: GrantTarget, clusterName: string): string =>
  Stack.of(scope).formatArn({
    service: 'ecs',
    resource: 'task',
    resourceName: `${clusterName}/*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });

/**
 * Grants `operations` on the sandbox cluster; the variables are the whole ECS runtime config
 * (cluster, subnets, security groups, public IP flag, roles, task log group).
 */
export const grantContainers = (
  fn: GrantTarget,
  runtime: ContainerRuntimeBinding,
  operations: readonly ContainerOperation[],
): GrantVariables<typeof ecsConfig> => {
  const onCluster = { ArnEquals: { 'ecs:cluster': runtime.clusterArn } };
  const tasks = tasksOf(fn, runtime.clusterName);
  const taskDefinitions = Stack.of(fn).formatArn({
    service: 'ecs',
    resource: 'task-definition',
    resourceName: 'taskenv-*:*',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const ourFamilies =
    'Task definitions of taskenv families only (taskenv-<org>-<name>, one revision per published version).';
  const ops = new Set(operations);
  if (ops.has('register')) {
    fn.addToPolicy(
      // RegisterTaskDefinition has no resource-level permission: IAM only accepts "*".
      new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: ['*'] }),
      'ecs:RegisterTaskDefinition has no resource-level permission; IAM only accepts "*".',
    );
    fn.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [taskDefinitions],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
      ourFamilies,
    );
  }
  if (ops.has('run')) {
    fn.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [taskDefinitions],
        conditions: onCluster,
      }),
      ourFamilies,
    );
    // RunTask with tags needs TagResource on the new task (ECS tag-on-create authorisation).
    fn.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [tasks],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
      OUR_TASKS,
    );
  }
  if (ops.has('stop')) {
    fn.addToPolicy(
      new iam.PolicyStatement({ actions: ['ecs:StopTask'], resources: [tasks], conditions: onCluster }),
      OUR_TASKS,
    );
  }
  if (ops.has('describe') || ops.has('inspect')) {
    fn.addToPolicy(
      new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [tasks], conditions: onCluster }),
      OUR_TASKS,
    );
  }
  if (ops.has('inspect')) {
    fn.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:ListTasks'],
        // ListTasks is authorised against container instances, which Fargate has none of: the
        // ecs:cluster condition is what scopes it, and the resource must be "*".
        resources: ['*'],
        conditions: onCluster,
      }),
      'ecs:ListTasks is scoped by the ecs:cluster condition; its resource type (container instance) cannot name Fargate tasks.',
    );
  }
  if (ops.has('run') || ops.has('register')) {
    fn.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [runtime.executionRole.roleArn, runtime.taskRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
  }
  return {
    CLUSTER_ARN: runtime.clusterArn,
    SUBNETS: runtime.subnetIds.join(','),
    SECURITY_GROUPS: runtime.securityGroupIds.join(','),
    ASSIGN_PUBLIC_IP: String(runtime.assignPublicIp),
    EXECUTION_ROLE_ARN: runtime.executionRole.roleArn,
    TASK_ROLE_ARN: runtime.taskRole.roleArn,
    LOG_GROUP_NAME: runtime.taskLogGroup.logGroupName,
  };
};

/** Grants ECS Exec (`ecs:ExecuteCommand`) on the sandbox cluster's tasks only (the exec-worker). */
export const grantCommandRunner = (
  fn: GrantTarget,
  runtime: Pick<ContainerRuntimeBinding, 'clusterArn' | 'clusterName'>,
): GrantVariables<typeof commandRunnerConfig> => {
  fn.addToPolicy(
    new iam.PolicyStatement({
      actions: ['ecs:ExecuteCommand'],
      resources: [runtime.clusterArn, tasksOf(fn, runtime.clusterName)],
      conditions: { ArnEquals: { 'ecs:cluster': runtime.clusterArn } },
    }),
    OUR_TASKS,
  );
  return { CLUSTER_ARN: runtime.clusterArn };
};
