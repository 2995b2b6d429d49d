import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

/** Built once per cold start (see `ecs.ts`). */
export const logsClient = new CloudWatchLogsClient({});
