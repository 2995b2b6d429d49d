/**
 * Fills a workspace with finished environments, as 30 days of use leave it (`docs/load.md`,
 * "At 10,000 environments"): items written with the real item codec by BatchWriteItem, and the
 * list counters moved by the same amounts, so `total` stays exact. Finished ones hold no quota
 * unit and no task, so the load run's own checks (org counter 0, nothing live) still hold.
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { environmentItem } from '#adapters/aws/dynamodb/environment-item';
import { counterKeys } from '#adapters/aws/dynamodb/keys';
import type { EnvironmentRecord } from '#domain/environment';

const BATCH = 25;
const IN_FLIGHT = 8;

export const seedFinishedEnvironments = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  where: { readonly org: string; readonly workspace: string; readonly taskRef: string },
  count: number,
): Promise<void> => {
  const start = Date.now() - 30 * 24 * 3600 * 1000;
  const step = Math.max(1, Math.floor((30 * 24 * 3600 * 1000) / Math.max(count, 1)));
  const records: EnvironmentRecord[] = Array.from({ length: count }, (_, i) => {
    const createdAt = new Date(start + i * step).toISOString();
    return {
      id: randomUUID(),
      org: where.org,
      workspace: where.workspace,
      projectId: 'default',
      taskRef: where.taskRef,
      state: i % 10 === 0 ? 'failed' : 'torn_down',
      eventVersion: 4,
      taskArn: `arn:aws:ecs:local:000000000000:task/taskenv/seed-${i}`,
      createdAt,
      updatedAt: createdAt,
      expiresAt: createdAt,
      timeoutSec: 900,
      inputs: {},
      secretIds: [],
      endpoints: [],
      instructionTemplate: null,
      instruction: 'Seeded.',
      serviceUrls: null,
      taskVerification: null,
      error: i % 10 === 0 ? 'Launch failed: seeded' : null,
      stopReason: i % 10 === 0 ? null : 'deleted',
      launchAttempts: 1,
      launchRetryAt: null,
      readiness: null,
      previousState: 'ready',
    };
  });
  const batches: EnvironmentRecord[][] = [];
  for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
  const write = async (batch: EnvironmentRecord[]) => {
    let requests: Record<string, unknown>[] = batch.map((r) => ({
      PutRequest: { Item: environmentItem(r) },
    }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: requests as never } }),
      );
      requests = (UnprocessedItems?.[tableName] ?? []) as Record<string, unknown>[];
    }
  };
  for (let i = 0; i < batches.length; i += IN_FLIGHT)
    await Promise.all(batches.slice(i, i + IN_FLIGHT).map(write));
  const failed = records.filter((r) => r.state === 'failed').length;
  for (const Key of counterKeys({ ...where, projectId: 'default' })) {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key,
        UpdateExpression: 'ADD #failed :failed, #torn :torn',
        ExpressionAttributeNames: { '#failed': 'failed', '#torn': 'torn_down' },
        ExpressionAttributeValues: { ':failed': failed, ':torn': count - failed },
      }),
    );
  }
};
