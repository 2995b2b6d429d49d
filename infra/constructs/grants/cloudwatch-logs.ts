/** CloudWatch Logs: reading the task log group's streams (`GET …/logs`). */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { taskLogsConfig } from '#shared/wiring/config';
import type { GrantTarget, GrantVariables } from './target.ts';

export const grantTaskLogs = (
  fn: GrantTarget,
  logGroup: Pick<logs.ILogGroup, 'logGroupName'>,
): GrantVariables<typeof taskLogsConfig> => {
  const streams = Stack.of(fn).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `${logGroup.logGroupName}:log-stream:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  fn.addToPolicy(
    new iam.PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [streams] }),
    'The streams of the task log group only: one stream per container of each task.',
  );
  return { LOG_GROUP_NAME: logGroup.logGroupName };
};
