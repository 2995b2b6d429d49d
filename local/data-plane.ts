/**
 * The data plane of the local stack: executions on the same DynamoDB tables as AWS, commands
 * run in this process by the local runtime (its `exec`), the runtime's own logs.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoExecutionStore } from '#adapters/aws/dynamodb/execution-store';
import { InProcessDispatcher } from '#adapters/local/in-process-dispatcher';
import type { Clock } from '#ports/clock';
import type { CommandRunner, TaskLogs } from '#ports/container-runtime';
import type { VerifiedEventPublisher } from '#ports/event-publisher';
import type { DataPlaneAdapters } from './compose.ts';

export const localDataPlane = (options: {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The local runtime; its `exec` and `read` serve execute and logs. */
  readonly runtime: CommandRunner & TaskLogs;
  readonly verifiedEvents: VerifiedEventPublisher;
  readonly clock: Clock;
  readonly syncWindowMs?: number;
  readonly onError: (error: unknown) => void;
}): DataPlaneAdapters & { readonly dispatcher: InProcessDispatcher } => {
  const executions = new DynamoExecutionStore({ client: options.client, tableName: options.tableName });
  const runner = options.runtime;
  const dispatcher = new InProcessDispatcher(
    { runner, executions, clock: options.clock },
    { onError: options.onError },
  );
  return {
    executions,
    dispatcher,
    terminator: dispatcher,
    logs: options.runtime,
    verifiedEvents: options.verifiedEvents,
    ...(options.syncWindowMs === undefined ? {} : { syncWindowMs: options.syncWindowMs }),
  };
};
